"""How a request's database transaction ends (kokoma.database.end_request_transactions): with
COMMIT where it only read, so that psycopg keeps its prepared statements; rolled back where it
failed or left changes outside ``write_transaction``."""
import pytest
from flask import appcontext_tearing_down, request_started
from sqlalchemy import event, text

from kokoma.database import db
from kokoma.models import Case

from .test_query_plans import seed


@pytest.fixture
def ends(app):
    """How transactions ended on the app's engine while a request ran (from its start until its
    application context is torn down; not the test's own session)."""
    seen, during = [], []
    with app.app_context():
        engine = db.engine

    def started(_sender, **_extra):
        during.append(True)

    def finished(_sender, **_extra):
        during.clear()

    def commit(_conn):
        if during:
            seen.append("commit")

    def rollback(_conn):
        if during:
            seen.append("rollback")

    request_started.connect(started, app)
    appcontext_tearing_down.connect(finished, app)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    yield seen
    event.remove(engine, "commit", commit)
    event.remove(engine, "rollback", rollback)
    request_started.disconnect(started, app)
    appcontext_tearing_down.disconnect(finished, app)


def test_a_request_that_only_read_ends_with_commit(client, auth, world, ends):
    world.case()
    auth.login()
    ends.clear()
    assert client.get("/cases/").status_code == 200
    assert ends == ["commit"]


def test_changes_left_outside_a_write_transaction_are_rolled_back(app, client, auth, world, ends):
    case = world.case(title="Unverändert")

    @app.get("/_test/stray-change")
    def stray_change():
        db.session.get(Case, case.id).title = "Heimlich geändert"  # not through write_transaction
        return "done"

    auth.login()
    ends.clear()
    assert client.get("/_test/stray-change").status_code == 200
    assert ends == ["rollback"]
    assert db.session.get(Case, case.id).title == "Unverändert"


def test_a_failed_request_is_rolled_back(app, client, auth, world, ends):
    case = world.case(title="Unverändert")

    @app.get("/_test/failing")
    def failing():
        db.session.execute(text("UPDATE cases SET title = 'Halb geschrieben' WHERE id = :id"), {"id": case.id})
        raise RuntimeError("the request fails after a write outside write_transaction")

    app.testing = False  # answer 500 instead of raising into the test
    auth.login()
    ends.clear()
    assert client.get("/_test/failing").status_code == 500
    assert ends == ["rollback"]
    assert db.session.get(Case, case.id).title == "Unverändert"


def test_postgresql_keeps_the_list_prepared_and_planned_once(app, client, auth, world):
    """psycopg prepares a statement on its 5th run on a connection; PostgreSQL then switches to a
    generic plan where that is no worse than planning each run anew. The list's LIMIT is written
    into its SQL (services.cases._list_statement): as a parameter, PostgreSQL could not tell how
    few rows the generic plan needs and would plan every request again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    seed(world, 6000)  # enough rows that a plan for an unknown LIMIT would look costly
    auth.login()
    with app.app_context():
        db.engine.dispose()  # one fresh connection, which every request below takes from the pool
    for _ in range(12):
        assert client.get("/cases/").status_code == 200
    with app.app_context():
        prepared = db.session.execute(text("SELECT statement, generic_plans FROM pg_prepared_statements")).all()
    listing = [plans for statement, plans in prepared if "FROM cases" in statement and "ORDER BY cases.id DESC" in statement]
    assert listing and listing[0] > 0, prepared
    assert any("FROM users" in statement for statement, _plans in prepared), prepared
