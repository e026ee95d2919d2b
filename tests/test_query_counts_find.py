"""Search, statistics, exports' list and the study library: a fixed number of statements,
whatever the number of cases."""
from kokoma.services import cases, studies

from .test_query_counts import counted


def _pages(app, client, paths):
    counts = {}
    for path in paths:
        with counted(app) as statements:
            assert client.get(path).status_code == 200, path
        counts[path] = len(statements)
    return counts


def _close(world, case):
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    world.measure(case, kind="dialogue", title="Gespräch")
    cases.fire_trigger(world.facilitator, case.id, "close", "fertig", None)


PATHS = ("/cases/?q=Bahnhof", "/cases/?q=Bahnhof&sort=updated", "/cases/?sort=escalation", "/statistics/",
         "/studies/", "/overview/")


def test_new_pages_issue_the_same_statements_for_few_and_many_cases(app, client, auth, world):
    first = world.analysed_case(title="Streit am Bahnhof")
    _close(world, first)
    studies.release(world.facilitator, first.id, "Früh alle einladen.", True)
    auth.login()
    few = _pages(app, client, PATHS)
    for n in range(12):
        case = world.analysed_case(title=f"Bahnhof {n}", description="Bahnhof " * n)
        if n % 3 == 0:
            _close(world, case)
            studies.release(world.facilitator, case.id, f"Erkenntnis {n}", True)
        cases.add_comment(world.facilitator, case.id, "Bahnhof")
    many = _pages(app, client, PATHS)
    assert few == many
