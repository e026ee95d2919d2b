"""Realistic German demo data, written through the services so every trail is real."""
import io
from datetime import date, datetime, time, timedelta, timezone

from .services import accounts, analysis, attachments, cases, follow_ups, measures, partners, referral, reviews, studies
from .services.analysis_snapshot import Analysis

DEMO_PASSWORD = "Marktbrunnen im Nieselregen 7"

MUNICIPALITIES = (
    ("MST", "Stadt Musterstadt"),
    ("BHN", "Gemeinde Beispielhausen"),
)

USERS = (
    # (e-mail, name, role, municipality code)
    ("koordination@musterstadt.example", "Petra Lindner", "coordinator", "MST"),
    ("prozess@musterstadt.example", "Jonas Albrecht", "facilitator", "MST"),
    ("koordination@beispielhausen.example", "Ayşe Demir", "coordinator", "BHN"),
    ("prozess@beispielhausen.example", "Markus Vogt", "facilitator", "BHN"),
    ("beratung@spi.example", "Dr. Lena Hoffmann", "advisor", None),
    ("admin@kokoma.example", "Sven Admin", "admin", None),
)

PARTNERS = {
    "MST": (
        dict(name="Jugendamt Musterstadt", kind="youth_welfare", contact="Frau Kaya",
             email="jugendamt@musterstadt.example", events=["created", "transition", "escalation_raised"]),
        dict(name="Polizei – Kommissariat Prävention", kind="police_prevention", contact="KHK Brandt",
             email="praevention@polizei.example", min_level="high"),
        dict(name="Bündnis für Demokratie und Vielfalt", kind="civil_society",
             email="kontakt@buendnis-musterstadt.example", categories=["anti_democratic", "protest_movement"]),
    ),
    "BHN": (
        dict(name="Kreisjugendamt", kind="youth_welfare", email="kreisjugendamt@landkreis.example"),
        dict(name="Polizeiliche Kriminalprävention", kind="police_prevention",
             email="kriminalpraevention@polizei.example", min_level="elevated", events=["escalation_raised"]),
    ),
}

# Each case ends in the state named first; the path there is taken through the workflow.
CASES = {
    "MST": (
        ("closed", dict(
            title="Flyer einer rechtsextremen Kleinpartei vor der Gesamtschule",
            category="anti_democratic", location="Gesamtschule Nord, Schulhof und Vorplatz",
            description="Seit Wochen verteilen Aktivisten Flyer mit völkischen Parolen an Schülerinnen und Schüler. Eltern und Lehrkräfte sind verunsichert.",
            parties="Schulleitung, Elternbeirat, Aktivisten der Kleinpartei, Schülervertretung",
            affected_groups="Schülerinnen und Schüler mit Migrationsgeschichte",
            glasl_stage=3, violence_reported=False)),
        ("prevention", dict(
            title="Nutzungskonflikt am Bahnhofsvorplatz",
            category="public_space", location="Bahnhofsvorplatz",
            description="Anwohnende und Geschäftsleute beschweren sich über Gruppen junger Menschen; es gibt Forderungen nach einem Aufenthaltsverbot.",
            parties="Werbegemeinschaft Innenstadt, Jugendliche, Streetwork, Ordnungsamt",
            affected_groups="Junge Menschen ohne eigenen Treffpunkt, wohnungslose Menschen",
            glasl_stage=4, violence_reported=False)),
        ("processing", dict(
            title="Montagsspaziergänge mit Beteiligung extrem rechter Gruppen",
            category="protest_movement", location="Marktplatz und Innenstadt",
            description="Wöchentliche Spaziergänge gegen die Energiepolitik; zunehmend tragen Teilnehmende Symbole extrem rechter Gruppen.",
            parties="Organisationskreis der Spaziergänge, Gegendemonstration, Polizei, Stadtverwaltung",
            affected_groups="Journalistinnen und Journalisten, Engagierte der Gegendemonstration",
            glasl_stage=5, violence_reported=True)),
        ("analysis", dict(
            title="Streit um die Umbenennung der Kolonialstraße",
            category="identity_belonging", location="Ortsteil Süd",
            description="Eine Initiative fordert die Umbenennung; ein Bürgerverein sammelt Unterschriften dagegen. Die Debatte in sozialen Medien wird schärfer.",
            parties="Initiative Postkolonial, Bürgerverein Süd, Ortsbeirat",
            affected_groups="Schwarze Menschen und People of Color in der Stadt",
            glasl_stage=2, violence_reported=False)),
        ("analysis", dict(
            title="Proteste gegen eine geplante Gemeinschaftsunterkunft",
            category="integration_migration", location="Gewerbegebiet West",
            description="Eine Bürgerversammlung zur geplanten Unterkunft für Geflüchtete endete im Tumult; im Netz kursieren Aufrufe zum Widerstand.",
            parties="Stadtverwaltung, Anwohnerinitiative, Träger der Unterkunft, Willkommensbündnis",
            affected_groups="Geflüchtete Familien, die in die Unterkunft ziehen sollen",
            glasl_stage=5, violence_reported=True)),
        ("processing", dict(
            title="Polarisierte Debatte um das Jugendzentrum",
            category="polarisation", location="Jugendzentrum Kulturbahnhof",
            description="Nach einer Lesung wird dem Jugendzentrum politische Einseitigkeit vorgeworfen; im Stadtrat wird über die Förderung gestritten.",
            parties="Trägerverein, Ratsfraktionen, Jugendliche, lokale Presse",
            affected_groups="Queere Jugendliche, die das Zentrum als Schutzraum nutzen",
            glasl_stage=4, violence_reported=False)),
        ("analysis", dict(
            title="Konflikt um Lärm und Nutzung des Bolzplatzes",
            category="other", location="Bolzplatz Lindenweg",
            description="Nachbarschaftsstreit über Nutzungszeiten; erste gegenseitige Anzeigen beim Ordnungsamt.",
            parties="Anwohnende, Sportverein, Jugendliche",
            affected_groups="Kinder und Jugendliche im Quartier",
            glasl_stage=3, violence_reported=False)),
    ),
    "BHN": (
        ("prevention", dict(
            title="Reichsbürger-Schreiben an die Gemeindeverwaltung",
            category="anti_democratic", location="Rathaus",
            description="Die Verwaltung erhält vermehrt Schreiben, die die Legitimität der Gemeinde bestreiten; Mitarbeitende fühlen sich bedroht.",
            parties="Gemeindeverwaltung, Personalrat, Verfasser der Schreiben",
            affected_groups="Beschäftigte im Bürgerbüro",
            glasl_stage=7, violence_reported=True)),
        ("closed", dict(
            title="Streit um die Nutzung des Dorfgemeinschaftshauses",
            category="public_space", location="Dorfgemeinschaftshaus Oberdorf",
            description="Eine migrantische Selbstorganisation erhielt keine Termine mehr; der Vorwurf der Ausgrenzung steht im Raum.",
            parties="Verein Dorfgemeinschaft, Migrantische Selbstorganisation, Ortsvorsteher",
            affected_groups="Familien der migrantischen Selbstorganisation",
            glasl_stage=3, violence_reported=False)),
        ("processing", dict(
            title="Corona-Protestgruppe radikalisiert sich im Messenger",
            category="protest_movement", location="Online und Dorfplatz",
            description="In einer lokalen Messenger-Gruppe werden Namen von Gemeinderäten mit Drohungen verbreitet.",
            parties="Protestgruppe, Gemeinderat, Polizei (Prävention)",
            affected_groups="Kommunalpolitikerinnen und -politiker",
            glasl_stage=6, violence_reported=True)),
        ("analysis", dict(
            title="Konflikt um das Schützenfest und Zugehörigkeit",
            category="identity_belonging", location="Festwiese",
            description="Neu Zugezogene fühlen sich vom Schützenfest ausgeschlossen; Alteingesessene sehen ihre Tradition angegriffen.",
            parties="Schützenverein, Neubürgerinitiative, Kirchengemeinde",
            affected_groups="Zugezogene Familien",
            glasl_stage=2, violence_reported=False)),
        ("prevention", dict(
            title="Auseinandersetzung um einen Gebetsraum",
            category="integration_migration", location="Ehemalige Bäckerei, Hauptstraße",
            description="Die Einrichtung eines muslimischen Gebetsraums löst Widerstand und Schmierereien aus.",
            parties="Moscheeverein, Anwohnende, Bauamt, Kirchengemeinden",
            affected_groups="Muslimische Gemeindemitglieder",
            glasl_stage=4, violence_reported=True)),
        ("processing", dict(
            title="Windkraft-Streit spaltet den Ort",
            category="polarisation", location="Gemarkung Hohe Heide",
            description="Der geplante Windpark spaltet die Gemeinde; Freundschaften und Vereine zerbrechen an der Frage.",
            parties="Bürgerinitiative Gegenwind, Energiegenossenschaft, Gemeinderat",
            affected_groups="Landwirtinnen und Landwirte mit Pachtverträgen",
            glasl_stage=5, violence_reported=False)),
        ("closed", dict(
            title="Beschwerden über Treffen am Spielplatz",
            category="other", location="Spielplatz Am Teich",
            description="Abendliche Treffen Jugendlicher führen zu Beschwerden; ein gemeinsamer Ortstermin wurde vereinbart.",
            parties="Anwohnende, Jugendliche, Jugendpflege",
            affected_groups="Jugendliche ohne Treffpunkt",
            glasl_stage=2, violence_reported=False)),
    ),
}

# The triggers that take a new case (in "analysis") to the target state.
PATHS = {
    "analysis": (),
    "processing": ("start_processing",),
    "prevention": ("start_processing", "measure", "start_prevention"),
    "closed": ("start_processing", "measure", "start_prevention", "close"),
}

COMMENTS = {
    "start_processing": "Analyse mit der externen Prozessbegleitung abgestimmt.",
    "start_prevention": "Die vereinbarten Maßnahmen greifen; Übergang in die Nachsorge.",
    "close": "Abschlussbericht: Der Konflikt ist beigelegt, die Beteiligten bleiben im Austausch.",
}


def _at(days: int, hour: int) -> datetime:
    """A point in time ``days`` from today at ``hour`` o'clock (UTC)."""
    return datetime.combine(date.today() + timedelta(days=days), time(hour), tzinfo=timezone.utc)


def _measures_in_every_status(actor, case_id: int) -> None:
    """Measures planned, overdue, done and cancelled, and follow-ups due today and overdue."""
    for kind, title, days, status, outcome, effect in (
        ("dialogue", "Dialogforum Innenstadt", -3, "planned", "", None),
        ("public_event", "Informationsabend für Anwohnende", 2, "planned", "", None),
        ("counselling", "Beratung der Versammlungsbehörde", -20, "done",
         "Auflagen für die Spaziergänge abgestimmt.", "no_change"),
        ("training", "Schulung Argumentieren gegen Parolen", -6, "cancelled", "Zu wenige Anmeldungen.", None),
    ):
        measures.add_measure(actor, case_id, measures.MeasureInput(
            kind=kind, title=title, planned_at=_at(days, 17), place="Rathaus", responsible=f"user:{actor.id}",
            participants="Ordnungsamt, Streetwork, Gegendemonstration", status=status, outcome=outcome, effect=effect))
    follow_ups.add_follow_up(actor, case_id, follow_ups.FollowUpInput(
        date.today(), "Hat sich die Lage nach dem Dialogforum beruhigt?", actor.id))
    follow_ups.add_follow_up(actor, case_id, follow_ups.FollowUpInput(
        date.today() - timedelta(days=4), "Rückmeldung der Polizei zu den Auflagen einholen.", actor.id))


# A small PDF (minutes) and a PNG (a photo), attached to two demo cases.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201a1d6a3c60000000049454e44ae426082")
ATTACHMENTS = {
    "Nutzungskonflikt am Bahnhofsvorplatz": ("Protokoll Runder Tisch.pdf", DEMO_PDF),
    "Reichsbürger-Schreiben an die Gemeindeverwaltung": ("Foto Schreiben.png", DEMO_PNG),
}
# The lessons learned of the closed cases, released into the library (they name no one).
STUDIES = {
    "Flyer einer rechtsextremen Kleinpartei vor der Gesamtschule": (
        "Früh ein gemeinsames Gespräch von Schule, Eltern und Jugendarbeit ansetzen: Die Verunsicherung "
        "sank, sobald alle wussten, wer was tut. Eine klare Hausordnung half mehr als öffentliche "
        "Empörung; die Betroffenen wurden vorher gefragt, was sie brauchen."),
    "Streit um die Nutzung des Dorfgemeinschaftshauses": (
        "Ein transparenter Belegungsplan mit festen Regeln für alle Gruppen entschärfte den Vorwurf der "
        "Ausgrenzung. Wichtig war eine neutrale Moderation von außen und dass beide Seiten ihre Sicht "
        "zuerst getrennt schildern konnten."),
}


def demo_logins() -> list[tuple[str, str]]:
    return [(email, role) for email, _name, role, _code in USERS]


def load_demo_data() -> list:
    municipalities = {code: accounts.create_municipality(code, name) for code, name in MUNICIPALITIES}
    users = []
    by_role = {}
    for email, name, role, code in USERS:
        user = accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, role=role,
            municipality=municipalities[code] if code else None,
        )
        users.append(user)
        by_role[(role, code)] = user
    admin, advisor = by_role[("admin", None)], by_role[("advisor", None)]
    for municipality in municipalities.values():
        accounts.assign_advisor(admin, advisor.id, municipality.id)
    from .runtime import kokoma

    for code, specs in PARTNERS.items():
        for spec in specs:
            partners.save_partner(by_role[("coordinator", code)], None, partners.PartnerInput(**spec), kokoma().workflow)

    planned_demo = []
    for code, specs in CASES.items():
        actor = by_role[("facilitator", code)]
        for days_ago, (target, fields) in enumerate(specs):
            fields = dict(fields)
            parties, affected = fields.pop("parties"), fields.pop("affected_groups")
            data = cases.CaseInput(observed_on=date.today() - timedelta(days=14 * (days_ago + 1)), **fields)
            case = cases.create_case(actor, data).case
            cases.assign_case(actor, case.id, None, actor.id, advisor.id)
            analyse(actor, advisor, case, parties, affected)
            for step in PATHS[target]:
                if step == "measure":
                    measures.add_measure(actor, case.id, measures.MeasureInput(
                        kind="round_table", title="Runder Tisch mit allen Beteiligten", place="Rathaus, Ratssaal",
                        planned_at=_at(-10, 18), responsible=f"user:{actor.id}", status="done",
                        outcome="Alle Beteiligten waren da; Absprachen zu Nutzungszeiten getroffen.", effect="helped"))
                elif step == "start_prevention":
                    cases.fire_trigger(actor, case.id, step, COMMENTS[step], None, first_follow_up=follow_ups.FollowUpInput(
                        date.today() + timedelta(days=28), "Monitoring: Hält die Vereinbarung?", actor.id))
                else:
                    cases.fire_trigger(actor, case.id, step, COMMENTS[step], None)
            if target == "processing" and code == "MST" and not planned_demo:
                planned_demo.append(case.id)
                _measures_in_every_status(actor, case.id)
            if case.title == REFERRED:
                refer(actor, advisor, case)
            elif case.escalation_score >= 60 or target == "prevention":
                reviews.request_review(actor, case.id, "Bitte um Einschätzung der Eskalation und der nächsten Schritte.")
            if fields["title"] in ATTACHMENTS:
                name, content = ATTACHMENTS[fields["title"]]
                attachments.add_attachment(actor, case.id, name, io.BytesIO(content))
            if fields["title"] in STUDIES:
                studies.release(actor, case.id, STUDIES[fields["title"]], confirmed=True)
    # One request answered, so the advisor's queue and a given review both show.
    first_review = reviews.queue(advisor)[0].Review
    reviews.give_review(advisor, first_review.id, "adjust",
                        "Die Betroffenen stärker einbeziehen; Polizei (Prävention) zum nächsten Runden Tisch einladen.")
    return users


# --- the conflict analysis of each demo case ------------------------------------------------

# The case the demo refers (Verweisung), and the actors flagged openly anti-democratic.
REFERRED = "Corona-Protestgruppe radikalisiert sich im Messenger"
FLAGGED = {"Protestgruppe", "Aktivisten der Kleinpartei", "Verfasser der Schreiben"}
# Where the advisor's own Glasl assessment differs from the facilitator's (a tandem disagreement).
ADVISOR_STAGES = {"Montagsspaziergänge mit Beteiligung extrem rechter Gruppen": 7}
INSTITUTIONS = ("Stadt", "Verwaltung", "Polizei", "amt", "beirat", "rat", "Schulleitung", "Ortsvorsteher", "Bauamt")
ORGANISATIONS = ("Verein", "verein", "Initiative", "initiative", "Bündnis", "bündnis", "Träger", "Genossenschaft",
                 "Gemeinde", "Werbegemeinschaft", "Streetwork", "Presse", "Jugendpflege", "Organisationskreis")
ISSUE_KIND = {"anti_democratic": "values", "public_space": "interests", "protest_movement": "values",
              "identity_belonging": "relationship", "integration_migration": "structural", "polarisation": "values",
              "other": "interests"}


def _kind(name: str) -> str:
    if any(word in name for word in INSTITUTIONS):
        return "institution"
    return "organisation" if any(word in name for word in ORGANISATIONS) else "group"


def analyse(user, advisor, case, parties: str, affected: str) -> None:
    """A full analysis for a demo case: actors from its parties and affected groups, relations,
    an issue, the history, the groups heard, resources and the tandem's Glasl assessments."""
    names = [name.strip() for name in parties.split(",") if name.strip()]
    groups = [name.strip() for name in affected.split(",") if name.strip()]
    for index, name in enumerate(names):
        kind = _kind(name)
        analysis.add_item(user, case.id, "actor", {
            "name": name, "kind": kind, "role": "primary" if index < 2 else ("third" if kind == "institution" else "secondary"),
            "influence": "high" if kind == "institution" else ("medium" if index < 2 else "low"),
            "position": "Sieht sich im Recht und fordert ein Einlenken der Gegenseite." if index < 2 else "",
            "interests": "Anerkennung, Sicherheit und Mitsprache im Ort." if index < 2 else "",
            "fears": "Ausgegrenzt oder öffentlich bloßgestellt zu werden." if index < 2 else "",
            "anti_democratic": name in FLAGGED,
        })
    for name in groups:
        analysis.add_item(user, case.id, "actor", {
            "name": name, "kind": "group", "role": "secondary", "influence": "low", "affected": True,
            "interests": "Schutz, Teilhabe und gehört zu werden.", "fears": "Anfeindungen und Rückzug aus dem öffentlichen Raum.",
        })
    actors = Analysis(case).actors
    parties_, affected_ = actors[:len(names)], actors[len(names):]
    stage = case.glasl_stage or 3
    if len(parties_) >= 2:
        analysis.add_item(user, case.id, "relation", {
            "source_id": parties_[0].id, "target_id": parties_[1].id, "kind": "conflict" if stage >= 4 else "tension",
            "note": "Öffentlicher Schlagabtausch, kaum direkte Gespräche."})
    for other in parties_[2:]:
        analysis.add_item(user, case.id, "relation", {
            "source_id": other.id, "target_id": parties_[0].id,
            "kind": "influence" if other.kind == "institution" else "close", "note": ""})
    for group in affected_:
        analysis.add_item(user, case.id, "relation", {
            "source_id": parties_[0].id, "target_id": group.id, "kind": "tension" if stage < 5 else "broken", "note": ""})
    analysis.add_item(user, case.id, "issue", {"text": case.description.split(";")[0].split(".")[0] + ".",
                                               "kind": ISSUE_KIND.get(case.category, "interests")})
    analysis.add_item(user, case.id, "issue", {"text": "Wer im Ort mitreden darf und wer gehört wird.",
                                               "kind": "relationship"})
    analysis.add_item(user, case.id, "history", {"happened_on": case.observed_on, "text": case.description,
                                                 "source": "Meldung an die Prozessbegleitung"})
    analysis.add_item(user, case.id, "history", {"happened_on": case.observed_on + timedelta(days=5),
                                                 "text": "Erstes Gespräch im Tandem mit der externen Beratung.",
                                                 "source": "Protokoll"})
    threat = "high" if case.violence_reported and stage >= 6 else ("elevated" if case.violence_reported else "low")
    for group in affected_:
        analysis.add_item(user, case.id, "hearing", {
            "actor_id": group.id, "format": "group_talk", "held_on": case.observed_on + timedelta(days=7),
            "consent": True, "threat": threat,
            "summary": "Fühlen sich in der Debatte übergangen und wünschen einen geschützten Rahmen für Gespräche."})
    analysis.add_item(user, case.id, "resource", {"name": "Runder Tisch im Rathaus", "kind": "settlement",
                                                  "note": "Trifft sich monatlich, alle Beteiligten sind eingeladen."})
    analysis.add_item(user, case.id, "resource", {"name": "Lokale Partnerschaft für Demokratie", "kind": "ally",
                                                  "note": "Fördert Beteiligungsformate und vermittelt Kontakte."})
    analysis.assess(user, case.id, stage, "hot" if case.violence_reported else "cold",
                    "Einschätzung aus den Gesprächen mit den Beteiligten und den Betroffenen.")
    analysis.assess(advisor, case.id, ADVISOR_STAGES.get(case.title, stage), "hot" if case.violence_reported else "cold",
                    "Eigene Einschätzung der externen Beratung nach Durchsicht der Analyse.")


def refer(user, advisor, case) -> None:
    """The demo's case in referral: proposed by the facilitator, confirmed by the advisor."""
    police = next(p for p in referral.partners_to_refer_to(user, case) if p.kind == "police_prevention")
    referral.propose(user, case.id, "Die Protestgruppe verbreitet Namen von Gemeinderäten mit Drohungen und lehnt "
                     "jedes Gespräch ab: keine Mediation, Verweisung an die polizeiliche Prävention.",
                     police.id, date.today())
    proposal = referral.open_proposal(case.id)
    referral.decide(advisor, proposal.id, True, "Einverstanden; Staatsschutz ist informiert.")
