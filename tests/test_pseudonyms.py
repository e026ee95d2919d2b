"""Pseudonyms (issue 19): where a municipality says so, its advisors and partners read the persons
of its cases as "Person A", "Person B"… in every page, export, search and message; a facilitator
lifts it for one case with a reason, and restores it."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, CaseEvent, PseudonymLift, Review
from kokoma.services import analysis, cases, follow_ups, pseudonym_lifts, pseudonyms, reviews, todo
from kokoma.services.analysis_snapshot import Analysis
from kokoma.services.errors import PermissionDenied, ValidationError

from .conftest import PASSWORD
from .test_channels import channel_app  # noqa: F401 - the fixture: mail and webhooks on loopback

NAME = "Theodor Quandtmann"
REAL = re.compile(r"Quandtmann|Theodor|Zumsande|Erika|Özdemir|Ömer", re.IGNORECASE)  # the persons' names


def person_case(world, title=f"Beschwerde von {NAME}"):
    """A case of Musterstadt whose person, Theodor Quandtmann, is named in every kind of text."""
    case = world.case(title=title, description="Herr Quandtmann beschwert sich über Lärm.",
                      location="Bahnhofsvorplatz")
    user = world.facilitator
    analysis.add_item(user, case.id, "actor", {"name": NAME, "kind": "person", "role": "primary",
                                               "influence": "medium", "position": "Ruhe ab 22 Uhr",
                                               "affected": False, "anti_democratic": False})
    analysis.add_item(user, case.id, "actor", {"name": "Jugendliche am Platz", "kind": "group", "role": "primary",
                                               "influence": "low", "affected": True, "anti_democratic": False,
                                               "not_heard_reason": "Quandtmann wollte kein Treffen"})
    analysis.add_item(user, case.id, "actor", {"name": "Erika Zumsande", "kind": "person", "role": "third",
                                               "influence": "low", "affected": False, "anti_democratic": False})
    analysis.add_item(user, case.id, "actor", {"name": "Ömer Özdemir", "kind": "person", "role": "third",
                                               "influence": "low", "affected": False, "anti_democratic": False})
    actors = Analysis(db.session.get(Case, case.id)).actors
    analysis.add_item(user, case.id, "relation", {"source_id": actors[0].id, "target_id": actors[1].id,
                                                  "kind": "conflict", "note": "Quandtmann ruft die Polizei"})
    analysis.add_item(user, case.id, "issue", {"text": "Ob Quandtmann Recht auf Ruhe hat", "kind": "interests"})
    analysis.add_item(user, case.id, "history", {"happened_on": date(2026, 10, 1),
                                                 "text": "Theodor Quandtmann schreibt an den Rat"})
    analysis.add_item(user, case.id, "resource", {"name": "Nachbarschaftsverein", "kind": "ally",
                                                  "note": "kennt Herrn Quandtmann"})
    analysis.assess(user, case.id, 3, "hot", "Quandtmann droht mit Anzeige")
    cases.add_comment(user, case.id, "Telefonat mit Quandtmann und Zumsande")
    world.measure(case, title="Gespräch mit Quandtmann", outcome="Quandtmann kam nicht", status="planned",
                  planned_at=datetime.now(timezone.utc) + timedelta(days=1),
                  responsible=f"user:{world.facilitator.id}")
    follow_ups.add_follow_up(user, case.id, follow_ups.FollowUpInput(date.today(), "Quandtmann anrufen", user.id))
    reviews.request_review(user, case.id, "Wie gehen wir mit Quandtmann um?")
    db.session.commit()
    return db.session.get(Case, case.id)


def submission(page, form):
    return re.search(rf'id="{form}-submission" name="submission" type="hidden" value="([^"]+)"', page).group(1)


def pseudonymise(world, on=True):
    pseudonyms.save_settings(world.coordinator, on)


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_advisor_reads_persons_as_pseudonyms_on_the_case_page(client, world):
    case = person_case(world)
    pseudonymise(world)
    login(client, world.advisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert not REAL.search(page), REAL.search(page)
    assert "Person A" in page and "Person B" in page
    assert "Jugendliche am Platz" in page  # groups keep their names


def advisor_objects(world, case) -> dict:
    """The ids a route can take, each of an object of the person case (or the advisor's own)."""
    from kokoma.models import (ActorRelation, AdvisorAssignment, AnalysisResource, Attachment, CaseStudy,
                               Delivery, DisputeIssue, FollowUp, GroupHearing, HistoryEntry, Measure, Partner,
                               Referral, Review)
    from kokoma.services import attachments, referral
    import io

    partner = Partner(municipality_id=world.musterstadt.id, name="Jugendamt Musterstadt", email="ja@mst.example")
    db.session.add(partner)
    db.session.commit()
    analysis.add_item(world.facilitator, case.id, "actor", {
        "name": "Kameradschaft Nord", "kind": "group", "role": "primary", "influence": "high",
        "anti_democratic": True})
    referral.propose(world.facilitator, case.id, "Quandtmann wird bedroht", partner.id, date(2026, 11, 1))
    attachments.add_attachment(world.facilitator, case.id, "Brief Quandtmann.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    actors = Analysis(db.session.get(Case, case.id)).actors
    study = CaseStudy(case_id=case.id, municipality_id=world.musterstadt.id, category=case.category,
                      duration_days=3, measures=[], lessons="Früh zuhören.")
    db.session.add(study)
    db.session.commit()

    def first(model):
        return db.session.scalar(select(model.id).where(model.case_id == case.id).order_by(model.id))

    return {
        "case_id": case.id, "actor_id": actors[0].id, "relation_id": first(ActorRelation),
        "issue_id": first(DisputeIssue), "entry_id": first(HistoryEntry), "hearing_id": first(GroupHearing) or 1,
        "resource_id": first(AnalysisResource), "measure_id": first(Measure), "follow_up_id": first(FollowUp),
        "review_id": first(Review), "referral_id": first(Referral), "attachment_id": first(Attachment),
        "study_id": study.id, "partner_id": partner.id, "delivery_id": db.session.scalar(select(Delivery.id)) or 1,
        "user_id": world.facilitator.id,
        "assignment_id": db.session.scalar(select(AdvisorAssignment.id).where(
            AdvisorAssignment.advisor_id == world.advisor.id)),
    }


def pages_of(app, objects):
    """Every GET route of the URL map with its ids filled in (the static files and the calendar's
    token route aside: the calendar is tested on its own)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or "<token>" in rule.rule:
            continue
        url = rule.rule
        for arg in re.findall(r"<(?:int:)?(\w+)>", rule.rule):
            url = re.sub(r"<(?:int:)?" + arg + ">", str(objects.get(arg, "x")), url)
        url = url.replace("<any(csv, xlsx):kind>", "csv").replace("<path:name>", "kokoma.defaults.webhook")
        yield rule, url


def shown_text(response) -> str:
    """What a response shows a person: HTML and text as they are, a PDF's text."""
    if response.mimetype == "application/pdf" and response.get_data().startswith(b"%PDF-1.") and \
            b"startxref" in response.get_data():
        import io

        from pypdf import PdfReader
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
    return response.get_data().decode("utf-8", "replace")


@pytest.mark.parametrize("who", ["advisor", "admin"])
def test_every_page_an_advisor_can_open_shows_pseudonyms(app, client, world, who):
    case = person_case(world)
    objects = advisor_objects(world, case)
    pseudonymise(world)
    if who == "admin":  # an admin assigned like an advisor reads as an advisor does
        from kokoma.services import accounts
        accounts.assign_advisor(world.admin, world.admin.id, world.musterstadt.id)
    login(client, getattr(world, who))
    opened = []
    for rule, url in pages_of(app, objects):
        for query in ("", "?q=L%C3%A4rm", "?q=Platz&sort=newest"):
            response = client.get(url + query, headers={"Accept-Language": "de"})
            if response.status_code != 200:
                continue
            text = shown_text(response)
            found = REAL.search(text)
            assert not found, f"{who} {url}{query}: {text[max(0, found.start() - 300):found.end() + 100]!r}"
            opened.append(rule.endpoint)
    expected = {"cases.detail", "analysis.page", "cases.index", "report.pdf", "statistics.index"}
    if who == "advisor":
        expected |= {"cases.export", "tasks.index", "referrals.decide", "reviews.give", "reviews.queue",
                     "studies.show"}
    assert expected <= set(opened), expected - set(opened)
    page = client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)
    assert "Person A" in page and "Person B" in page and "Kameradschaft Nord" in page
    assert "<svg" in page  # the actor map, with the pseudonyms
    assert re.search(r"<svg.*Person A.*</svg>", page, re.S)


def test_facilitators_and_coordinators_read_the_names_and_so_do_advisors_where_it_is_off(client, world):
    case = person_case(world)
    login(client, world.advisor)
    assert NAME in client.get(f"/cases/{case.id}").get_data(as_text=True)  # off: the names
    pseudonymise(world)
    assert NAME not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    for user in (world.facilitator, world.coordinator):
        client.post("/logout")
        login(client, user)
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert NAME in page and "Herr Quandtmann beschwert sich" in page


def test_names_in_texts_become_the_pseudonym_whole_words_any_case():
    names = pseudonyms.Pseudonyms()
    names.add([(1, "Theodor Quandtmann", 1), (2, "Erika Zumsande", 2), (3, "Max", 3)])
    assert names.text("Herr QUANDTMANN sprach mit Theodor Quandtmann, erika und Max.") == \
        "Herr Person A sprach mit Person A, Person B und Person C."
    assert names.text("Zumsande, Quandtmanns Nachbarin") == "Person B, Person A Nachbarin"  # the genitive too
    assert names.text("Quandtmannstraße") == "Quandtmannstraße"  # whole words only
    from markupsafe import Markup
    assert names.text(Markup("<b>Quandtmann</b>")) == Markup("<b>Person A</b>")
    assert [pseudonyms.letters(n) for n in (1, 26, 27, 28, 53)] == ["A", "Z", "AA", "AB", "BA"]
    assert pseudonyms.Pseudonyms().text("Quandtmann") == "Quandtmann"
    short = pseudonyms.Pseudonyms()
    short.add([(1, "Uwe Ott", 1), (2, "Maria von der Heide", 2)])  # short words and a genitive, particles kept
    assert short.text("Uwe rief an; Otts Hund bellte, von der Heide kam.") == \
        "Person A rief an; Person A Hund bellte, von der Person B kam."


def test_markup_keeps_its_tags_and_entities_and_a_shared_name_names_nobody():
    """Names are replaced in the text and the attribute values of Markup, never in tag or
    attribute names (a person called "Hidden Post"), nor in entities; a first name two persons
    share becomes "Person ?" rather than one of them."""
    from markupsafe import Markup

    names = pseudonyms.Pseudonyms()
    names.add([(1, "Hidden Post", 1), (2, "Anna Schmidt", 2), (3, "Anna Meier", 3), (4, "Amp Lang", 4)])
    form = Markup('<form method="post"><input type="hidden" name="x" value="Post">'
                  '<span title="Anna Meier">Anna &amp; Post</span></form>')
    assert names.text(form) == Markup('<form method="post"><input type="hidden" name="x" value="Post">'
                                      '<span title="Person C">Person ? &amp; Person A</span></form>')
    assert names.text("Anna sagte, Schmidt auch.") == "Person ? sagte, Person B auch."


def test_the_overview_s_cases_needing_attention_show_pseudonyms(client, world):
    """(A case with nothing else on the page that would name it: no measure, review or task.)"""
    case = world.case(title=f"Drohung gegen {NAME}", glasl_stage=9, violence_reported=True)
    analysis.add_item(world.facilitator, case.id, "actor", {"name": NAME, "kind": "person", "role": "primary",
                                                            "influence": "medium", "affected": False,
                                                            "anti_democratic": False})
    pseudonymise(world)
    login(client, world.advisor)
    page = client.get("/overview/").get_data(as_text=True)
    assert "Drohung gegen Person A" in page and not REAL.search(page)


def test_a_pseudonym_stays_with_its_person_whatever_is_removed_or_added(world):
    """Person B stays Person B (a review may have named it so) when Person A is removed, and an
    actor that becomes a person takes the next letter rather than one given before."""
    case = person_case(world)
    pseudonyms.save_settings(world.coordinator, True)
    by_name = lambda: {a.name: a for a in Analysis(db.session.get(Case, case.id)).actors}  # noqa: E731
    names = lambda: pseudonyms.for_cases(world.advisor, [case.id])  # noqa: E731
    before = {name: names().by_actor[actor.id] for name, actor in by_name().items() if actor.kind == "person"}
    assert before == {NAME: "Person A", "Erika Zumsande": "Person B", "Ömer Özdemir": "Person C"}
    analysis.remove_item(world.facilitator, case.id, "actor", by_name()[NAME].id)
    group = by_name()["Jugendliche am Platz"]
    analysis.update_item(world.facilitator, case.id, "actor", group.id, {
        "name": "Lena Jugend", "kind": "person", "role": "primary", "influence": "low", "affected": True,
        "anti_democratic": False, "not_heard_reason": "noch kein Termin"})
    after = {name: names().by_actor[actor.id] for name, actor in by_name().items() if actor.kind == "person"}
    assert after == {"Erika Zumsande": "Person B", "Ömer Özdemir": "Person C", "Lena Jugend": "Person D"}
    assert names().text("Zumsande und Lena Jugend") == "Person B und Person D"


def test_a_facilitator_shows_the_names_for_one_case_with_a_reason_and_restores_the_pseudonyms(client, world):
    case = person_case(world)
    other = person_case(world, title="Zweiter Fall")
    pseudonymise(world)
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Die Namen für diesen Fall zeigen" in page
    token = submission(page, "pseudonymliftform")
    refused = client.post(f"/cases/{case.id}/pseudonyms/lift", data={"reason": "  ", "submission": token})
    assert refused.status_code == 422
    assert "Bitte geben Sie den Grund an, warum die Namen gezeigt werden." in refused.get_data(as_text=True)
    assert db.session.get(PseudonymLift, case.id) is None
    done = client.post(f"/cases/{case.id}/pseudonyms/lift",
                       data={"reason": "Die Beraterin moderiert das Gespräch mit ihm", "submission": token})
    assert done.status_code == 302
    again = client.post(f"/cases/{case.id}/pseudonyms/lift",
                        data={"reason": "Die Beraterin moderiert das Gespräch mit ihm", "submission": token})
    assert again.status_code in (302, 303)  # the same form sent twice: one lifting
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                        CaseEvent.kind.like("pseudonyms_%"))).all()
    assert [(e.kind, e.comment, e.actor_id) for e in events] == [
        ("pseudonyms_lifted", "Die Beraterin moderiert das Gespräch mit ihm", world.facilitator.id)]
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Namen für Beratung und Partner gezeigt" in page and "Die Beraterin moderiert das Gespräch" in page

    client.post("/logout")
    login(client, world.advisor)
    assert NAME in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert NAME not in client.get(f"/cases/{other.id}").get_data(as_text=True)  # only that case
    assert client.post(f"/cases/{case.id}/pseudonyms/restore").status_code == 403  # advisors cannot
    listed = client.get("/cases/?q=Quandtmann").get_data(as_text=True)
    assert case.reference in listed and other.reference not in listed

    client.post("/logout")
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    token = submission(page, "pseudonymrestoreform")
    assert client.post(f"/cases/{case.id}/pseudonyms/restore", data={"submission": token}).status_code == 302
    assert db.session.get(PseudonymLift, case.id) is None
    assert "Pseudonyme für Beratung und Partner wiederhergestellt" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, world.advisor)
    assert NAME not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_only_the_case_workers_of_the_municipality_lift_and_only_with_a_reason(world):
    case = person_case(world)
    with pytest.raises(ValidationError) as refused:
        pseudonym_lifts.lift(world.facilitator, case.id, "Es ist ohnehin aus")
    assert "ohnehin" in str(refused.value.errors["reason"])
    pseudonymise(world)
    with pytest.raises(ValidationError) as refused:
        pseudonym_lifts.lift(world.facilitator, case.id, "")
    assert "reason" in refused.value.errors
    with pytest.raises(PermissionDenied):
        pseudonym_lifts.lift(world.advisor, case.id, "Ich möchte es wissen")
    from kokoma.services.errors import NotFound
    with pytest.raises(NotFound):
        pseudonym_lifts.lift(world.outsider, case.id, "Fremd")
    pseudonym_lifts.lift(world.coordinator, case.id, "Abgestimmt mit der Person")
    with pytest.raises(ValidationError):
        pseudonym_lifts.lift(world.facilitator, case.id, "Noch einmal")
    pseudonym_lifts.restore(world.facilitator, case.id)
    with pytest.raises(ValidationError):
        pseudonym_lifts.restore(world.facilitator, case.id)


def test_the_coordinator_sets_it_for_the_own_municipality_only(client, world):
    login(client, world.coordinator)
    page = client.get("/privacy/pseudonyms")
    assert page.status_code == 200 and "Pseudonyme" in page.get_data(as_text=True)
    assert client.post("/privacy/pseudonyms", data={"enabled": "y"}).status_code == 302
    assert pseudonyms.enabled_for(world.musterstadt.id) and not pseudonyms.enabled_for(world.other.id)
    assert client.post("/privacy/pseudonyms", data={}).status_code == 302
    db.session.expire_all()
    assert not pseudonyms.enabled_for(world.musterstadt.id)
    for user in (world.facilitator, world.advisor, world.admin):
        client.post("/logout")
        login(client, user)
        assert client.get("/privacy/pseudonyms").status_code == 403
        assert client.post("/privacy/pseudonyms", data={"enabled": "y"}).status_code == 403
    db.session.expire_all()
    assert not pseudonyms.enabled_for(world.musterstadt.id)


def test_the_advisor_does_not_find_a_case_by_a_hidden_name_but_by_its_other_words(client, world):
    case = person_case(world)
    pseudonymise(world)
    login(client, world.advisor)
    for words in ("Quandtmann", "quandtmanns", "Theodor", "Zumsande", "Quandt", "ÖZDEMIR", "özdemir"):
        for sort in ("relevance", "newest"):
            listed = client.get(f"/cases/?q={words}&sort={sort}").get_data(as_text=True)
            assert case.reference not in listed, (words, sort)
    listed = client.get("/cases/?q=L%C3%A4rm").get_data(as_text=True)
    assert case.reference in listed and "Herr Person A beschwert sich" in listed
    client.post("/logout")
    login(client, world.facilitator)
    assert case.reference in client.get("/cases/?q=Quandtmann").get_data(as_text=True)


def test_the_attachments_of_a_pseudonymised_case_do_not_open_for_the_advisor(client, world):
    import io

    from kokoma.services import attachments
    case = person_case(world)
    attachments.add_attachment(world.facilitator, case.id, "Protokoll.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    attachment_id = attachments.attachments_of(case)[0].id
    pseudonymise(world)
    login(client, world.advisor)
    assert client.get(f"/cases/{case.id}/attachments/{attachment_id}").status_code == 403
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Protokoll.pdf" in page and f"/attachments/{attachment_id}" not in page
    pseudonym_lifts.lift(world.facilitator, case.id, "Die Beraterin braucht das Protokoll")
    assert client.get(f"/cases/{case.id}/attachments/{attachment_id}").status_code == 200


def test_the_exports_hold_pseudonyms(client, world):
    import csv
    import io
    import zipfile

    person_case(world)
    pseudonymise(world)
    login(client, world.advisor)
    rows = list(csv.reader(io.StringIO(client.get("/cases/export.csv").get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[1][2] == "Beschwerde von Person A"
    book = zipfile.ZipFile(io.BytesIO(client.get("/cases/export.xlsx").get_data()))
    cells = "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    assert "Beschwerde von Person A" in cells and not REAL.search(cells)
    client.post("/logout")
    login(client, world.facilitator)
    assert NAME in client.get("/cases/export.csv").get_data(as_text=True)


def test_partners_read_pseudonyms_by_webhook_and_e_mail_until_the_case_is_lifted(channel_app, sink):
    from kokoma import notifications
    from kokoma.models import Partner
    from kokoma.runtime import kokoma

    from .channels import WebhookReceiver
    from .conftest import World

    receiver = WebhookReceiver()
    try:
        world = World()
        pseudonymise(world)
        for name, fields in (("Jugendamt", {"email": "ja@mst.example"}), ("Polizei", {"webhook_url": receiver.url})):
            db.session.add(Partner(municipality_id=world.musterstadt.id, name=name, kind="youth_welfare",
                                   share_details=True, **fields))
        db.session.commit()
        case = person_case(world)
        notifications.deliver_due(kokoma().plugins)
        body = receiver.bodies()[0]["case"]
        assert body["title"] == "Beschwerde von Person A"
        assert body["description"] == "Herr Person A beschwert sich über Lärm."
        assert body["parties"] == "Person A, Person B, Kameradschaft Nord" or body["parties"].startswith("Person A")
        assert not REAL.search(str(receiver.bodies()))
        mail = sink.messages[0].get_content()
        assert "Beschwerde von Person A" in mail and "Person B" in mail and not REAL.search(mail), mail

        pseudonym_lifts.lift(world.facilitator, case.id, "Der Partner lädt ihn ein")
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        notifications.deliver_due(kokoma().plugins)
        assert receiver.bodies()[-1]["case"]["title"] == f"Beschwerde von {NAME}"
        assert NAME in sink.messages[-1].get_content()
    finally:
        receiver.stop()


def test_the_advisors_digest_holds_pseudonyms(channel_app, sink):
    from kokoma.services import digest

    from .conftest import World

    world = World()
    pseudonymise(world)
    case = person_case(world)
    morning = datetime.combine(date.today(), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=7)
    assert digest.send_digests(morning) >= 1
    mails = {m["To"]: m.get_content() for m in sink.messages}
    advisors = mails[world.advisor.email]  # the review request waiting, by reference
    assert case.reference in advisors and not REAL.search(advisors)
    work = todo.day_work(world.advisor, morning)
    names = pseudonyms.for_cases(world.advisor, {row[0].case_id for row in work.rows()})
    assert names.text(work.reviews_waiting[0].title) == "Beschwerde von Person A"  # what it renders with


def test_the_officers_documents_say_which_municipality_pseudonymises(world, runner, tmp_path):
    pseudonymise(world)
    result = runner.invoke(args=["privacy-report", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = (tmp_path / "verzeichnis-verarbeitungstaetigkeiten.md").read_text()
    measures = (tmp_path / "technische-organisatorische-massnahmen.md").read_text()
    musterstadt, other = (record.split("- **Stadt Musterstadt**")[1].split("- **")[0],
                          record.split("- **Gemeinde Beispielhausen**")[1].split("\n\n")[0])
    assert "als Pseudonyme („Person A“)" in musterstadt and "Partner: mit Namen" in other
    assert "Pseudonyme: Kommunen mit dieser Einstellung (Stadt Musterstadt)" in measures


def test_pseudonyms_cost_the_same_statements_for_10_and_50_rows_and_a_long_queue(app, client, world):
    from .test_query_counts import counted

    for n in range(12):
        case = person_case(world, title=f"Fall {n} von {NAME}")
    pseudonymise(world)
    login(client, world.advisor)
    with counted(app) as ten:
        page = client.get("/cases/?per_page=10")
    assert page.status_code == 200 and not REAL.search(page.get_data(as_text=True))
    with counted(app) as more:
        page = client.get("/cases/?per_page=50")
    assert page.get_data(as_text=True).count("<tr>") == 13 and not REAL.search(page.get_data(as_text=True))
    assert len(ten) == len(more), (ten, more)
    with counted(app) as queue:
        page = client.get("/reviews/")
    assert page.get_data(as_text=True).count("Person A") >= 12 and not REAL.search(page.get_data(as_text=True))
    reviews.request_review(world.facilitator, case.id, "Noch eine Frage zu Quandtmann")
    with counted(app) as longer:
        client.get("/reviews/")
    assert len(queue) == len(longer)


def test_migration_0027_numbers_the_persons_already_there(tmp_path):
    """On a file of its own: an instance's persons get their numbers in the order they were added,
    each case counting from 1; the downgrade takes the column away."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect, text

    from kokoma import create_app

    from .conftest import World, _test_config

    app = create_app(_test_config("sqlite:///" + str(tmp_path / "old.sqlite"), tmp_path))
    with app.test_request_context():
        upgrade()
        world = World()
        first, second = world.case(title="Erster Fall"), world.case(title="Zweiter Fall")
        for case, kinds in ((first, ("person", "group", "person")), (second, ("person",))):
            for n, kind in enumerate(kinds):
                analysis.add_item(world.facilitator, case.id, "actor", {
                    "name": f"Akteur {n}", "kind": kind, "role": "primary", "influence": "low",
                    "affected": False, "anti_democratic": False})
        db.session.commit()
        db.session.remove()
        downgrade(revision="0026")
        assert "pseudonym_number" not in {c["name"] for c in inspect(db.engine).get_columns("analysis_actors")}
        upgrade()
        numbers = db.session.execute(text("SELECT case_id, pseudonym_number FROM analysis_actors ORDER BY id")).all()
        assert [tuple(row) for row in numbers] == [(first.id, 1), (first.id, None), (first.id, 2), (second.id, 1)]
        db.session.remove()
        db.engine.dispose()


def test_a_long_name_is_shortened_after_it_became_a_pseudonym(client, world):
    """The actor map and the timeline shorten long texts: never half a name that the pseudonym
    could no longer replace."""
    long_name = "Hans-Dieter Schmidt-Leutheusserberg"
    case = world.case(title="Streit am Hafen")
    analysis.add_item(world.facilitator, case.id, "actor", {"name": long_name, "kind": "person", "role": "primary",
                                                            "influence": "high", "affected": False,
                                                            "anti_democratic": False})
    cases.add_comment(world.facilitator, case.id, "x " * 70 + "Leutheusserberg rief an")
    pseudonymise(world)
    login(client, world.advisor)
    for path in (f"/cases/{case.id}/analysis/", f"/cases/{case.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "Leuth" not in page and "Schmidt" not in page and "Dieter" not in page, path
    assert "Person A" in client.get(f"/cases/{case.id}/analysis/").get_data(as_text=True)


def test_a_typed_search_is_not_answered_with_the_pseudonym_of_a_guessed_name(client, world):
    """The search box holds what the advisor typed: a hidden name typed there stays as typed, so
    the page does not confirm the guess (and no case is found by it)."""
    case = person_case(world)
    pseudonymise(world)
    login(client, world.advisor)
    page = client.get("/cases/?q=Quandtmann").get_data(as_text=True)
    assert 'value="Quandtmann"' in page and case.reference not in page


def remove_zumsande_and_rename_oezdemir(world, case):
    """Person B (Erika Zumsande) leaves the analysis, Person C (Ömer Özdemir) is now "Herr Ö."."""
    actors = {a.name: a for a in Analysis(db.session.get(Case, case.id)).actors}
    analysis.remove_item(world.facilitator, case.id, "actor", actors["Erika Zumsande"].id)
    analysis.update_item(world.facilitator, case.id, "actor", actors["Ömer Özdemir"].id, {
        "name": "Herr Ö.", "kind": "person", "role": "third", "influence": "low", "affected": False,
        "anti_democratic": False})


def test_a_removed_or_renamed_person_is_still_hidden_in_what_was_written_about_them(client, world):
    """Comments written while the person was in the analysis keep naming them: after the person is
    removed, or renamed, the advisor still reads the pseudonym (and cannot find the case by it)."""
    case = person_case(world)
    pseudonymise(world)
    remove_zumsande_and_rename_oezdemir(world, case)
    cases.add_comment(world.facilitator, case.id, "Nachtrag: Özdemir und Zumsande kamen nicht")
    login(client, world.advisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert not REAL.search(page), REAL.search(page)
    assert "Nachtrag: Person C und Person B kamen nicht" in page
    assert case.reference not in client.get("/cases/?q=Zumsande").get_data(as_text=True)


def test_a_facilitator_is_told_whom_each_pseudonym_stands_for_and_an_advisor_is_not(client, world):
    """An advisor who reads pseudonyms writes "Person A" in a review: the facilitator finds on the
    case page whom it stands for, a removed person under the last name it had, a renamed one under
    the new. The advisor's page has no such list."""
    case = person_case(world)
    pseudonymise(world)
    remove_zumsande_and_rename_oezdemir(world, case)
    review = db.session.scalars(select(Review).where(Review.case_id == case.id)).one()
    reviews.give_review(world.advisor, review.id, "continue", "Person A sollte mit Person C sprechen.")
    assert pseudonyms.legend(db.session.get(Case, case.id)) == [
        ("Person A", NAME), ("Person B", "Erika Zumsande"), ("Person C", "Herr Ö.")]
    login(client, world.facilitator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    legend = page[page.index('id="pseudonym-legend"'):]
    assert "Person A sollte mit Person C sprechen." in page
    assert re.search(rf"<dt>Person A</dt><dd>{NAME}</dd>\s*<dt>Person B</dt><dd>Erika Zumsande</dd>"
                     rf"\s*<dt>Person C</dt><dd>Herr Ö.</dd>", legend)
    client.post("/logout")
    login(client, world.advisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="pseudonym-legend"' not in page and not REAL.search(page)
    pseudonymise(world, on=False)  # off: nothing to tell
    client.post("/logout")
    login(client, world.facilitator)
    assert 'id="pseudonym-legend"' not in client.get(f"/cases/{case.id}").get_data(as_text=True)
