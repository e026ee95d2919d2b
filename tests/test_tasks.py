"""The day's work ("Meine Aufgaben"): what is due for a person, on its page, on the overview and
as a count in the navigation, in a fixed number of statements."""
import re
from datetime import date, timedelta

from kokoma.database import db, utcnow
from kokoma.models import User
from kokoma.services import follow_ups, measures, reviews, todo

from .conftest import PASSWORD
from .test_query_counts import counted


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def plan(world, case, title, when, who=None, status="planned"):
    return measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
        kind="dialogue", title=title, planned_at=when, responsible=f"user:{(who or world.facilitator).id}",
        status=status, outcome="erledigt" if status == "done" else "")).measure


def follow(world, case, days, what, who=None):
    return follow_ups.add_follow_up(world.facilitator, case.id, follow_ups.FollowUpInput(
        date.today() + timedelta(days=days), what, (who or world.facilitator).id)).follow_up


def later_this_week():
    now = utcnow()
    return min(now + timedelta(hours=2), todo._week_end(now) - timedelta(minutes=1))


def test_my_tasks_lists_what_is_due_for_me_and_nothing_else(client, world):
    case = world.analysed_case(title="Bahnhof")
    plan(world, case, "Überfälliges Forum", utcnow() - timedelta(days=1))
    plan(world, case, "Forum dieser Woche", later_this_week())
    plan(world, case, "Forum nächsten Monat", utcnow() + timedelta(days=40))
    plan(world, case, "Erledigtes Forum", utcnow() - timedelta(days=3), status="done")
    plan(world, case, "Forum der Kollegin", utcnow() - timedelta(days=1), who=world.coordinator)
    follow(world, case, 0, "Heute prüfen")
    follow(world, case, -2, "Längst prüfen")
    follow(world, case, 3, "Später prüfen")
    follow(world, case, 0, "Kollegin prüft", who=world.coordinator)
    foreign = world.analysed_case(user=world.outsider, title="Fremd")
    follow_ups.add_follow_up(world.outsider, foreign.id, follow_ups.FollowUpInput(date.today(), "Fremde Prüfung",
                                                                                  world.outsider.id))
    login(client, world.facilitator)
    page = client.get("/tasks/").get_data(as_text=True)
    for shown in ("Überfälliges Forum", "Forum dieser Woche", "Heute prüfen", "Längst prüfen"):
        assert shown in page, shown
    for hidden in ("Forum nächsten Monat", "Erledigtes Forum", "Forum der Kollegin", "Später prüfen", "Kollegin prüft",
                   "Fremde Prüfung"):
        assert hidden not in page, hidden
    assert "Überfällige Maßnahmen (1)" in page and "Fällige Wiedervorlagen (2)" in page
    assert re.search(r'Meine Aufgaben <span class="due-count">3<span class="visually-hidden"> fällig', page)


def test_reviews_given_on_my_cases_since_i_last_looked(client, world):
    case = world.analysed_case(title="Bahnhof")
    reviews.request_review(world.facilitator, case.id, "Wie weiter?")
    review = reviews.queue(world.advisor)[0].Review
    reviews.give_review(world.advisor, review.id, "adjust", "Betroffene einbeziehen")
    login(client, world.facilitator)
    page = client.get("/tasks/").get_data(as_text=True)
    assert "Neue Einschätzungen zu meinen Fällen (1)" in page and "gegeben von Lena Hoffmann" in page
    assert client.post("/tasks/reviews-seen").status_code == 302
    assert "Neue Einschätzungen zu meinen Fällen (0)" in client.get("/tasks/").get_data(as_text=True)


def test_an_advisor_sees_the_review_requests_waiting_for_them(client, world):
    case = world.analysed_case(title="Bahnhof")
    reviews.request_review(world.facilitator, case.id, "Wie weiter?")
    foreign = world.analysed_case(user=world.outsider, title="Fremd")
    reviews.request_review(world.outsider, foreign.id, "Fremde Frage")
    login(client, world.advisor)
    page = client.get("/tasks/").get_data(as_text=True)
    assert "Auf mich wartende Einschätzungsanfragen (1)" in page and "Bahnhof" in page and "Fremd<" not in page
    assert re.search(r'<span class="due-count">1<', page)


def test_the_overview_summarises_my_tasks(client, world):
    case = world.analysed_case()
    plan(world, case, "Überfälliges Forum", utcnow() - timedelta(days=1))
    follow(world, case, 0, "Heute prüfen")
    login(client, world.facilitator)
    page = client.get("/overview/").get_data(as_text=True)
    summary = page[page.index('id="my-tasks-heading"'):page.index("Meine Aufgaben öffnen")]
    assert re.search(r"<strong>1</strong> überfällige Maßnahmen", summary)
    assert re.search(r"<strong>1</strong> fällige Wiedervorlagen", summary)


def test_the_due_count_of_the_navigation_is_one_statement(app, world):
    case = world.analysed_case()
    plan(world, case, "Überfällig", utcnow() - timedelta(days=1))
    follow(world, case, -1, "Prüfen")
    with counted(app) as statements:
        with app.app_context():
            user = db.session.get(User, world.facilitator.id)
            statements.clear()
            assert todo.due_count(user) == 2
    assert len(statements) == 1, statements


def test_the_days_work_issues_the_same_statements_for_5_and_50_due_items(app, client, world):
    case = world.analysed_case()
    reviews.request_review(world.facilitator, case.id, "Wie weiter?")
    reviews.give_review(world.advisor, reviews.queue(world.advisor)[0].Review.id, "continue", "Gut")

    def add(n):
        for i in range(n):
            plan(world, case, f"Überfällig {i}", utcnow() - timedelta(days=1, minutes=i))
            plan(world, case, f"Woche {i}", later_this_week())
            follow(world, case, -(i % 3), f"Prüfen {i}")

    add(5)
    login(client, world.facilitator)
    with counted(app) as five:
        page = client.get("/tasks/")
    assert page.status_code == 200 and "Überfällige Maßnahmen (5)" in page.get_data(as_text=True)
    add(45)
    with counted(app) as fifty:
        page = client.get("/tasks/")
    assert "Überfällige Maßnahmen (50)" in page.get_data(as_text=True)
    assert len(five) == len(fifty), (five, fifty)


def test_a_person_without_tasks_has_no_tasks_page(client, world):
    login(client, world.admin)
    assert client.get("/tasks/").status_code == 403
    assert "Meine Aufgaben" not in client.get("/admin/users").get_data(as_text=True)
