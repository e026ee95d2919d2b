"""How requests use the database (kokoma.database): changes run in the transaction of
``write_transaction``; in a request, a write outside it is refused on every database, so nothing
is ever committed half-way."""
from sqlalchemy import text

from kokoma.database import db
from kokoma.models import Case


def test_a_request_that_writes_outside_write_transaction_is_refused_and_writes_nothing(app, client, auth, world):
    case = world.case(title="Unverändert")

    @app.get("/_test/stray-sql")
    def stray_sql():
        db.session.execute(text("UPDATE cases SET title = 'Heimlich geändert' WHERE id = :id"), {"id": case.id})
        return "done"

    @app.get("/_test/stray-change")
    def stray_change():
        db.session.get(Case, case.id).title = "Heimlich geändert"  # not through write_transaction
        db.session.flush()
        return "done"

    app.testing = False  # answer 500 instead of raising into the test
    auth.login()
    assert client.get("/_test/stray-sql").status_code == 500
    assert client.get("/_test/stray-change").status_code == 500
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "Unverändert"


def test_changes_left_unwritten_in_the_session_are_dropped(app, client, auth, world):
    case = world.case(title="Unverändert")

    @app.get("/_test/unwritten-change")
    def unwritten_change():
        db.session.get(Case, case.id).title = "Heimlich geändert"  # neither flushed nor committed
        return "done"

    auth.login()
    assert client.get("/_test/unwritten-change").status_code == 200
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "Unverändert"


def test_a_page_that_read_keeps_its_prepared_statements(client, auth, world):
    """A request that only read ends with COMMIT: psycopg keeps what it prepared on the
    connection (a ROLLBACK would drop it), so PostgreSQL plans the list's query once, not on
    every request."""
    if db.engine.dialect.name != "postgresql":
        return
    world.analysed_case()
    auth.login()
    db.engine.dispose()  # one fresh connection, which every request below takes from the pool
    for _ in range(8):
        assert client.get("/cases/").status_code == 200
    prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM cases" in statement and "ORDER BY cases.id DESC" in statement for statement in prepared), prepared


def test_postgresql_plans_the_list_once_per_connection(client, auth, world):
    """The list's LIMIT is written into its SQL, so the prepared statement gets one generic plan
    instead of a new plan on every request."""
    if db.engine.dialect.name != "postgresql":
        return
    from .test_query_plans import seed

    seed(world, 6000)  # enough rows that a plan for an unknown LIMIT would look costly
    auth.login()
    db.engine.dispose()
    for _ in range(12):
        assert client.get("/cases/").status_code == 200
    prepared = db.session.execute(text("SELECT statement, generic_plans FROM pg_prepared_statements")).all()
    listing = [plans for statement, plans in prepared if "FROM cases" in statement and "ORDER BY cases.id DESC" in statement]
    assert listing and listing[0] > 0, prepared
