"""The statistics page: charts as SVG with their numbers, within the person's scope."""
import re
from datetime import datetime, timedelta, timezone

from kokoma.services import accounts, cases, statistics

from .conftest import PASSWORD


def numbers_of(page: str, key: str) -> str:
    match = re.search(r'<section class="chart card" aria-labelledby="' + key + r'-title">.*?</section>', page, re.S)
    assert match, key
    return match.group(0)


def test_the_charts_count_the_cases_of_the_municipality(client, auth, world):
    made = [world.analysed_case(title=f"Fall {n}", category="polarisation" if n % 2 else "public_space") for n in range(5)]
    cases.fire_trigger(world.facilitator, made[0].id, "start_processing", "", None)
    world.measure(made[0], kind="mediation", title="Vermittlung", effect="helped")
    world.measure(made[0], kind="mediation", title="Zweite Vermittlung")
    world.measure(made[0], kind="dialogue", title="Forum", effect="no_change")
    world.measure(made[0], kind="dialogue", title="Geplantes Forum", status="planned", outcome="",
                  planned_at=datetime.now(timezone.utc) + timedelta(days=3))  # not done: not counted
    world.measure(world.case(world.outsider, title="Dort"), user=world.outsider, kind="dialogue", title="Anderswo",
                  effect="worse")  # another municipality's
    world.case(world.outsider, title="Anderswo", category="other")
    auth.login()
    page = client.get("/statistics/").get_data(as_text=True)
    assert page.count("<svg") == 7 and page.count('<table class="chart-numbers">') == 7
    by_state = numbers_of(page, "by-state")
    assert re.search(r">Analyse</th><td>4<", by_state) and re.search(r">Bearbeitung</th><td>1<", by_state)
    assert re.search(r"<td>0<", numbers_of(page, "by-category").split("Sonstiges")[1])  # the other's case: not here
    # measures done, by kind and effect (helped, no change, made it worse, not judged yet)
    assert re.search(r">Mediation</th><td>1</td><td>0</td><td>0</td><td>1</td>", numbers_of(page, "measures"))
    assert re.search(r">Dialogformat</th><td>0</td><td>1</td><td>0</td><td>0</td>", numbers_of(page, "measures"))
    per_month = numbers_of(page, "per-month")
    assert re.search(r"<td>5</td><td>0</td></tr>\s*</tbody>", per_month), per_month  # this month: 5 new
    assert "<script" not in page and "http" not in page.split("<svg")[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", "")


def test_an_advisor_sees_each_municipality_or_all_of_theirs(client, world):
    accounts.assign_advisor(world.admin, world.advisor.id, world.other.id)
    world.case(title="Hier"), world.case(world.outsider, title="Dort"), world.case(world.outsider, title="Dort 2")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert "3 Fälle insgesamt" in client.get("/statistics/").get_data(as_text=True)
    assert "2 Fälle insgesamt" in client.get(f"/statistics/?municipality={world.other.id}").get_data(as_text=True)
    client.post("/logout")
    auth_page = client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert auth_page.status_code == 302
    # Another municipality asked for: not one of theirs, so their own figures.
    assert "1 Fall insgesamt" in client.get(f"/statistics/?municipality={world.other.id}").get_data(as_text=True)


def test_time_in_phase_counts_days_of_each_state(world):
    case = world.analysed_case()
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    result = statistics.statistics(world.facilitator)
    rows = dict(next(c for c in result.charts if c.key == "time-in-phase").rows)
    assert set(map(str, rows)) == {"Analyse", "Bearbeitung", "Prävention", "Verweisung"}  # every phase not final
    assert all(numbers[0] >= 0 for numbers in rows.values())


def test_the_overview_shows_its_charts_from_the_counters(client, auth, world):
    for n in range(3):
        world.analysed_case(title=f"Fall {n}", category="polarisation")
    world.case(world.outsider, category="polarisation")
    auth.login()
    page = client.get("/overview/").get_data(as_text=True)
    chart = numbers_of(page, "overview-by-category")
    assert "<svg" in chart and re.search(r">Polarisierende öffentliche Konflikte</th><td>3<", chart) or \
        re.search(r"</th><td>3</td>", chart), chart
    assert 'href="/statistics/"' in page
