"""The daily digest against a real SMTP server on loopback: one mail per person and day, none
when nothing is due, none to who switched it off, none twice when two workers run, sent by the
worker thread without any extra process."""
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from kokoma.database import db
from kokoma.models import DigestMail, User
from kokoma.services import digest, follow_ups, measures

from .channels import free_port
from .conftest import PASSWORD, World, at_once

MORNING = datetime.combine(date.today(), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=7)  # 8:00 Berlin


@pytest.fixture
def digest_app(make_app, mail_port):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY="none",
                   MAIL_SENDER="kokoma@musterstadt.example", BASE_URL="https://kokoma.musterstadt.example")
    with app.test_request_context():
        yield app


def something_due(world, user=None):
    user = user or world.facilitator
    case = world.analysed_case(title="Streit am Bahnhof")
    measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="round_table", title="Runder Tisch Bahnhof", planned_at=MORNING - timedelta(days=1),
        responsible=f"user:{user.id}", status="planned"))
    follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date.today(), "Beschwerdelage prüfen", user.id))
    return case


def test_one_mail_per_person_and_day_and_none_when_nothing_is_due(digest_app, sink):
    world = World()
    case = something_due(world)
    assert digest.send_digests(MORNING) == 1
    assert [m["To"] for m in sink.messages] == [world.facilitator.email]  # the coordinator has nothing due
    mail = sink.messages[0]
    body = mail.get_content()
    assert "Heute fällig (2)" in mail["Subject"]
    assert case.reference in body and "Runder Tisch Bahnhof" in body
    assert "Beschwerdelage prüfen" not in body  # references and titles, not what the follow-up says
    assert "https://kokoma.musterstadt.example/tasks/" in body
    assert digest.send_digests(MORNING + timedelta(hours=3)) == 0  # once a day
    assert len(sink.messages) == 1
    rows = {r.user_id: r.status for r in db.session.scalars(select(DigestMail))}
    assert rows[world.facilitator.id] == "sent" and rows[world.coordinator.id] == "skipped"
    assert digest.send_digests(MORNING + timedelta(days=1)) == 1  # the next day again


def test_no_digest_before_the_morning_hour_nor_to_who_switched_it_off(digest_app, sink, client):
    world = World()
    something_due(world)
    assert digest.send_digests(MORNING - timedelta(hours=3)) == 0  # 5:00 in Berlin
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    # the box unticked: the browser sends only the CSRF token
    assert client.post("/tasks/settings", data={"csrf_token": "x"}).status_code == 302
    assert db.session.get(User, world.facilitator.id).digest_enabled is False
    assert digest.send_digests(MORNING) == 0
    assert sink.messages == []


def test_who_lost_the_day_s_work_after_the_morning_s_rows_is_skipped_and_the_round_goes_on(digest_app, sink):
    from kokoma.services import accounts

    world = World()
    something_due(world)
    something_due(world, user=world.coordinator)
    digest._make_rows(digest.local_now(MORNING).date(), MORNING, ("facilitator", "coordinator"))
    accounts.change_role(world.admin, world.facilitator.id, "admin")  # admins have no "Meine Aufgaben"
    assert digest.send_digests(MORNING) == 1
    assert [m["To"] for m in sink.messages] == [world.coordinator.email]
    rows = {r.user_id: (r.status, r.last_error) for r in db.session.scalars(select(DigestMail))}
    assert rows[world.facilitator.id] == ("skipped", "no day's work in this role")


def test_two_workers_at_once_send_each_digest_once(digest_app, sink):
    world = World()
    something_due(world)
    something_due(world, world.coordinator)
    at_once(digest_app, lambda: digest.send_digests(MORNING), threads=2)
    assert sorted(m["To"] for m in sink.messages) == sorted([world.facilitator.email, world.coordinator.email])


@pytest.mark.parametrize("days_ahead", [0, 1])
def test_an_unreachable_mail_server_is_retried(make_app, sink, mail_port, days_ahead):
    """One attempt a round, and the next after a wait counted from the round's moment, also
    for a round whose moment lies ahead of the clock (tomorrow's: the wait was once counted
    from the clock, and the round tried again at once until it gave up)."""
    morning = MORNING + timedelta(days=days_ahead)
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_SECURITY="none", NOTIFY_RETRY_BASE_SECONDS=1)
    with app.test_request_context():
        world = World()
        something_due(world)
        assert digest.send_digests(morning) == 0
        row = db.session.scalars(select(DigestMail).where(DigestMail.user_id == world.facilitator.id)).one()
        assert (row.status, row.attempts) == ("pending", 1) and "Error" in row.last_error
        assert row.next_attempt_at == morning + timedelta(seconds=1)
        app.config["MAIL_PORT"] = mail_port  # the server is reachable again
        db.session.execute(update(DigestMail).values(next_attempt_at=morning))
        db.session.commit()
        assert digest.send_digests(morning + timedelta(minutes=5)) == 1
        assert [m["To"] for m in sink.messages] == [world.facilitator.email]


def test_the_worker_thread_sends_the_digest_without_another_process(make_app, sink, mail_port):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY="none",
                   NOTIFY_BACKGROUND_WORKER=True, NOTIFY_POLL_SECONDS=30, DIGEST_HOUR=0)
    with app.test_request_context():
        world = World()
        case = world.analysed_case()
        measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
            kind="round_table", title="Runder Tisch", planned_at=datetime.now(timezone.utc) - timedelta(hours=1),
            responsible=f"user:{world.facilitator.id}", status="planned"))
    app.extensions["kokoma"].dispatcher.wake()  # what the first request of a process does
    deadline = time.monotonic() + 20
    with app.app_context():
        while time.monotonic() < deadline and db.session.scalar(
                select(DigestMail.status).where(DigestMail.user_id == world.facilitator.id)) != "sent":
            db.session.rollback()
            time.sleep(0.1)
    assert [m["To"] for m in sink.messages] == [world.facilitator.email]  # the round is over: nothing runs on
