"""Retention: per municipality, closed cases are anonymised and later deleted; a dry run lists
what would go; the daily job applies it once a day and records each run (counts only)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from kokoma.database import db, write_transaction
from kokoma.models import (AnalysisActor, Case, CaseEvent, CaseStudy, DailyJob, Delivery, FollowUp, GlaslAssessment,
                           GroupHearing, Measure, Partner, RetentionRun)
from kokoma.privacy import daily
from kokoma.services import access_trail, cases, overview, retention, reviews, studies

from .conftest import PASSWORD, World
from .privacy_support import name_in_every_record, stored_texts

NAME = "Herr Brandtner"


def closed_case(world, user=None, **fields):
    """A case with a person's name in every text field and every record of its analysis and
    measures, closed through the workflow."""
    user = user or world.facilitator
    case = world.analysed_case(
        user=user, title=f"Streit mit {NAME}", description=f"{NAME} beschwert sich", location="Lindenstraße 4",
        parties=f"{NAME}, Jugendclub", affected_groups="Jugendliche der Lindenstraße", **fields,
    )
    cases.add_comment(user, case.id, f"Telefonat mit {NAME}")
    reviews.request_review(user, case.id, f"Wie weiter mit {NAME}?")
    cases.update_case(user, case.id, db.session.get(Case, case.id).version, cases.CaseInput(
        title=f"Streit mit {NAME} (neu)", category="public_space", description=f"{NAME} beschwert sich",
        location="Lindenstraße 4", glasl_stage=3))
    name_in_every_record(world, case, NAME, user)  # (the case is in processing then)
    cases.fire_trigger(user, case.id, "close", f"Einigung mit {NAME}", None)
    access_trail.record_view(world.advisor, case)
    return db.session.get(Case, case.id)


def closing_time(case_id):
    return db.session.scalar(select(func.max(CaseEvent.created_at)).where(CaseEvent.case_id == case_id))


def texts_of_case(case_id):
    """Every text the database holds for the case (every record that hangs on it), as one string."""
    return stored_texts(case_id)


def structure_of(case_id):
    """What the statistics count of the analysis and the measures: kinds, roles, stages, dates."""
    return (
        db.session.execute(select(AnalysisActor.kind, AnalysisActor.role, AnalysisActor.influence,
                                  AnalysisActor.affected, AnalysisActor.anti_democratic)
                           .where(AnalysisActor.case_id == case_id).order_by(AnalysisActor.id)).all(),
        db.session.execute(select(GlaslAssessment.stage, GlaslAssessment.side).where(GlaslAssessment.case_id == case_id)
                           .order_by(GlaslAssessment.id)).all(),
        db.session.execute(select(GroupHearing.held_on, GroupHearing.threat).where(GroupHearing.case_id == case_id)
                           .order_by(GroupHearing.id)).all(),
        db.session.execute(select(Measure.kind, Measure.status, Measure.planned_at).where(Measure.case_id == case_id)
                           .order_by(Measure.id)).all(),
        db.session.execute(select(FollowUp.due_on, FollowUp.status).where(FollowUp.case_id == case_id)
                           .order_by(FollowUp.id)).all(),
    )


@pytest.fixture
def policy(world):
    retention.save_settings(world.coordinator, 30, 365)
    return world


def test_the_dry_run_lists_what_would_go_and_changes_nothing(policy):
    world = policy
    case = closed_case(world)
    still_open = world.analysed_case(title=f"Offen mit {NAME}")
    closed = closing_time(case.id)
    assert retention.dry_run(world.coordinator, closed + timedelta(days=29)).anonymise == []
    plan = retention.dry_run(world.coordinator, closed + timedelta(days=31))
    assert [d.reference for d in plan.anonymise] == [case.reference] and plan.delete == []
    plan = retention.dry_run(world.coordinator, closed + timedelta(days=366))
    assert plan.anonymise == [] and [d.reference for d in plan.delete] == [case.reference]
    assert NAME in texts_of_case(case.id) and db.session.get(Case, still_open.id).anonymised_at is None
    assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 0


def test_anonymising_removes_every_personal_field_and_keeps_the_statistics(policy):
    world = policy
    case = closed_case(world)
    foreign = closed_case(world, user=world.outsider)
    still_open = world.analysed_case(title=f"Offen mit {NAME}")
    counts_before = overview.overview(world.coordinator).counts
    structure_before = structure_of(case.id)
    now = closing_time(case.id) + timedelta(days=31)

    run = retention.apply(world.musterstadt.id, now)
    assert (run.anonymised_cases, run.deleted_cases) == (1, 0)
    db.session.expire_all()
    anonymised = db.session.get(Case, case.id)
    assert NAME not in texts_of_case(case.id) and "Lindenstraße" not in texts_of_case(case.id)
    assert anonymised.title == anonymised.reference and anonymised.anonymised_at == now
    assert (anonymised.state, anonymised.category, anonymised.glasl_stage) == ("closed", "public_space", 4)
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert all(e.redacted_at == now and e.comment == "" for e in events)
    assert any(e.payload.get("level") for e in events)  # levels and scores stay for the statistics
    assert overview.overview(world.coordinator).counts == counts_before  # still counted
    assert structure_of(case.id) == structure_before  # the analysis and the measures still count
    actors = db.session.scalars(select(AnalysisActor.name).where(AnalysisActor.case_id == case.id)
                                .order_by(AnalysisActor.id)).all()
    assert actors == [f"Akteur {n}" for n in range(1, len(actors) + 1)] and len(actors) >= 4
    measure = db.session.scalars(select(Measure).where(Measure.case_id == case.id)).one()
    assert (measure.title, measure.place, measure.participants, measure.outcome) == ("", "", "", "")
    assert "Jugendclub" not in texts_of_case(case.id)  # the texts carried over from the earlier form
    assert client_sees_no_name(world, case)
    assert NAME in texts_of_case(foreign.id) and NAME in db.session.get(Case, still_open.id).title
    # A second run finds nothing new to anonymise.
    assert retention.apply(world.musterstadt.id, now + timedelta(days=1)).anonymised_cases == 0


def test_deleting_removes_the_case_with_everything_hanging_on_it(policy):
    world = policy
    case = closed_case(world)
    other = closed_case(world)
    partner = Partner(municipality_id=world.musterstadt.id, name="Jugendamt", email="ja@mst.example")
    db.session.add(partner)
    db.session.flush()
    db.session.add(Delivery(event_id=db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id)),
                            case_id=case.id, municipality_id=world.musterstadt.id, partner_id=partner.id,
                            channel="email", idempotency_key="d" * 32))
    db.session.commit()
    # The other case was reopened and closed again later: its periods count from the last closing.
    cases.fire_trigger(world.facilitator, other.id, "reopen", "Neue Vorfälle", None)
    cases.fire_trigger(world.facilitator, other.id, "start_processing", "", None)
    later = closing_time(case.id) + timedelta(days=200)
    with write_transaction() as session:  # its last closing, 200 days after the first one's
        session.add(CaseEvent(case_id=other.id, kind="transition", from_state="processing", to_state="closed",
                              trigger="close", created_at=later))
        session.execute(text("UPDATE cases SET state = 'closed' WHERE id = :id"), {"id": other.id})

    run = retention.apply(world.musterstadt.id, closing_time(case.id) + timedelta(days=366))
    assert (run.anonymised_cases, run.deleted_cases) == (1, 1)
    for table in db.metadata.sorted_tables:  # every record that hangs on the case, the analysis and measures too
        column = table.c.id if table.name == "cases" else table.c.get("case_id")
        if column is not None:
            assert db.session.scalar(select(func.count()).select_from(table).where(column == case.id)) == 0, table.name
    assert db.session.scalar(select(func.count()).select_from(Measure).where(Measure.case_id == other.id)) == 1
    db.session.expire_all()
    assert db.session.get(Case, other.id).anonymised_at is not None  # not yet a year after its last closing


def client_sees_no_name(world, case) -> bool:
    """The anonymised case's page and its analysis page, as the facilitator sees them."""
    from flask import current_app

    client = current_app.test_client()
    login(client, world.facilitator)
    pages = [client.get(f"/cases/{case.id}"), client.get(f"/cases/{case.id}/analysis/")]
    assert [page.status_code for page in pages] == [200, 200]
    return all("Brandtner" not in page.get_data(as_text=True) for page in pages)


def test_the_database_lets_only_the_one_redaction_of_an_event_through(policy):
    world = policy
    case = closed_case(world)
    retention.apply(world.musterstadt.id, closing_time(case.id) + timedelta(days=31))
    event_id = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id))
    for statement in ("UPDATE case_events SET comment = 'neu' WHERE id = :id",  # no new redaction time
                      "UPDATE case_events SET redacted_at = NULL WHERE id = :id"):
        with pytest.raises(Exception, match="append-only"):
            with write_transaction() as session:
                session.execute(text(statement), {"id": event_id})
    fresh = world.case(title="Frisch")
    fresh_event = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == fresh.id))
    with pytest.raises(Exception, match="append-only"):  # a redaction that also changes the kind
        with write_transaction() as session:
            session.execute(text("UPDATE case_events SET kind = 'x', redacted_at = created_at WHERE id = :id"),
                            {"id": fresh_event})


def test_without_settings_nothing_goes(world):
    case = closed_case(world)
    run = retention.apply(world.musterstadt.id, closing_time(case.id) + timedelta(days=10000))
    assert (run.anonymised_cases, run.deleted_cases) == (0, 0)
    assert NAME in texts_of_case(case.id)


def test_the_daily_job_runs_once_a_day_for_the_instance_and_records_each_run(app, policy):
    world = policy
    case = closed_case(world)
    app.config["ACCESS_TRAIL_RETENTION_DAYS"] = 30
    day = closing_time(case.id) + timedelta(days=31)
    assert daily.run_due(day) is True
    assert daily.run_due(day + timedelta(minutes=5)) is False  # the day is claimed
    runs = db.session.scalars(select(RetentionRun).order_by(RetentionRun.municipality_id)).all()
    assert [(r.municipality_id, r.anonymised_cases, r.deleted_cases, r.trail_entries_removed) for r in runs] == [
        (world.musterstadt.id, 1, 0, 1), (world.other.id, 0, 0, 0)]
    assert daily.run_due(day + timedelta(days=1)) is True
    assert db.session.scalar(select(func.count()).select_from(DailyJob)) == 2


def test_the_worker_loop_runs_the_daily_jobs(make_app):
    app = make_app(NOTIFY_BACKGROUND_WORKER=True)
    with app.test_request_context():
        World()
        app.extensions["kokoma"].dispatcher.work()  # one round of the background thread
        assert db.session.scalar(select(func.count()).select_from(DailyJob)) == 1
        assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 2
    result = app.test_cli_runner().invoke(args=["worker", "--once"])  # the worker process: the day is taken
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 2


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_coordinator_sets_the_periods_and_sees_the_dry_run(client, world):
    case = closed_case(world)
    login(client, world.coordinator)
    page = client.get("/privacy/retention", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "The daily job has not run yet." in page.get_data(as_text=True)
    refused = client.post("/privacy/retention", data={"anonymise_after_days": "400", "delete_after_days": "30"},
                          headers={"Accept-Language": "en"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="delete_after_days-error"' in html and 'value="400"' in html
    for bad in ("0", "zwei", "99999"):
        response = client.post("/privacy/retention", data={"anonymise_after_days": bad})
        assert response.status_code == 422 and 'id="anonymise_after_days-error"' in response.get_data(as_text=True)
    assert client.post("/privacy/retention", data={"anonymise_after_days": "1", "delete_after_days": ""}).status_code == 302
    assert retention.policy_of(world.musterstadt.id) == retention.Policy(1, None)
    # Closed just now: nothing is due yet; a day later the dry run lists it.
    assert case.reference not in client.get("/privacy/retention").get_data(as_text=True).split('id="dry-run"')[1]
    later = retention.dry_run(world.coordinator, closing_time(case.id) + timedelta(days=2))
    assert [d.case_id for d in later.anonymise] == [case.id]


def test_the_settings_are_the_coordinators_and_of_their_municipality_only(client, world):
    retention.save_settings(world.coordinator, 30, None)
    login(client, world.facilitator)
    assert client.get("/privacy/retention").status_code == 403
    assert client.post("/privacy/retention", data={"anonymise_after_days": "5"}).status_code == 403
    client.post("/logout")
    other_coordinator = world.user("coord@bhn.example", "coordinator", world.other, "Uta Kern")
    login(client, other_coordinator)
    assert client.get("/privacy/retention").status_code == 200
    assert retention.policy_of(world.other.id) == retention.Policy()
    assert retention.policy_of(world.musterstadt.id) == retention.Policy(30, None)


def test_the_retention_command_lists_and_applies(runner, policy):
    world = policy
    case = world.analysed_case(title=f"Streit mit {NAME}")
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    with write_transaction() as session:  # closed 40 days ago (the events themselves cannot be changed)
        session.add(CaseEvent(case_id=case.id, kind="transition", from_state="processing", to_state="closed",
                              trigger="close", created_at=datetime.now(timezone.utc) - timedelta(days=40)))
        session.execute(text("UPDATE cases SET state = 'closed' WHERE id = :id"), {"id": case.id})
    db.session.expire_all()
    listed = runner.invoke(args=["retention", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert "MST: would anonymise 1, delete 0" in listed.output and f"anonymise {case.reference}" in listed.output
    assert db.session.get(Case, case.id).anonymised_at is None
    applied = runner.invoke(args=["retention"])
    assert applied.exit_code == 0, applied.output
    assert "MST: anonymised 1, deleted 0" in applied.output and "BHN: anonymised 0" in applied.output
    db.session.expire_all()
    assert db.session.get(Case, case.id).anonymised_at is not None


def test_a_study_draft_goes_like_its_case_and_a_released_study_stays_without_the_reasons(policy):
    """A draft has not passed the check of the names: its lessons are emptied with the case and
    it is deleted with the case (nobody could open it again). A released study outlives its case;
    the reasons it was once withdrawn for go, who withdrew it and when stay."""
    world = policy
    draft_case, released_case = closed_case(world), closed_case(world)
    draft = studies.save_draft(world.facilitator, draft_case.id, f"Entwurf: mit {NAME} früh sprechen")
    lessons = "Früh alle an einen Tisch holen."
    released = studies.release(world.facilitator, released_case.id, lessons, True)
    studies.withdraw(world.coordinator, released.id, f"{NAME} hat sich wiedererkannt")
    studies.release(world.facilitator, released_case.id, lessons, True)
    draft_id, released_id, closed = draft.id, released.id, closing_time(released_case.id)

    retention.apply(world.musterstadt.id, closed + timedelta(days=31))
    db.session.expire_all()
    assert NAME not in texts_of_case(draft_case.id) and NAME not in texts_of_case(released_case.id)
    emptied = db.session.get(CaseStudy, draft_id)
    assert (emptied.lessons, emptied.search_words.strip(), emptied.case_id) == ("", "", draft_case.id)
    kept = db.session.get(CaseStudy, released_id)
    assert kept.lessons == lessons and kept.released_at is not None
    assert [(w["by"], w["reason"]) for w in kept.withdrawals] == [(world.coordinator.id, "")]

    retention.apply(world.musterstadt.id, closed + timedelta(days=366))
    db.session.expire_all()
    assert db.session.get(CaseStudy, draft_id) is None
    kept = db.session.get(CaseStudy, released_id)
    assert (kept.case_id, kept.lessons) == (None, lessons) and kept.released_at is not None
