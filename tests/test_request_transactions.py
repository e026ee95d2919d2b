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
