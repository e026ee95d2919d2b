"""A fixed number of SQL statements per page, whatever the page size or the length of a trail."""
import re
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


def analysis_with(world, actors: int):
    """A case with ``actors`` actors, each with a relation to the next, a hearing for every
    affected one, and an issue, a history entry, a resource and two assessments."""
    from datetime import date

    from kokoma.services import analysis
    from kokoma.services.analysis_snapshot import Analysis

    case = world.case(title=f"{actors} Akteure", glasl_stage=4)
    for n in range(actors):
        analysis.add_item(world.facilitator, case.id, "actor", {
            "name": f"Akteur {n}", "kind": "group", "role": "primary", "influence": ("low", "medium", "high")[n % 3],
            "affected": n % 2 == 1, "anti_democratic": n == 0})
    ids = [actor.id for actor in Analysis(case).actors]
    for source, target in zip(ids, ids[1:]):
        analysis.add_item(world.facilitator, case.id, "relation", {"source_id": source, "target_id": target,
                                                                  "kind": "tension"})
    for actor_id in ids[1::2]:
        analysis.add_item(world.facilitator, case.id, "hearing", {
            "actor_id": actor_id, "format": "group_talk", "held_on": date(2026, 11, 1), "consent": True,
            "summary": "Sicht", "threat": "low"})
    analysis.add_item(world.facilitator, case.id, "issue", {"text": "Platz", "kind": "interests"})
    analysis.add_item(world.facilitator, case.id, "history", {"happened_on": date(2026, 10, 1), "text": "Anfang"})
    analysis.add_item(world.facilitator, case.id, "resource", {"name": "Verein", "kind": "ally"})
    analysis.assess(world.advisor, case.id, 6, "hot", "Drohungen")
    return case


def test_case_and_analysis_pages_issue_the_same_queries_for_2_and_30_actors(app, client, auth, world):
    few, many = analysis_with(world, 2), analysis_with(world, 30)
    auth.login()
    for path in ("/cases/{id}", "/cases/{id}/analysis/"):
        with counted(app) as two:
            page = client.get(path.format(id=few.id))
        assert page.status_code == 200 and len(re.findall(r"<title>Akteur \d+:", page.get_data(as_text=True))) == 2
        with counted(app) as thirty:
            page = client.get(path.format(id=many.id))
        assert page.status_code == 200 and len(re.findall(r"<title>Akteur \d+:", page.get_data(as_text=True))) == 30
        assert len(two) == len(thirty), (path, two, thirty)
def test_detail_page_queries_do_not_grow_with_the_measures_and_follow_ups(app, client, auth, world):
    from datetime import date, datetime, timedelta, timezone

    from kokoma.services import follow_ups, measures

    def fill(case, n):
        for i in range(n):
            measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
                kind="dialogue", title=f"Forum {i}", status="planned", responsible=f"user:{world.coordinator.id}",
                planned_at=datetime.now(timezone.utc) + timedelta(days=i - n // 2)))
            follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
                date.today() + timedelta(days=i), f"Prüfen {i}", world.coordinator.id))

    two, thirty = world.analysed_case(title="Zwei"), world.analysed_case(title="Dreißig")
    fill(two, 2)
    fill(thirty, 30)
    auth.login()
    with counted(app) as few:
        assert client.get(f"/cases/{two.id}").status_code == 200
    with counted(app) as many:
        page = client.get(f"/cases/{thirty.id}").get_data(as_text=True)
    assert page.count('<tr class="measure-planned') == 30
    assert len(few) == len(many), (few, many)


def test_a_long_trail_is_paged_newest_first_at_the_same_statements(app, client, auth, world):
    short = world.case(title="Kurz")
    long = world.case(title="Lang")
    for n in range(45):
        cases.add_comment(world.facilitator, long.id, f"Kommentar {n}")
    auth.login()
    with counted(app) as few:
        client.get(f"/cases/{short.id}")
    with counted(app) as many:
        page = client.get(f"/cases/{long.id}").get_data(as_text=True)
    assert len(few) == len(many)
    shown = [int(n) for n in re.findall(r"Kommentar (\d+)", page)]
    assert shown == list(range(44, 24, -1))  # the newest twenty, newest first
    older = re.search(r'href="(/cases/\d+\?before=\d+#timeline-heading)"', page).group(1)
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Kommentar (\d+)", second)] == list(range(24, 4, -1))
    third = client.get(re.search(r'href="(/cases/\d+\?before=\d+)#', second).group(1)).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Kommentar (\d+)", third)] == list(range(4, -1, -1))
    assert "Ältere Einträge" not in third and "Neueste Einträge" in third


def test_the_case_page_reads_the_actors_once_for_the_analysis_and_the_measures(app, client, auth, world):
    """The analysis section and the measures' participants share one reading of the actors; only
    the workflow's guard (is the analysis complete?) reads its own, and only in the analysis state."""
    case = analysis_with(world, 3)
    auth.login()

    def actor_readings(path):
        with counted(app) as statements:
            assert client.get(path).status_code == 200
        return sum(1 for s in statements if re.search(r"FROM analysis_actors\b", s) and s.lstrip().startswith("SELECT"))

    assert actor_readings(f"/cases/{case.id}") == 2  # the page's and the guard's
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    assert actor_readings(f"/cases/{case.id}") == 1
