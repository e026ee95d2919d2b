"""E-mail and webhooks against a real SMTP server and a real HTTP receiver on loopback."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from kokoma import notifications
from kokoma.database import db, utcnow
from kokoma.defaults.webhook import signature
from kokoma.models import Delivery, Partner
from kokoma.runtime import kokoma
from kokoma.services import cases

from .channels import MailSink, WebhookReceiver
from .conftest import PASSWORD, World, at_once


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture
def channel_app(make_app, mail_port):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY="none",
                   MAIL_SENDER="kokoma@musterstadt.example", BASE_URL="https://kokoma.musterstadt.example",
                   NOTIFY_RETRY_BASE_SECONDS=1)
    with app.test_request_context():
        yield app


def add_partner(municipality, name, **fields):
    partner = Partner(municipality_id=municipality.id, name=name, kind="civil_society", **fields)
    db.session.add(partner)
    db.session.commit()
    return partner


def make_due():
    """Time passes: what waits for a retry is due, and the lease of a worker that died has run out."""
    db.session.execute(update(Delivery).where(Delivery.status.in_(("pending", "sending"))).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_every_subscribed_partner_gets_exactly_one_message_per_event(channel_app, sink, receiver):
    world = World()
    add_partner(world.musterstadt, "Jugendamt", email="jugendamt@musterstadt.example")
    add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    add_partner(world.musterstadt, "Bündnis", email="buendnis@musterstadt.example", webhook_url=receiver.url)
    add_partner(world.other, "Fremd", email="fremd@beispielhausen.example", webhook_url=receiver.url + "?fremd")
    case = world.analysed_case()
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None)
    notifications.deliver_due(kokoma().plugins)

    assert sorted(m["To"] for m in sink.messages) == sorted(
        ["jugendamt@musterstadt.example", "buendnis@musterstadt.example"] * 3
    )
    assert len({m["Message-ID"] for m in sink.messages}) == 6
    first = sink.messages[0]
    assert case.reference in first["Subject"] and "Fall angelegt" in first["Subject"]
    text = first.get_content()
    assert "Guten Tag" in text and "https://kokoma.musterstadt.example/cases/" in text
    assert "Anwohnende" not in text  # parties stay out unless the coordinator allows more

    assert len(receiver.requests) == 6  # Polizei and Bündnis, three events each
    assert all("fremd" not in h.get("host", "") + b.decode() for h, b in receiver.requests)
    assert [b["event"]["kind"] for b in receiver.bodies()].count("transition") == 4
    assert len({b["idempotency_key"] for b in receiver.bodies()}) == 6


def test_webhooks_are_signed_minimal_and_stable(channel_app, receiver):
    world = World()
    partner = add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    detailed = add_partner(world.musterstadt, "Jugendamt", webhook_url=receiver.url + "?details", share_details=True)
    world.analysed_case(description="Nachts Plakate", parties="Initiative X")
    notifications.deliver_due(kokoma().plugins)
    by_partner = {b["partner"]["name"]: (h, raw, b) for (h, raw), b in zip(receiver.requests, receiver.bodies())}

    headers, raw, body = by_partner["Polizei"]
    assert headers["content-type"].startswith("application/json")
    assert headers["x-kokoma-signature"] == signature(partner.webhook_secret, headers["x-kokoma-timestamp"], raw)
    assert headers["x-kokoma-idempotency-key"] == body["idempotency_key"]
    assert body["schema"] == "kokoma.notification/1"
    assert set(body["case"]) == {"reference", "category", "state", "escalation_level", "url"}
    assert body["municipality"] == {"code": "MST", "name": "Stadt Musterstadt"}

    headers, raw, body = by_partner["Jugendamt"]
    assert headers["x-kokoma-signature"] == signature(detailed.webhook_secret, headers["x-kokoma-timestamp"], raw)
    assert body["case"]["description"] == "Nachts Plakate" and body["case"]["parties"] == "Initiative X"


def test_a_webhook_answering_500_is_retried_and_then_succeeds(channel_app, receiver):
    world = World()
    add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    receiver.answers = [500, 500]
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "webhook")).all()
    assert delivery.status == "pending" and "500" in delivery.last_error
    make_due()
    notifications.deliver_due(kokoma().plugins)
    make_due()
    notifications.deliver_due(kokoma().plugins)
    db.session.expire_all()
    delivery = db.session.get(Delivery, delivery.id)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    keys = {h["x-kokoma-idempotency-key"] for h, _b in receiver.requests}
    assert keys == {delivery.idempotency_key} and len(receiver.requests) == 3


def test_with_the_mail_server_down_work_goes_on_and_nothing_is_lost(channel_app, mail_port):
    # Retries come when the test says (make_due), not after a second that a busy machine may take
    # to fail the first fifty attempts.
    channel_app.config["NOTIFY_RETRY_BASE_SECONDS"] = 600
    world = World()
    add_partner(world.musterstadt, "Jugendamt", email="jugendamt@musterstadt.example", events=["transition"])
    worked = [world.analysed_case(title=f"Fall {n}") for n in range(5)]
    for round_ in range(10):
        for case in worked:
            trigger = "start_processing" if round_ % 2 == 0 else "reanalyse"
            moved = cases.fire_trigger(world.facilitator, case.id, trigger, "Neue Lage", None)
            assert moved.case.state in ("processing", "analysis")
    notifications.deliver_due(kokoma().plugins)  # the SMTP server is down: every attempt fails
    email = select(Delivery).where(Delivery.channel == "email")
    pending = db.session.scalars(email).all()
    assert len(pending) == 50 and all(d.status == "pending" and d.last_error for d in pending)

    sink = MailSink(mail_port).start()  # the server is back
    try:
        make_due()
        notifications.deliver_due(kokoma().plugins)
        make_due()
        notifications.deliver_due(kokoma().plugins)  # a second round finds nothing left to send
    finally:
        sink.stop()
    db.session.expire_all()
    assert all(d.status == "sent" for d in db.session.scalars(email))
    keys = [m["X-KoKoMa-Idempotency-Key"] for m in sink.messages]
    assert len(keys) == 50 and set(keys) == {d.idempotency_key for d in pending}


def webhook_cases(receiver, number: int) -> set[str]:
    """A partner with a webhook and ``number`` new cases: the keys of the webhook deliveries."""
    world = World()
    add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    for n in range(number):
        world.case(title=f"Fall {n}")
    keys = {d.idempotency_key for d in webhook_deliveries()}
    assert len(keys) == number
    return keys


def webhook_deliveries():
    return db.session.scalars(select(Delivery).where(Delivery.channel == "webhook")).all()


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing(channel_app, receiver, database_url, tmp_path):
    expected = webhook_cases(receiver, 6)
    receiver.hang_on = 3  # the worker hangs on its third call ...
    env = {**os.environ, "KOKOMA_DATABASE_URL": database_url, "KOKOMA_INSTANCE_PATH": str(tmp_path),
           "KOKOMA_PLUGINS_DIR": "", "KOKOMA_SECRET_KEY": "test", "KOKOMA_WEBHOOK_ALLOW_INTERNAL": "true"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "kokoma", "worker", "--once"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert receiver.arrived.wait(timeout=30), worker.stdout.read1().decode() if worker.poll() else "no call"
        worker.kill()  # ... and is killed there
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    receiver.hang_on = None
    receiver.release.set()
    db.session.rollback()  # see what the worker wrote
    statuses = [d.status for d in webhook_deliveries()]
    assert (statuses.count("sent"), statuses.count("sending"), statuses.count("pending")) == (2, 1, 3)
    # Time passes; the dead worker's lease runs out; another worker takes over.
    make_due()
    notifications.deliver_due(kokoma().plugins)
    db.session.expire_all()
    assert all(d.status == "sent" for d in webhook_deliveries())
    received = [h["x-kokoma-idempotency-key"] for h, _b in receiver.requests]
    assert set(received) == expected  # at least once each; the interrupted one twice, same key


def test_two_live_workers_never_send_one_delivery_twice_to_a_slow_partner(make_app, receiver):
    """Each call takes three times the lease: a live worker keeps its lease while it waits, so the
    other worker never takes the same delivery over. (A lease of 1 s: renewed every third of it,
    a renewal may wait for the other worker's write on SQLite; with 0.5 s, a busy machine once let
    a lease run out between two renewals.)"""
    import time

    app = make_app(NOTIFY_LEASE_SECONDS=1.0, BASE_URL="https://kokoma.musterstadt.example")
    with app.test_request_context():
        expected = webhook_cases(receiver, 4)
    receiver.delay = 3.0

    def worker():  # polls as the background thread does, until nothing is pending
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            notifications.deliver_due(kokoma().plugins)
            db.session.remove()
            if not db.session.scalar(select(Delivery.id).where(Delivery.status == "pending").limit(1)):
                return
            time.sleep(0.1)

    at_once(app, worker)
    received = [h["x-kokoma-idempotency-key"] for h, _b in receiver.requests]
    assert sorted(received) == sorted(expected)  # each once
    with app.app_context():
        assert {d.status for d in webhook_deliveries()} == {"sent"}


def test_an_e_mail_keeps_its_message_id_on_every_attempt(channel_app, sink):
    """A worker that sent an e-mail but died before writing it down: the delivery is made again,
    and the mail system sees the same Message-ID twice."""
    world = World()
    add_partner(world.musterstadt, "Jugendamt", email="jugendamt@musterstadt.example")
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    db.session.execute(update(Delivery).where(Delivery.id == delivery.id).values(status="pending", next_attempt_at=utcnow()))
    db.session.commit()  # as if the outcome had never been written
    notifications.deliver_due(kokoma().plugins)
    assert len(sink.messages) == 2
    first, second = sink.messages
    assert first["Message-ID"] == second["Message-ID"] == f"<{delivery.idempotency_key}.{delivery.partner_id}@musterstadt.example>"
    assert first["X-KoKoMa-Idempotency-Key"] == second["X-KoKoMa-Idempotency-Key"] == delivery.idempotency_key


def test_coordinators_manage_partners_with_clear_messages(channel_app, receiver):
    world = World()
    client = channel_app.test_client()
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert client.get("/partners/").status_code == 403
    client.post("/logout")
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    bad = client.post("/partners/new", data={"name": "Jugendamt", "kind": "youth_welfare", "min_level": "low",
                                             "webhook_url": "ftp://x", "contact": "Frau Kaya"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="webhook_url-error"' in page and "Frau Kaya" in page
    good = client.post("/partners/new", data={
        "name": "Jugendamt", "kind": "youth_welfare", "min_level": "elevated", "email": "ja@musterstadt.example",
        "categories": ["public_space", "polarisation"], "events": ["created", "transition:close"], "active": "y",
    })
    assert good.status_code == 302
    saved = db.session.scalars(select(Partner)).one()
    assert (saved.municipality_id, saved.min_level, saved.categories, saved.events) == (
        world.musterstadt.id, "elevated", ["public_space", "polarisation"], ["created", "transition:close"])
    assert "Jugendamt" in client.get("/partners/").get_data(as_text=True)


def test_the_documented_signature_check_accepts_real_calls_only(channel_app, receiver):
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "notifications.md").read_text()
    code = re.search(r"### Checking the signature.*?```python\n(.*?)```", docs, re.S).group(1)
    namespace = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]
    world = World()
    partner = add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (headers, body), = receiver.requests
    named = {"X-KoKoMa-Timestamp": headers["x-kokoma-timestamp"], "X-KoKoMa-Signature": headers["x-kokoma-signature"]}
    assert verify(partner.webhook_secret, named, body)
    assert not verify(partner.webhook_secret, named, body.replace(b"MST", b"XXX"))
    assert not verify("another key", named, body)


@pytest.fixture
def guarded_app(make_app, mail_port):
    """Webhooks as in production: public addresses only."""
    app = make_app(WEBHOOK_ALLOW_INTERNAL=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY="none")
    with app.test_request_context():
        yield app


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "https://10.1.2.3/hook", "http://[::1]/hook",
                                 "http://169.254.169.254/latest/meta-data", "http://localhost:9200/"])
def test_a_webhook_into_the_own_network_is_refused_at_its_field(guarded_app, url):
    world = World()
    client = guarded_app.test_client()
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    answer = client.post("/partners/new", data={"name": "Intern", "kind": "other", "min_level": "low",
                                                "webhook_url": url, "contact": "Herr Jansen"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="webhook_url-error"' in page
    assert "Netz" in page and "Herr Jansen" in page  # says why, keeps what was typed
    assert db.session.scalars(select(Partner)).all() == []


def test_a_webhook_that_now_leads_inside_fails_its_delivery_and_sends_nothing(guarded_app, receiver):
    world = World()
    add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)  # e.g. its name moved since it was saved
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "webhook")).all()
    assert delivery.status == "pending" and "not a public address" in delivery.last_error
    assert receiver.requests == []


def test_a_webhook_redirect_is_not_followed(channel_app, receiver):
    world = World()
    add_partner(world.musterstadt, "Polizei", webhook_url=receiver.url)
    receiver.answers = [(302, {"Location": receiver.url + "?umgeleitet"})]
    world.case()
    notifications.deliver_due(kokoma().plugins)
    (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "webhook")).all()
    assert delivery.status == "pending" and "302" in delivery.last_error
    assert len(receiver.requests) == 1  # the redirect's target was never called


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with openssl), as (cert, key) paths."""
    import subprocess

    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def server_tls(certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd, with implicit TLS
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_encrypted_with_credentials(make_app, mail_port, certificate, security):
    sink = MailSink(mail_port, tls=server_tls(certificate), implicit_tls=security == "ssl",
                    credentials=("kokoma", "Geheim-2026")).start()
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY=security,
                       MAIL_CA_FILE=str(certificate[0]), MAIL_USERNAME="kokoma", MAIL_PASSWORD="Geheim-2026")
        with app.test_request_context():
            world = World()
            add_partner(world.musterstadt, "Jugendamt", email="jugendamt@musterstadt.example")
            world.case()
            notifications.deliver_due(kokoma().plugins)
            (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
            assert delivery.status == "sent", delivery.last_error
        assert [m["To"] for m in sink.messages] == ["jugendamt@musterstadt.example"]
        assert sink.logins == ["kokoma"]  # the server took mail only over TLS and after this login
    finally:
        sink.stop()


def test_an_untrusted_mail_server_certificate_fails_the_delivery_and_sends_nothing(make_app, mail_port, certificate):
    sink = MailSink(mail_port, tls=server_tls(certificate)).start()
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port, MAIL_SECURITY="starttls")  # no MAIL_CA_FILE
        with app.test_request_context():
            world = World()
            add_partner(world.musterstadt, "Jugendamt", email="jugendamt@musterstadt.example")
            case = world.case()
            notifications.deliver_due(kokoma().plugins)
            (delivery,) = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
            assert delivery.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
            assert db.session.get(type(case), case.id).state == "analysis"  # the case change stands
        assert sink.messages == []
    finally:
        sink.stop()
