"""A case that names a person in every kind of record the analysis and the measures keep, and
every text the database holds of a case: for the retention and person-request tests."""
import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from kokoma.database import db, write_transaction
from kokoma.models import Case, CaseAnalysis, Partner
from kokoma.services import analysis, cases, follow_ups, measures, referral
from kokoma.services.analysis_snapshot import Analysis


def name_in_every_record(world, case, name: str, user=None) -> Case:
    """Name ``name`` in the case's actors, relations, issues, history, hearings, resources, Glasl
    rationale, referral, carried-over texts and plugin analysis fields, measures and follow-ups,
    and in the events of the analysis and measure changes (old and new texts); the case ends in
    processing."""
    user = user or world.facilitator
    actor = {"name": name, "kind": "person", "role": "primary", "influence": "high", "affected": False,
             "anti_democratic": True, "position": f"{name} will den Platz", "interests": f"Ruhe für {name}",
             "fears": f"{name} fürchtet Lärm", "not_heard_reason": ""}
    analysis.add_item(user, case.id, "actor", actor)
    analysis.add_item(user, case.id, "actor", {
        "name": f"Familie von {name}", "kind": "group", "role": "secondary", "influence": "low", "affected": True,
        "anti_democratic": False, "position": "", "interests": "", "fears": "",
        "not_heard_reason": f"{name} war verreist"})
    snapshot = Analysis(db.session.get(Case, case.id))
    ids = {a.name: a.id for a in snapshot.actors}
    family = ids[f"Familie von {name}"]
    analysis.add_item(user, case.id, "relation", {"source_id": ids[name], "target_id": family, "kind": "conflict",
                                                  "note": f"{name} spricht nicht mehr mit ihnen"})
    analysis.add_item(user, case.id, "issue", {"text": f"Ob {name} bleiben darf", "kind": "interests"})
    analysis.add_item(user, case.id, "history", {"happened_on": date(2026, 9, 1), "text": f"Brief von {name}",
                                                 "source": f"Akte {name}"})
    analysis.add_item(user, case.id, "hearing", {"actor_id": family, "format": "group_talk", "held_on": date(2026, 10, 1),
                                                 "consent": True, "summary": f"Sie sorgen sich um {name}",
                                                 "threat": "low"})
    analysis.add_item(user, case.id, "resource", {"name": f"Nachbarin von {name}", "kind": "resource",
                                                  "note": f"kennt {name} gut"})
    analysis.assess(user, case.id, 4, "hot", f"{name} droht mit Anzeige")
    with write_transaction() as session:  # what migration 0011 carried over and a plugin's analysis field
        record = session.get(CaseAnalysis, case.id) or CaseAnalysis(case_id=case.id)
        record.carried_over_parties = f"{name}, Jugendclub"
        record.carried_over_affected = f"Familie {name}"
        record.extra = {"notes": f"Rückruf bei {name}"}
        session.add(record)
    partner = Partner(municipality_id=case.municipality_id, name="Mobile Beratung", email="mb@example.org")
    db.session.add(partner)
    db.session.commit()
    referral.propose(user, case.id, f"{name} lehnt jedes Gespräch ab", partner.id, date(2026, 11, 1))
    advisor = world.advisor if case.municipality_id == world.musterstadt.id else world.other_advisor
    referral.decide(advisor, referral.open_proposal(case.id).id, False, f"Erst mit {name} reden")
    cases.fire_trigger(user, case.id, "start_processing", "", None)
    # After the analysis phase every change is in the trail, with its old and new texts.
    analysis.update_item(user, case.id, "actor", ids[name], {**actor, "position": f"{name} will jetzt verhandeln"})
    measure = measures.add_measure(user, case.id, measures.MeasureInput(
        kind="round_table", title=f"Gespräch mit {name}", place=f"Wohnung von {name}", participants=f"{name}, Nachbarn",
        status="planned", planned_at=datetime.now(timezone.utc) + timedelta(days=3))).measure
    measures.update_measure(user, case.id, measure.id, measures.MeasureInput(
        kind="round_table", title=f"Gespräch mit {name}", place=f"Wohnung von {name}", participants=f"{name}, Nachbarn",
        status="done", outcome=f"{name} ist einverstanden"))
    follow_up = follow_ups.add_follow_up(user, case.id, follow_ups.FollowUpInput(
        date.today() + timedelta(days=7), f"Bei {name} nachfragen", user.id)).follow_up
    follow_ups.complete_follow_up(user, case.id, follow_up.id, f"{name} ist zufrieden")
    return db.session.get(Case, case.id, populate_existing=True)


def stored_texts(case_id=None) -> str:
    """Every row of every table that hangs on a case (of one case, or all), and the outboxes, as
    one string: where a name could still be."""
    parts = []
    for table in db.metadata.sorted_tables:
        key = table.c.get("case_id") if table.name != "cases" else table.c.id
        if key is None and table.name not in ("digest_mails", "deliveries"):
            continue
        query = select(table)
        if case_id is not None and key is not None:
            query = query.where(key == case_id)
        parts.append([table.name, [tuple(row) for row in db.session.execute(query).all()]])
    return json.dumps(parts, ensure_ascii=False, default=str)
