"""A fixed number of SQL statements per page, whatever the page size or the length of a trail."""
from contextlib import contextmanager

from sqlalchemy import event

from kokoma.database import db
from kokoma.services import cases


@contextmanager
def counted(app):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_list_page_issues_the_same_queries_for_10_and_50_rows(app, client, auth, world):
    for n in range(55):
        world.case(title=f"Fall {n}", glasl_stage=n % 9 + 1)
    auth.login()
    with counted(app) as ten:
        assert client.get("/cases/?per_page=10").status_code == 200
    with counted(app) as fifty:
        page = client.get("/cases/?per_page=50")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<tr>") == 51
    assert len(ten) == len(fifty), (ten, fifty)


def test_detail_page_queries_do_not_grow_with_the_trail(app, client, auth, world):
    short = world.case(title="Kurzer Verlauf")
    long = world.case(title="Langer Verlauf")
    for n in range(30):
        cases.add_comment(world.facilitator if n % 2 else world.coordinator, long.id, f"Kommentar {n}")
    auth.login()
    with counted(app) as few:
        assert client.get(f"/cases/{short.id}").status_code == 200
    with counted(app) as many:
        assert client.get(f"/cases/{long.id}").status_code == 200
    assert len(few) == len(many), (few, many)


def test_review_queue_queries_do_not_grow_with_the_queue(app, client, world):
    from kokoma.services import reviews

    from .conftest import PASSWORD

    first = world.analysed_case()
    reviews.request_review(world.facilitator, first.id, "Eins")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    with counted(app) as one:
        client.get("/reviews/")
    for n in range(10):
        reviews.request_review(world.facilitator, world.analysed_case(title=f"F{n}").id, "Mehr")
    with counted(app) as eleven:
        page = client.get("/reviews/")
    assert page.get_data(as_text=True).count("<tr>") == 12
    assert len(one) == len(eleven)


def test_overview_queries_do_not_grow_with_the_cases(app, client, auth, world):
    for n in range(10):
        world.case(title=f"Fall {n}", glasl_stage=n % 9 + 1, violence_reported=n % 2 == 0)
    auth.login(world.coordinator.email)
    with counted(app) as ten:
        assert client.get("/overview/").status_code == 200
    for n in range(40):
        world.case(title=f"Mehr {n}", glasl_stage=n % 9 + 1, violence_reported=True)
    with counted(app) as fifty:
        page = client.get("/overview/")
    assert page.status_code == 200 and ">50</a>" in page.get_data(as_text=True)
    assert len(ten) == len(fifty), (ten, fifty)
