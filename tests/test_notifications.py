"""The outbox: deliveries written with their event, claimed by workers, retried, never lost."""
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kokoma import notifications
from kokoma.database import db, utcnow
from kokoma.models import Delivery, Partner
from kokoma.runtime import kokoma
from kokoma.services import cases

from .conftest import PASSWORD, World, at_once

RECORDING_PLUGIN = '''
import threading
from kokoma import hookimpl

CALLS = []
FAIL_TIMES = {"n": 0}
LOCK = threading.Lock()


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    with LOCK:
        if FAIL_TIMES["n"] > 0:
            FAIL_TIMES["n"] -= 1
            raise ConnectionError("partner system unreachable")
        CALLS.append((case.reference, event.kind, event.trigger, [p.name for p in partners], delivery.idempotency_key))
'''


@pytest.fixture
def notify_app(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "recorder.py").write_text(textwrap.dedent(RECORDING_PLUGIN))
    app = make_app(PLUGINS_DIR=str(folder), NOTIFY_RETRY_BASE_SECONDS=60)
    with app.test_request_context():
        yield app


def recorder():
    return sys.modules["kokoma_local_plugins.recorder"]


def partner(municipality, name, **fields):
    p = Partner(municipality_id=municipality.id, name=name, kind="youth_welfare", email=f"{len(name)}@x.example", **fields)
    db.session.add(p)
    db.session.commit()
    return p


def recorded(channel="plugins/recorder"):
    return db.session.scalars(select(Delivery).where(Delivery.channel == channel).order_by(Delivery.id)).all()


def test_each_subscribed_partner_gets_each_event_once(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    partner(world.musterstadt, "Alte Adresse", active=False)
    partner(world.other, "Polizei Beispielhausen")
    case = world.analysed_case()
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    assert recorder().CALLS == []  # nothing is sent inside the transaction
    assert notifications.deliver_due(kokoma().plugins) > 0
    calls = [(ref, kind, names) for ref, kind, _trigger, names, _key in recorder().CALLS]
    assert calls == [(case.reference, "created", ["Jugendamt"]), (case.reference, "transition", ["Jugendamt"])]
    assert notifications.deliver_due(kokoma().plugins) == 0
    assert len(recorder().CALLS) == 2


def test_comments_and_measures_stay_inside_the_tandem(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    case = world.case()
    cases.add_comment(world.facilitator, case.id, "intern")
    world.measure(case, kind="dialogue", title="intern")
    notifications.deliver_due(kokoma().plugins)
    assert [c[1] for c in recorder().CALLS] == ["created"]


@pytest.mark.parametrize(
    "subscription, expected",
    [
        ({}, ["created", "transition", "transition"]),
        ({"events": ["transition"]}, ["transition", "transition"]),
        ({"events": ["transition:close"]}, ["transition"]),
        ({"categories": ["polarisation"]}, []),
        ({"categories": ["public_space"]}, ["created", "transition", "transition"]),
        ({"min_level": "elevated"}, []),
    ],
)
def test_subscriptions_filter_by_event_category_and_level(notify_app, subscription, expected):
    world = World()
    partner(world.musterstadt, "Partner", **subscription)
    case = world.analysed_case()  # public_space, Glasl 3: low
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    cases.fire_trigger(world.facilitator, case.id, "close", "erledigt", None)
    notifications.deliver_due(kokoma().plugins)
    assert [c[1] for c in recorder().CALLS] == expected


def test_an_escalation_alert_once_per_crossing(notify_app):
    world = World()
    partner(world.musterstadt, "Polizei", events=["escalation_raised"])
    case = world.analysed_case(glasl_stage=2)

    def edit(stage, violence=False):
        current = db.session.get(type(case), case.id)
        data = cases.CaseInput(title=current.title, category=current.category, glasl_stage=stage,
                               violence_reported=violence, facilitator_id=current.facilitator_id)
        cases.update_case(world.facilitator, case.id, current.version, data)

    edit(4)   # low -> elevated: alert
    edit(5)   # still elevated: none
    edit(6, violence=True)  # elevated -> high: alert
    edit(2)   # falls: none
    edit(9)   # low -> critical: one alert for the jump
    notifications.deliver_due(kokoma().plugins)
    assert [c[1] for c in recorder().CALLS] == ["escalation_raised"] * 3


def test_a_failing_delivery_is_retried_later_and_never_undoes_the_change(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    recorder().FAIL_TIMES["n"] = 2
    case = world.analysed_case()
    moved = cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None).case
    assert moved.state == "processing"
    notifications.deliver_due(kokoma().plugins)
    pending = recorded()
    assert [d.status for d in pending] == ["pending", "pending"]
    assert "partner system unreachable" in pending[0].last_error
    assert timedelta(seconds=50) < pending[0].next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert notifications.deliver_due(kokoma().plugins) == 0  # not due yet
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert notifications.deliver_due(kokoma().plugins) == 2  # only the two waiting ones
    db.session.expire_all()
    assert [d.status for d in recorded()] == ["sent", "sent"]
    keys = [c[4] for c in recorder().CALLS]
    assert sorted(keys) == sorted(d.idempotency_key for d in recorded())


def test_the_retry_delay_doubles_and_gives_up_after_the_limit(notify_app):
    notify_app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    world = World()
    partner(world.musterstadt, "Jugendamt")
    recorder().FAIL_TIMES["n"] = 99
    world.case()
    delays = []
    for _ in range(3):
        db.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        db.session.commit()
        notifications.deliver_due(kokoma().plugins)
        db.session.expire_all()
        (delivery,) = recorded()
        delays.append(round((delivery.next_attempt_at - utcnow()).total_seconds() / 60))
    assert delays[:2] == [1, 2]
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_two_workers_at_once_never_send_twice(notify_app):
    world = World()
    for n in range(3):
        partner(world.musterstadt, f"Partner {n}")
    for n in range(10):
        world.case(title=f"Fall {n}")
    at_once(notify_app, lambda: notifications.deliver_due(kokoma().plugins))
    keys = [c[4] for c in recorder().CALLS]
    assert len(keys) == 30 and len(set(keys)) == 30


def test_an_expired_lease_is_taken_over(notify_app):
    """A worker that died holding deliveries: after the lease they are delivered again."""
    world = World()
    partner(world.musterstadt, "Jugendamt")
    world.case()
    claimed = notifications.claim_due(10)  # ... and then the worker dies
    assert len(claimed) == 3 and notifications.deliver_due(kokoma().plugins) == 0  # e-mail, webhook, recorder
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert notifications.deliver_due(kokoma().plugins) == 3
    assert len(recorder().CALLS) == 1


def test_worker_command_delivers_what_is_due(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    world.case()
    result = notify_app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "delivery attempt(s)" in result.output
    assert [c[1] for c in recorder().CALLS] == ["created"]


def test_the_background_worker_delivers_without_a_second_process(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "recorder.py").write_text(textwrap.dedent(RECORDING_PLUGIN))
    app = make_app(PLUGINS_DIR=str(folder), NOTIFY_BACKGROUND_WORKER=True, NOTIFY_POLL_SECONDS=30)
    with app.test_request_context():
        world = World()
        partner(world.musterstadt, "Jugendamt")
        world.case()  # the commit wakes the worker thread
        import time

        deadline = time.monotonic() + 10
        while not recorder().CALLS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [c[1] for c in recorder().CALLS] == ["created"]


def test_stopping_the_background_worker_waits_for_its_round(app):
    """An app torn down (tests empty their tables after) must not have a round still writing."""
    import threading
    import time

    from kokoma.notifications.worker import BackgroundDispatcher

    started, finished = threading.Event(), []

    def slow_round():
        started.set()
        time.sleep(0.3)
        finished.append(True)

    dispatcher = BackgroundDispatcher(app, interval=30, work=slow_round)
    dispatcher.wake()
    assert started.wait(5)
    dispatcher.stop()
    assert finished == [True]


def test_a_failed_delivery_can_be_sent_again_from_the_page(notify_app):
    notify_app.config["NOTIFY_MAX_ATTEMPTS"] = 1
    world = World()
    partner(world.musterstadt, "Jugendamt")
    recorder().FAIL_TIMES["n"] = 1
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (failed,) = recorded()
    assert failed.status == "failed"
    client = notify_app.test_client()
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    page = client.get("/partners/deliveries").get_data(as_text=True)
    assert "partner system unreachable" in page and "Jugendamt" in page
    assert client.post(f"/partners/deliveries/{failed.id}/retry").status_code == 302
    notifications.deliver_due(kokoma().plugins)
    db.session.expire_all()
    assert recorded()[0].status == "sent"


def test_a_delivery_being_sent_is_not_handed_to_a_second_worker_by_send_again(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    world.case()
    held = notifications.claim_due(1)  # worker A: its channel is at work
    client = notify_app.test_client()
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    page = client.get("/partners/deliveries").get_data(as_text=True)
    assert page.count("wird gesendet") == 1 and page.count("/retry") == 2  # the others can be sent again
    assert f"/partners/deliveries/{held[0].id}/retry" not in page
    refused = client.post(f"/partners/deliveries/{held[0].id}/retry", follow_redirects=True)
    assert "Diese Nachricht wird gerade gesendet" in refused.get_data(as_text=True)
    assert held[0].id not in [c.id for c in notifications.claim_due(10)]  # worker B takes the others only


def test_a_worker_whose_lease_was_taken_over_does_not_write_its_outcome(notify_app):
    notify_app.config["NOTIFY_MAX_ATTEMPTS"] = 1
    world = World()
    partner(world.musterstadt, "Jugendamt")
    world.case()
    stale = notifications.claim_due(10)  # worker A, whose lease then runs out
    db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert notifications.deliver_due(kokoma().plugins) == 3  # worker B delivers all three
    recorder().FAIL_TIMES["n"] = 1
    notifications.deliver_claimed(kokoma().plugins, next(c for c in stale if c.id == recorded()[0].id))
    db.session.expire_all()
    (delivery,) = recorded()
    assert (delivery.status, delivery.attempts, delivery.lease_token) == ("sent", 1, None)  # not "failed" over it


def test_the_case_page_shows_its_queued_notifications(notify_app):
    world = World()
    partner(world.musterstadt, "Jugendamt")
    case = world.case()
    client = notify_app.test_client()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Benachrichtigungen an Partner" in page and "Jugendamt" in page and "wartet" in page
    notifications.deliver_due(kokoma().plugins)
    assert "zugestellt" in client.get(f"/cases/{case.id}").get_data(as_text=True)
