"""The case trail: one event per change, append-only in the ORM and in the database."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from kokoma.database import db
from kokoma.models import Case, CaseEvent, GlaslAssessment
from kokoma.models.event import AppendOnlyError
from kokoma.services import cases


def trail(case_id):
    return db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def test_logging_a_case_writes_a_created_event_with_the_score(world):
    case = world.analysed_case(violence_reported=True)
    event, alert = trail(case.id)
    assert (event.kind, event.to_state, event.actor_id) == ("created", "analysis", world.facilitator.id)
    assert event.payload == {"score": case.escalation_score, "level": case.escalation_level}
    # Logged above "low": the rise is an event of its own, which partners can follow.
    assert (alert.kind, alert.payload["from"], alert.payload["to"]) == ("escalation_raised", "low", "elevated")


def test_editing_records_what_changed(world):
    case = world.case()
    data = cases.CaseInput(title="Streit am Bahnhofsvorplatz", category="polarisation", glasl_stage=5)
    cases.update_case(world.facilitator, case.id, case.version, data)
    edited, alert = trail(case.id)[-2:]
    assert alert.kind == "escalation_raised"
    assert edited.kind == "edited"
    assert edited.payload["changes"]["category"] == ["public_space", "polarisation"]
    assert edited.payload["changes"]["glasl_stage"] == [None, 5]  # recorded as a Glasl assessment:
    assessed = db.session.scalars(select(GlaslAssessment).where(GlaslAssessment.case_id == case.id)).one()
    assert (assessed.stage, assessed.assessed_by_id) == (5, world.facilitator.id)
    assert edited.payload["level"] == "elevated"


def test_saving_without_changes_writes_no_event(world):
    case = world.case()
    data = cases.CaseInput(title=case.title, category=case.category, facilitator_id=case.facilitator_id)
    cases.update_case(world.facilitator, case.id, case.version, data)
    assert [e.kind for e in trail(case.id)] == ["created"]


def test_comments_and_measures_are_events(world):
    case = world.case()
    cases.add_comment(world.coordinator, case.id, "Bitte Jugendamt einbeziehen")
    world.measure(case, kind="dialogue", title="Dialogabend im Stadtteilzentrum")
    kinds = [(e.kind, e.comment, e.payload.get("measure"), e.payload.get("title")) for e in trail(case.id)]
    assert kinds[1:] == [
        ("comment", "Bitte Jugendamt einbeziehen", None, None),
        ("measure_added", "", "dialogue", "Dialogabend im Stadtteilzentrum"),
    ]


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    case = world.case()
    event = trail(case.id)[0]
    event.comment = "rewritten history"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(CaseEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_updates_of_events(world):
    case = world.case()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("UPDATE case_events SET comment = 'x' WHERE case_id = :id"), {"id": case.id})
    db.session.rollback()


def test_a_case_change_and_its_event_commit_together(world):
    """If writing the event fails, the state change is rolled back with it."""
    from kokoma.services.changes import changing_case

    case = world.analysed_case()
    with pytest.raises(RuntimeError):
        with changing_case(world.facilitator, case.id, "case.transition") as change:
            change.case.state = "processing"
            change.session.flush()
            raise RuntimeError("disk full while writing the event")
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "analysis"
    assert [e.kind for e in trail(case.id)] == ["created"]
