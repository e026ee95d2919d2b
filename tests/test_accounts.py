"""Accounts and security: hashing, password rules, rate limits, sessions, headers, invitations."""
import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from kokoma.database import db
from kokoma.models import CaseAccess, LoginSession, User
from kokoma.services import accounts
from kokoma.services.errors import ValidationError

from .conftest import PASSWORD, World


def test_passwords_are_hashed_with_argon2id(world):
    assert world.facilitator.password_hash.startswith("$argon2id$")


def test_an_old_werkzeug_hash_is_upgraded_at_login(world):
    user = world.facilitator
    user.password_hash = generate_password_hash(PASSWORD, method="scrypt")
    db.session.commit()
    assert accounts.authenticate(user.email, "wrong password") is None
    assert accounts.authenticate(user.email, PASSWORD) == user
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")


def test_weaker_argon2_parameters_are_upgraded_at_login(app, world):
    app.config["PASSWORD_HASH_PARAMS"] = {"time_cost": 2, "memory_cost": 2048, "parallelism": 1}
    accounts.authenticate(world.facilitator.email, PASSWORD)
    assert "m=2048,t=2" in db.session.get(User, world.facilitator.id).password_hash


WEAK_PASSWORDS = [  # (password, words of the German reason)
    ("kurz", "mindestens 12 Zeichen"),
    ("aaaaaaaaaaaaaaa", "wiederholt"),
    ("abcabcabcabc", "wiederholt"),
    ("Winter2026Winter2026", "wiederholt"),
    ("123456789012", "Ziffernfolge"),
    ("839201748392", "Ziffernfolge"),
    ("Marktplatz-48291736", "Ziffernfolge"),
    ("qwertzuiopü+", "Tastatur"),
    ("yxcvbnm,.-12", "Tastatur"),
    ("asdfghjklöä1", "Tastatur"),
    ("abcdefghijk1", "Folge"),
    ("passwort1234", "häufiges Wort"),
    ("Passwort2026!", "häufiges Wort"),
    ("Sommer2026!!", "häufiges Wort"),
    ("Frühling2026!", "häufiges Wort"),
    ("Fruehling2026!", "häufiges Wort"),
    ("Deutschland1990", "Jahreszahl"),
    ("Willkommen123", "häufiges Wort"),
    ("drowssap1234", "rückwärts"),
    ("P4ssw0rt!2026", "ersetzt"),
    ("anna.roth-2026!", "Ihren Namen"),
    ("Anna Roth 1985!!", "Ihren Namen"),
    ("coesfeld-2026!", "E-Mail-Adresse"),
    ("Kokoma-Demo-2026", "veröffentlicht"),
    ("Correct horse battery", "veröffentlicht"),
    ("Kokoma2026Konflikt", "KoKoMa"),
]
STRONG_PASSWORDS = [
    "Kastanie Fahrrad 2026", "Mein Hund heißt Bello!", "Brötchen zum Frühstück", "Regenschirm+Sonnenbrille",
    "ein sicherer Satz 42", PASSWORD, "Tandem am Marktbrunnen 7",
]


@pytest.mark.parametrize("password, words", WEAK_PASSWORDS)
def test_weak_passwords_are_refused_with_the_reason_in_words(ctx, password, words):
    with pytest.raises(ValidationError) as refused:
        accounts.create_user(email="anna.roth@coesfeld.example", name="Anna Roth", password=password,
                             role="advisor", municipality=None)
    message = refused.value.errors["password"]
    assert words in message, message
    if words != "mindestens 12 Zeichen":
        assert message.startswith("Dieses Passwort ist zu leicht zu erraten.")


@pytest.mark.parametrize("password", STRONG_PASSWORDS)
def test_strong_passwords_are_accepted(ctx, password):
    assert accounts.password_problems(password, email="anna.roth@coesfeld.example", name="Anna Roth") == []


def test_the_estimate_knows_german_words_and_the_german_keyboard(ctx):
    from zxcvbn import zxcvbn

    found = {m["token"]: (m["pattern"], m.get("dictionary_name", m.get("graph")))
             for m in zxcvbn("Schatzi-yxcvbn", user_inputs=[])["sequence"]}
    assert found["Schatzi"] == ("dictionary", "german") and found["yxcvbn"][0] in ("spatial", "dictionary")
    rows = zxcvbn("ztrewq-ölkjhg", user_inputs=[])["sequence"]  # rows of the German keyboard, backwards
    assert [(m["pattern"], m["graph"]) for m in rows] == [("spatial", "qwertz")] * 2


def test_very_long_passwords_are_estimated_without_error(ctx):
    assert accounts.password_problems("Gelbe Tulpen im Mai " * 10) == []
    assert accounts.password_problems("a" * 200)


def test_failed_logins_are_rate_limited(client, world):
    for _ in range(10):
        assert client.post("/login", data={"email": world.facilitator.email, "password": "falsch falsch"}).status_code == 422
    blocked = client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert blocked.status_code == 429
    # The minute's end, then a tenth of a minute until the 10 weigh 9 (a sliding window).
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60 + 6
    page = blocked.get_data(as_text=True)
    assert f'value="{world.facilitator.email}"' in page  # what was typed stays
    assert "Zu viele fehlgeschlagene Anmeldungen" in page and 'id="password-error"' in page


def test_configured_default_limits_apply_to_every_page(make_app):
    """Only the login form is limited out of the box; limits for all pages work when configured."""
    from kokoma.extensions import limiter

    try:
        client = make_app(RATELIMIT_DEFAULT="3 per minute").test_client()
        assert [client.get("/healthz").status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        limiter.limit_manager.set_default_limits([])  # Flask-Limiter keeps them on its one instance
    app = make_app()
    assert app.config["RATELIMIT_ENABLED"] is False  # no limits on every page: nothing checked per request
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(5)} == {200}


def test_successful_logins_do_not_count_against_the_limit(client, world):
    for _ in range(12):
        assert client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD}).status_code == 302
        client.post("/logout")


WRONG = "falsch falsch"


def test_two_worker_processes_share_one_count_without_redis(make_app):
    """Two apps on one database are two gunicorn workers: the count is the database's."""
    first = make_app(LOGIN_RATE_LIMIT="3 per minute")
    second = make_app(LOGIN_RATE_LIMIT="3 per minute")
    assert first.config["RATELIMIT_STORAGE_URI"] == "memory://"  # the default set-up
    with first.test_request_context():
        World()
    data = {"email": "fac@mst.example", "password": WRONG}
    assert [first.test_client().post("/login", data=data).status_code for _ in range(2)] == [422, 422]
    assert second.test_client().post("/login", data=data).status_code == 422
    assert first.test_client().post("/login", data=data).status_code == 429
    assert second.test_client().post("/login", data=data).status_code == 429


SECOND_WORKER = """
import json, sys
from kokoma import create_app
config = json.loads(sys.argv[1])
client = create_app(config).test_client()
data = {"email": "fac@mst.example", "password": "falsch falsch"}
print(json.dumps([client.post("/login", data=data).status_code for _ in range(int(sys.argv[2]))]))
"""


def test_a_worker_in_another_process_sees_the_same_count(make_app):
    """A real second process (as a gunicorn worker is): nothing is shared but the database. (A
    window of an hour: a slow second process must not start in the next window.)"""
    import json
    import subprocess
    import sys

    app = make_app(LOGIN_RATE_LIMIT="3 per hour")
    with app.test_request_context():
        World()
    assert [app.test_client().post("/login", data={"email": "fac@mst.example", "password": WRONG}).status_code
            for _ in range(2)] == [422, 422]
    config = {key: app.config[key] for key in (
        "TESTING", "INSTANCE_PATH", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PLUGINS_DIR", "LOAD_ENTRYPOINT_PLUGINS",
        "WTF_CSRF_ENABLED", "NOTIFY_BACKGROUND_WORKER", "PASSWORD_HASH_PARAMS", "LOGIN_RATE_LIMIT")}
    other = subprocess.run([sys.executable, "-c", SECOND_WORKER, json.dumps(config), "2"],
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout.strip().splitlines()[-1]) == [422, 429]


def test_the_owner_logs_in_from_another_address_while_an_attacker_is_limited(make_app):
    app = make_app(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="3 per minute")
    with app.test_request_context():
        World()
    attacker, owner = app.test_client(), app.test_client()

    def login(client, address, password):
        return client.post("/login", data={"email": "fac@mst.example", "password": password},
                           headers={"X-Forwarded-For": address}).status_code

    assert [login(attacker, "203.0.113.5", WRONG) for _ in range(4)] == [422, 422, 422, 429]
    assert login(attacker, "203.0.113.5", PASSWORD) == 429  # limited there, even with the password
    assert login(owner, "198.51.100.7", PASSWORD) == 302
    assert owner.get("/cases/").status_code == 200


def test_many_addresses_against_one_account_meet_the_account_limit(make_app):
    app = make_app(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="5 per hour")
    with app.test_request_context():
        World()
    client = app.test_client()

    def login(address, password=WRONG):
        return client.post("/login", data={"email": "fac@mst.example", "password": password},
                           headers={"X-Forwarded-For": address}).status_code

    assert [login(f"203.0.113.{n}") for n in range(1, 7)] == [422] * 5 + [429]
    blocked = client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD},
                          headers={"X-Forwarded-For": "198.51.100.7"})
    # The hour's end, then a fifth of an hour until the 5 weigh 4 (a sliding window).
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) <= 3600 + 720
    # Another account is not touched.
    assert client.post("/login", data={"email": "coord@mst.example", "password": PASSWORD},
                       headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 302


def test_no_address_or_e_mail_is_stored_in_the_clear(client, world):
    client.post("/login", data={"email": world.facilitator.email, "password": WRONG})
    from kokoma.models import LoginCount

    keys = db.session.scalars(select(LoginCount.key_hash)).all()
    assert len(keys) == 5 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)  # 2 + 2 + 1 limits


def test_page_limits_are_shared_through_redis_when_configured(make_app):
    """Redis is only needed for limits on every page (RATELIMIT_DEFAULT), if an operator sets them."""
    import redis

    from kokoma.extensions import limiter

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    redis.Redis(host="127.0.0.1", port=6379).flushdb()
    try:
        first = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_DEFAULT="3 per minute")
        second = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_DEFAULT="3 per minute")
        assert [first.test_client().get("/healthz").status_code for _ in range(3)] == [200] * 3
        assert second.test_client().get("/healthz").status_code == 429
    finally:
        limiter.limit_manager.set_default_limits([])
        redis.Redis(host="127.0.0.1", port=6379).flushdb()


def test_session_cookie_flags(client, world, app):
    response = client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from kokoma.config import Defaults

    assert Defaults.SESSION_COOKIE_SECURE is True  # production default; the tests speak HTTP


def test_login_starts_a_new_session(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_needs_post_and_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        World()
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no token: refused, still logged in
    assert client.get("/cases/").status_code == 200
    page = client.get("/cases/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/cases/").status_code == 302


def _logged_in_with_csrf(app, email="fac@mst.example"):
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def _page_token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/cases/").get_data(as_text=True)).group(1)


def test_a_csrf_token_works_only_for_its_own_session(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        World()
    first, other = _logged_in_with_csrf(app), _logged_in_with_csrf(app, "fac@bhn.example")
    assert first.post("/logout", data={"csrf_token": _page_token(other)}).status_code == 400  # not another's
    assert first.post("/logout", data={"csrf_token": _page_token(first)}).status_code == 302


def test_deactivating_a_user_ends_their_sessions(client, world):
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert client.get("/cases/").status_code == 200
    accounts.set_active(world.coordinator, world.facilitator.id, False)
    assert client.get("/cases/").status_code == 302
    assert client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD}).status_code == 422


def _copied_cookie(client) -> str:
    return client.get_cookie("kokoma_session").value


def _client_with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("kokoma_session", value)
    return other


def _comments(case_id) -> int:
    from kokoma.models import CaseEvent

    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == "comment"))


def test_a_cookie_copied_before_logout_is_useless_after_it(app, make_app, client, world):
    """Logging out ends the session itself, not only the browser's copy of the cookie."""
    case = world.case()
    assert client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD}).status_code == 302
    copy = _copied_cookie(client)
    thief = _client_with_cookie(app, copy)
    assert thief.get(f"/cases/{case.id}").status_code == 200  # the copy works while the session lasts
    assert client.post("/logout").status_code == 302
    another_worker = make_app()  # a second app on the same database: another worker process
    for other_worker in (thief, _client_with_cookie(another_worker, copy)):
        assert other_worker.get(f"/cases/{case.id}").status_code == 302
        response = other_worker.post(f"/cases/{case.id}/comment", data={"text": "nach dem Abmelden"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _comments(case.id) == 0


def test_logging_out_on_one_device_keeps_the_others(app, world):
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        assert device.post("/login", data={"email": world.facilitator.email, "password": PASSWORD}).status_code == 302
    assert laptop.post("/logout").status_code == 302
    assert laptop.get("/cases/").status_code == 302
    assert phone.get("/cases/").status_code == 200


def test_deactivation_ends_every_session_of_the_account(app, world):
    devices = [app.test_client() for _ in range(3)]
    for device in devices:
        device.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    copies = [_copied_cookie(device) for device in devices]
    accounts.set_active(world.coordinator, world.facilitator.id, False)
    accounts.set_active(world.coordinator, world.facilitator.id, True)  # back, but the old sessions stay ended
    assert [_client_with_cookie(app, copy).get("/cases/").status_code for copy in copies] == [302, 302, 302]
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_an_idle_or_old_session_runs_out(app, client, world):
    from datetime import timedelta

    from kokoma.database import utcnow

    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    login = db.session.scalars(select(LoginSession)).one()
    login.last_seen_at = utcnow() - timedelta(seconds=app.config["LOGIN_SESSION_IDLE_TIMEOUT"] + 1)
    db.session.commit()
    assert client.get("/cases/").status_code == 302
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1  # the idle one was cleared away
    login = db.session.scalars(select(LoginSession)).one()
    login.created_at = utcnow() - timedelta(seconds=app.config["LOGIN_SESSION_MAX_AGE"] + 1)
    db.session.commit()
    assert client.get("/cases/").status_code == 302


def test_a_session_is_seen_now_and_then_not_on_every_request(client, world):
    from datetime import timedelta

    from kokoma.database import utcnow

    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    login = db.session.scalars(select(LoginSession)).one()
    seen = login.last_seen_at
    client.get("/cases/")
    db.session.refresh(login)
    assert login.last_seen_at == seen
    login.last_seen_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    client.get("/cases/")
    db.session.refresh(login)
    assert login.last_seen_at > utcnow() - timedelta(minutes=1)


def test_a_role_change_ends_the_sessions_too(client, world):
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    accounts.change_role(world.coordinator, world.facilitator.id, "coordinator")
    assert client.get("/cases/").status_code == 302


def test_security_headers_and_a_strict_csp(client, world):
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    response = client.get("/cases/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_style():
    """What the CSP would block must not be there in the first place."""
    from pathlib import Path

    for path in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert not re.search(r"\sstyle\s*=|<style", text), path


def test_invitation_flow(client, world):
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    response = client.post("/admin/users", data={"name": "Neue Kollegin", "email": "neu@mst.example", "role": "facilitator"})
    page = response.get_data(as_text=True)
    link = re.search(r'id="invitation-link" type="text" readonly value="https?://[^/]+(/invitation/[^"]+)"', page).group(1)
    invited = db.session.scalars(select(User).where(User.email == "neu@mst.example")).one()
    assert (invited.municipality_id, invited.role, invited.password_hash) == (world.musterstadt.id, "facilitator", "")
    client.post("/logout")
    assert client.post("/login", data={"email": "neu@mst.example", "password": ""}).status_code == 422
    weak = client.post(link, data={"password": "kurz", "confirm": "kurz"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.get_data(as_text=True)
    # password managers offer a new password there, and fill in the login (WCAG 1.3.5)
    assert len(re.findall(r'<input[^>]*autocomplete="new-password"[^>]*type="password"', weak.get_data(as_text=True))) == 2
    login_page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*autocomplete="username"[^>]*id="email"[^>]*type="email"', login_page)
    assert re.search(r'<input[^>]*autocomplete="current-password"[^>]*id="password"', login_page)
    assert client.post(link, data={"password": "ein sicherer Satz 42", "confirm": "ein sicherer Satz 42"}).status_code == 302
    assert client.get(link).status_code == 404  # used up
    assert client.post("/login", data={"email": "neu@mst.example", "password": "ein sicherer Satz 42"}).status_code == 302


def test_inviting_an_address_of_another_municipality_reveals_nothing(client, world):
    """A coordinator learns neither that the account exists nor where: the same neutral answer
    for another municipality's facilitator and for an advisor, and nothing changes."""
    before = db.session.execute(select(User.id, User.email, User.name, User.role, User.municipality_id,
                                       User.password_hash).order_by(User.id)).all()
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    answers = []
    for email in (world.outsider.email, world.other_advisor.email.upper()):
        response = client.post("/admin/users", data={"name": "Neue Kollegin", "email": email, "role": "facilitator"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "bereits ein Konto" not in page and world.other.name not in page and "invitation-link" not in page
        assert f'value="{email}"' in page  # what was typed stays
        answers.append(re.search(r'id="email-error"[^>]*>(.*?)</', page, re.S).group(1).strip())
    assert answers[0] == answers[1] == "Diese E-Mail-Adresse kann hier nicht eingeladen werden. " \
        "Bitte prüfen Sie sie oder wenden Sie sich an die Administration."
    db.session.expire_all()
    assert db.session.execute(select(User.id, User.email, User.name, User.role, User.municipality_id,
                                     User.password_hash).order_by(User.id)).all() == before
    # Within their own municipality, the coordinator sees the account anyway and is told so.
    own = client.post("/admin/users", data={"name": "X", "email": world.facilitator.email, "role": "facilitator"})
    assert "bereits ein Konto" in own.get_data(as_text=True)


def test_an_admin_is_told_that_the_address_is_in_use(client, world):
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    response = client.post("/admin/users", data={"name": "X", "email": world.outsider.email, "role": "facilitator",
                                                 "municipality_id": world.musterstadt.id})
    assert response.status_code == 422 and "bereits ein Konto" in response.get_data(as_text=True)


def test_a_coordinator_cannot_create_advisors_or_admins(client, world):
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    response = client.post("/admin/users", data={"name": "X", "email": "x@mst.example", "role": "admin"})
    assert response.status_code == 422
    assert db.session.scalars(select(User).where(User.email == "x@mst.example")).first() is None


def test_admin_assigns_advisors_and_adds_municipalities(client, world):
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    assert client.post("/admin/municipalities", data={"code": "COE", "name": "Stadt Coesfeld"}).status_code == 302
    bad = client.post("/admin/municipalities", data={"code": "coe!", "name": ""})
    assert bad.status_code == 422 and 'id="code-error"' in bad.get_data(as_text=True)
    coe = accounts.municipality_by_code("COE")
    assert client.post("/admin/assignments", data={"advisor_id": world.advisor.id, "municipality_id": coe.id}).status_code == 302
    assert coe.id in {m.id for m in [coe]}
    again = client.post("/admin/assignments", data={"advisor_id": world.advisor.id, "municipality_id": coe.id})
    assert again.status_code == 422


def test_the_access_trail_records_who_opened_which_case(client, world):
    case = world.case()
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    client.get(f"/cases/{case.id}")
    client.post("/logout")
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    page = client.get("/admin/access-log").get_data(as_text=True)
    assert world.advisor.name in page and case.reference in page
    entry = db.session.scalars(select(CaseAccess).where(CaseAccess.action == "view")).one()
    entry.action = "tampered"
    from kokoma.models.event import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_the_access_trail_shows_only_the_own_municipality(client, world):
    foreign = world.case(user=world.outsider)
    client.post("/login", data={"email": world.outsider.email, "password": PASSWORD})
    client.get(f"/cases/{foreign.id}")
    client.post("/logout")
    client.post("/login", data={"email": world.coordinator.email, "password": PASSWORD})
    assert foreign.reference not in client.get("/admin/access-log").get_data(as_text=True)


def test_with_redis_down_the_login_limit_still_holds(make_app):
    """The login limit is counted in the database; the page limits' storage does not matter."""
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1", LOGIN_RATE_LIMIT="2 per minute")
    with app.test_request_context():
        World()
    client = app.test_client()
    data = {"email": "fac@mst.example", "password": "falsch falsch"}
    assert [client.post("/login", data=data).status_code for _ in range(3)] == [422, 422, 429]
    assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 429


def test_behind_a_trusted_proxy_limits_count_per_client(make_app):
    app = make_app(TRUSTED_PROXIES=1, LOGIN_ADDRESS_RATE_LIMIT="2 per minute")
    with app.test_request_context():
        World()
    client = app.test_client()
    data = {"email": "nobody@mst.example", "password": "falsch falsch"}

    def attempt(address, email="nobody@mst.example"):
        return client.post("/login", data={**data, "email": email}, headers={"X-Forwarded-For": address}).status_code

    assert [attempt("203.0.113.5", f"a{n}@x.example") for n in range(3)] == [422, 422, 429]
    assert attempt("203.0.113.6", "other@x.example") == 422  # another client is not blocked


def test_a_session_first_loaded_inside_a_change_is_not_touched_there(ctx, world):
    """Writing last_seen_at there would end the change's transaction half-way: it waits."""
    from datetime import timedelta

    from kokoma.database import utcnow, write_transaction

    token = accounts.start_session(world.facilitator).login_token
    login = db.session.scalars(select(LoginSession)).one()
    login.last_seen_at = old = utcnow() - timedelta(minutes=10)
    db.session.commit()
    with write_transaction() as session:
        assert accounts.user_for_session(token).id == world.facilitator.id
        session.add(login)  # the change goes on in its transaction
    db.session.refresh(login)
    assert login.last_seen_at == old
    assert accounts.user_for_session(token).id == world.facilitator.id
    db.session.refresh(login)
    assert login.last_seen_at > old
