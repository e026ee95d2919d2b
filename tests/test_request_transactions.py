"""How requests use the database (kokoma.database): on PostgreSQL a page that only reads runs its
statements in autocommit (no BEGIN, no COMMIT) and keeps its prepared statements; changes run in
the real transaction of ``write_transaction``; in a request, a write outside it is refused on
every database, so nothing is ever committed half-way."""
import pytest
from sqlalchemy import text

from kokoma.database import db
from kokoma.models import Case

from .test_query_plans import seed


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("autocommit reads are for PostgreSQL (SQLite reads in a transaction as before)")


def test_on_postgresql_a_page_that_reads_opens_no_transaction_and_a_change_runs_in_one(client, auth, world, statements):
    _postgresql_only()
    case = world.analysed_case()
    auth.login()
    statements.clear()
    assert client.get("/cases/").status_code == 200
    assert statements and all(autocommit for _statement, autocommit in statements), statements

    statements.clear()
    response = client.post(f"/cases/{case.id}/transition", data={"trigger": "start_processing", "version": case.version})
    assert response.status_code == 302
    writes = [autocommit for statement, autocommit in statements if statement.lstrip().startswith(("UPDATE", "INSERT"))]
    locks = [autocommit for statement, autocommit in statements if "FOR UPDATE" in statement]
    assert writes and locks and not any(writes + locks), statements  # row lock and changes in one transaction
    assert db.session.get(Case, case.id).state == "processing"


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


def test_postgresql_keeps_the_list_prepared_and_planned_once(app, client, auth, world):
    """psycopg prepares a statement on its 5th run on a connection; PostgreSQL then switches to a
    generic plan where that is no worse than planning each run anew. The list's LIMIT is written
    into its SQL (services.cases._list_statement): as a parameter, PostgreSQL could not tell how
    few rows the generic plan needs and would plan every request again. (psycopg forgets its
    prepared statements at a ROLLBACK; reads in autocommit have none.)"""
    _postgresql_only()
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
