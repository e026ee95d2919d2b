"""Signed-in users kept per process on PostgreSQL (kokoma.services.user_cache): reading pages
take the user without a query, every change made anywhere reaches every process through NOTIFY
within milliseconds, changes are checked against the user's row as it is now, and nothing is
kept while changes cannot be heard (a lost or a silent listening connection)."""
import os
import signal
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kokoma.database import db

from .conftest import AuthActions

KEPT_FOR = 300  # seconds: longer than any test, so that only a NOTIFY can end a kept user early


@pytest.fixture
def app(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("users are kept only on PostgreSQL (SQLite loads them without a round trip)")
    return make_app(USER_CACHE_SECONDS=KEPT_FOR)


@pytest.fixture
def elsewhere(database_url):
    """Plain SQL on a connection of its own: another process or host, a command, an operator."""
    engine = create_engine(database_url)

    def run(sql, **params):
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '5s'"))  # a test's open transaction fails it, not hangs it
            connection.execute(text(sql), params)

    yield run
    engine.dispose()


@pytest.fixture
def unheard(elsewhere):
    """``with unheard():`` changes to users send no NOTIFY (its triggers are off meanwhile)."""

    @contextmanager
    def triggers_off():
        elsewhere("ALTER TABLE users DISABLE TRIGGER USER")
        try:
            yield
        finally:
            elsewhere("ALTER TABLE users ENABLE TRIGGER USER")

    return triggers_off


def _listener(app) -> int | None:
    """The database's process id for the app's listening connection."""
    return app.extensions["kokoma_user_cache"].listener_pid


@pytest.fixture
def listeners(database_url):
    """The process ids of all the database's connections that listen for changes to users."""
    engine = create_engine(database_url, poolclass=NullPool)  # nothing pooled for a forked child to share

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'kokoma user cache' AND datname = current_database()"
            )))

    return pids


def _until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within %s s" % seconds
        time.sleep(0.01)


def _loads_user(statements) -> bool:
    """Whether the statements include the signed-in user's load (accounts._USER_BY_ID)."""
    return any("WHERE users.id = %(user_id)s" in statement for statement, _autocommit in statements)


def test_a_reading_page_takes_the_signed_in_user_without_a_query(app, client, auth, world, statements):
    case = world.case()
    auth.login()
    assert client.get("/cases/").status_code == 200  # loads the user and keeps it
    statements.clear()
    page = client.get("/cases/")
    assert page.status_code == 200 and "Jonas Albrecht · Stadt Musterstadt" in page.text
    assert statements and not _loads_user(statements), statements
    kept, _generation = app.extensions["kokoma_user_cache"].get(world.facilitator.id)
    assert kept.name == "Jonas Albrecht" and "password_hash" not in kept.__dict__  # no secret kept
    statements.clear()
    page = client.get(f"/cases/{case.id}")  # writes the access trail with the kept user ...
    assert page.status_code == 200 and "Jonas Albrecht" in page.text
    assert not _loads_user(statements)
    statements.clear()
    assert client.get("/cases/").status_code == 200 and not _loads_user(statements)  # ... and keeps it


@pytest.mark.parametrize("change, shows", [
    ("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'", "Jonas Neumann · Stadt Musterstadt"),
    ("UPDATE municipalities SET name = 'Neustadt' WHERE code = 'MST'", "Jonas Albrecht · Neustadt"),
    ("UPDATE users SET active = false WHERE email = 'fac@mst.example'", None),  # logged out
    ("UPDATE users SET session_token = 'new' WHERE email = 'fac@mst.example'", None),
])
def test_a_change_made_anywhere_reaches_the_kept_user_by_notify(client, auth, world, elsewhere, statements, change, shows):
    auth.login()
    assert client.get("/cases/").status_code == 200
    statements.clear()
    assert client.get("/cases/").status_code == 200 and not _loads_user(statements)  # from the kept copy
    elsewhere(change)

    def seen():
        page = client.get("/cases/")
        return shows in page.text if shows else page.status_code == 302 and "/login" in page.location

    _until(seen, seconds=5)  # kept for 300 s: only the NOTIFY of the change can have ended it


def test_new_cases_and_changes_that_change_nothing_leave_kept_users_alone(client, auth, world, elsewhere, statements):
    auth.login()
    client.get("/cases/")
    world.case()  # moves the municipality's case counter
    elsewhere("UPDATE users SET name = name")  # every user, nothing changed
    time.sleep(0.2)  # time enough for a NOTIFY to arrive, had one been sent
    statements.clear()
    assert client.get("/cases/").status_code == 200 and not _loads_user(statements)


def test_a_change_is_checked_against_the_users_row_as_it_is_now(client, auth, world, elsewhere, unheard):
    case = world.analysed_case()
    auth.login()
    assert client.get("/cases/").status_code == 200
    with unheard():  # changes go unheard ...
        elsewhere("UPDATE users SET active = false WHERE email = 'fac@mst.example'")
        assert client.get("/cases/").status_code == 200  # ... so reading pages still show the kept user,
        response = client.post(f"/cases/{case.id}/transition", data={"trigger": "start_processing", "version": case.version})
        assert response.status_code == 302 and "/login" in response.location  # but a change is refused
    db.session.refresh(case)
    assert case.state == "analysis" and case.version == 1


def test_a_change_committed_in_this_process_is_forgotten_here_before_any_notify(app, client, auth, world, unheard):
    auth.login()
    client.get("/cases/")
    assert client.get("/cases/").status_code == 200  # kept
    admin = app.test_client()
    AuthActions(admin).login("admin@kokoma.example")
    with unheard():  # no NOTIFY to help
        assert admin.post(f"/admin/users/{world.facilitator.id}/active", data={"active": "0"}).status_code == 302
        response = client.get("/cases/")
        assert response.status_code == 302 and "/login" in response.location


def test_a_kept_user_expires_after_user_cache_seconds(make_app, world, elsewhere, unheard):
    app = make_app(USER_CACHE_SECONDS=2)
    client = app.test_client()
    AuthActions(client).login()
    assert "Jonas Albrecht" in client.get("/cases/").text
    kept_at = time.monotonic()
    with unheard():
        elsewhere("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'")
        page = client.get("/cases/").text
        if time.monotonic() - kept_at < 1.5:  # (a very slow machine may have let it expire already)
            assert "Jonas Albrecht" in page  # kept, the change unheard
        time.sleep(max(0.0, kept_at + 2.1 - time.monotonic()))
        assert "Jonas Neumann" in client.get("/cases/").text


def test_nothing_is_kept_while_changes_cannot_be_heard(app, client, auth, world, elsewhere, listeners, statements):
    auth.login()
    client.get("/cases/")
    client.get("/cases/")
    listener = _listener(app)
    elsewhere("SELECT pg_terminate_backend(:pid)", pid=listener)
    _until(lambda: listener not in listeners())
    elsewhere("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'")  # heard by nobody

    statements.clear()
    assert "Jonas Neumann" in client.get("/cases/").text  # the lost connection dropped every kept user
    assert _loads_user(statements)
    assert client.get("/cases/").status_code == 200  # listens again, on a new connection, and keeps
    assert _listener(app) in listeners() and _listener(app) != listener
    statements.clear()
    assert "Jonas Neumann" in client.get("/cases/").text and not _loads_user(statements)


def test_a_listening_connection_that_falls_silent_is_dropped(app, client, auth, world, elsewhere):
    """A network cut closes nothing: the listener's database process is stopped (SIGSTOP), so
    it neither answers nor hangs up, like a connection whose packets are lost."""
    cache = app.extensions["kokoma_user_cache"]
    cache.proof_seconds = 0.5
    auth.login()
    client.get("/cases/")
    assert "Jonas Albrecht" in client.get("/cases/").text
    listener = _listener(app)
    try:
        os.kill(listener, signal.SIGSTOP)
    except PermissionError:
        pytest.skip("stopping a PostgreSQL process needs to run as root or as postgres")
    try:
        elsewhere("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'")  # never heard
        # Kept users are handed out no more (kept for 300 s otherwise) ...
        _until(lambda: "Jonas Neumann" in client.get("/cases/").text, seconds=5)
        # ... and the silent connection is given up for a new one.
        _until(lambda: client.get("/cases/").status_code == 200 and _listener(app) not in (None, listener), seconds=5)
    finally:
        os.kill(listener, signal.SIGCONT)
        elsewhere("SELECT pg_terminate_backend(:pid)", pid=listener)


def test_a_forked_child_listens_on_its_own_and_leaves_the_parents_connection_alone(app, client, auth, world, listeners):
    auth.login()
    client.get("/cases/")
    parent_listener = _listener(app)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            with app.app_context():
                db.engine.dispose(close=False)  # as SQLAlchemy asks of a forked child
            ok = all(client.get("/cases/").status_code == 200 for _ in range(3))
            code = 0 if ok and _listener(app) not in (None, parent_listener) else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (waited := os.waitpid(child, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the forked child did not finish")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(waited[1]) == 0  # 1: it raised; 2: no listener of its own
    assert _listener(app) == parent_listener and parent_listener in listeners()  # not used, not closed
    assert client.get("/cases/").status_code == 200


def test_the_listening_connection_ends_with_the_engine(app, client, auth, world, listeners):
    auth.login()
    client.get("/cases/")
    listener = _listener(app)
    assert listener in listeners()
    with app.app_context():
        db.engine.dispose()
    _until(lambda: listener not in listeners())


def test_nothing_is_kept_on_sqlite_or_when_switched_off(make_app, database_url):
    if database_url.startswith("postgresql"):
        assert "kokoma_user_cache" not in make_app(USER_CACHE_SECONDS=0).extensions
    else:
        assert "kokoma_user_cache" not in make_app(USER_CACHE_SECONDS=KEPT_FOR).extensions
