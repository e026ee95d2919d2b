"""Signed-in users kept per process on PostgreSQL (kokoma.services.user_cache): reading pages
take the user without a query, every change made anywhere reaches every process through NOTIFY
at once, changes are checked against the user's row as it is now, and nothing is kept while
changes cannot be heard."""
import os
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kokoma.database import db

from .conftest import AuthActions
from .test_request_transactions import statements  # noqa: F401 - a fixture

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
    """``with unheard():`` changes to users send no NOTIFY (the trigger is off meanwhile)."""

    @contextmanager
    def trigger_off():
        elsewhere("ALTER TABLE users DISABLE TRIGGER users_notify_change")
        try:
            yield
        finally:
            elsewhere("ALTER TABLE users ENABLE TRIGGER users_notify_change")

    return trigger_off


@pytest.fixture
def listeners(database_url):
    """The process ids of the database connections that listen for changes to users."""
    engine = create_engine(database_url, poolclass=NullPool)  # nothing pooled for a forked child to share

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN kokoma_users%' AND datname = current_database()"
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


def test_a_reading_page_takes_the_signed_in_user_without_a_query(client, auth, world, statements):
    case = world.case()
    auth.login()
    assert client.get("/cases/").status_code == 200  # loads the user and keeps it
    statements.clear()
    page = client.get("/cases/")
    assert page.status_code == 200 and "Jonas Albrecht · Stadt Musterstadt" in page.text
    assert statements and not _loads_user(statements), statements
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
def test_a_change_made_anywhere_reaches_the_kept_user_at_once(client, auth, world, elsewhere, change, shows):
    auth.login()
    assert client.get("/cases/").status_code == 200
    assert client.get("/cases/").status_code == 200  # from the kept copy
    elsewhere(change)

    def seen():
        page = client.get("/cases/")
        return shows in page.text if shows else page.status_code == 302 and "/login" in page.location

    _until(seen, seconds=5)  # kept for 300 s: only the NOTIFY of the change can have ended it


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
    app = make_app(USER_CACHE_SECONDS=0.3)
    client = app.test_client()
    AuthActions(client).login()
    assert "Jonas Albrecht" in client.get("/cases/").text
    with unheard():
        elsewhere("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'")
        assert "Jonas Albrecht" in client.get("/cases/").text  # kept, the change unheard
        time.sleep(0.35)
        assert "Jonas Neumann" in client.get("/cases/").text


def test_nothing_is_kept_while_changes_cannot_be_heard(client, auth, world, elsewhere, listeners, statements):
    auth.login()
    client.get("/cases/")
    client.get("/cases/")
    [listener] = listeners()
    elsewhere("SELECT pg_terminate_backend(:pid)", pid=listener)
    _until(lambda: listener not in listeners())
    elsewhere("UPDATE users SET name = 'Jonas Neumann' WHERE email = 'fac@mst.example'")  # heard by nobody

    statements.clear()
    assert "Jonas Neumann" in client.get("/cases/").text  # the lost connection dropped every kept user
    assert _loads_user(statements)
    assert client.get("/cases/").status_code == 200  # listens again, on a new connection, and keeps
    assert len(listeners()) == 1 and listener not in listeners()
    statements.clear()
    assert "Jonas Neumann" in client.get("/cases/").text and not _loads_user(statements)


def test_a_forked_child_listens_on_its_own_and_leaves_the_parents_connection_alone(app, client, auth, world, listeners):
    auth.login()
    client.get("/cases/")
    [parent_listener] = listeners()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            with app.app_context():
                db.engine.dispose(close=False)  # as SQLAlchemy asks of a forked child
            ok = all(client.get("/cases/").status_code == 200 for _ in range(3))
            code = 0 if ok and len(listeners()) == 2 else 1
        finally:
            os._exit(code)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent_listener in listeners()  # the child neither used nor closed it
    assert client.get("/cases/").status_code == 200


def test_the_listening_connection_ends_with_the_engine(app, client, auth, world, listeners):
    auth.login()
    client.get("/cases/")
    assert len(listeners()) == 1
    with app.app_context():
        db.engine.dispose()
    _until(lambda: not listeners())


def test_nothing_is_kept_on_sqlite_or_when_switched_off(make_app, database_url):
    if database_url.startswith("postgresql"):
        assert "kokoma_user_cache" not in make_app(USER_CACHE_SECONDS=0).extensions
    else:
        assert "kokoma_user_cache" not in make_app(USER_CACHE_SECONDS=KEPT_FOR).extensions
