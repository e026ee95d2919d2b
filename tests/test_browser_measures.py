"""In a real browser: a measure's life (planned, overdue, done with outcome), the day's work,
the case page at 768 px with its sections closed, an error scrolled to and focused, the printed
case report, and axe on the new pages in German and English at 1280 and 768 px."""
import os
from datetime import date, datetime, timedelta, timezone

import pytest

from kokoma.services import calendar_feed, cases, follow_ups, measures, reviews

from .browser_support import ARTIFACTS, axe_violations, describe, layout_problems, missing, reported, screenshot_name
from .test_browser import driver, site  # noqa: F401 - the fixtures

if missing() and os.environ.get("KOKOMA_REQUIRE_BROWSER"):
    raise RuntimeError(missing())
pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def screenshot(site, name):
    """With KOKOMA_SCREENSHOTS set, the whole page as a picture in test-artifacts/ (to look at)."""
    if os.environ.get("KOKOMA_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        height = site.driver.execute_script("return document.documentElement.scrollHeight")
        width = site.driver.get_window_size()["width"]
        site.driver.set_window_size(width, height + 150)
        site.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        site.driver.set_window_size(width, 1024)


def in_processing(site, title="Streit am Bahnhof"):
    with site.app.test_request_context():
        case = site.world.analysed_case(title=title)
        cases.fire_trigger(site.world.facilitator, case.id, "start_processing", "", None)
    return case


def local_input(moment: datetime) -> str:
    """How a datetime-local input holds a moment, in Berlin time."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


def test_a_measures_life_planned_overdue_done_with_outcome(site):
    case = in_processing(site)
    site.login(site.world.facilitator)
    site.open(f"/cases/{case.id}")
    site.open_details("#measure-new")
    site.choose("#measure-kind", "round_table")
    site.type("#measure-title", "Runder Tisch am Bahnhof")
    site.type_date("#measure-planned-at", local_input(datetime.now(timezone.utc) - timedelta(hours=3)))
    site.type("#measure-place", "Rathaus, Ratssaal")
    site.choose("#measure-responsible", f"user:{site.world.facilitator.id}")
    site.type("#measure-participants", "Anwohnende, Streetwork")
    site.submit("#measure-new form")
    row = site.find("table.measures tbody tr")
    assert "overdue" in row.get_attribute("class") and "überfällig" in row.text
    background = site.driver.execute_script("return getComputedStyle(arguments[0].querySelector('td')).backgroundColor", row)
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # it stands out
    assert site.find(".due-count").text.startswith("1")  # the navigation counts it as due
    site.click_and_wait("table.measures tbody tr a")
    site.choose("#measure-status", "done")
    site.type("#measure-outcome", "Vereinbarung über Nutzungszeiten")
    site.choose("#measure-effect", "helped")
    site.submit("main form")
    row = site.find("table.measures tbody tr")
    assert "overdue" not in row.get_attribute("class")
    assert "durchgeführt" in row.text and "Vereinbarung über Nutzungszeiten" in row.text and "hat geholfen" in row.text
    timeline = site.find("#timeline").text
    assert "Maßnahme geändert" in timeline and "geplant → durchgeführt" in timeline
    site.trigger("start_prevention", follow_up_on=(date.today() + timedelta(days=14)).isoformat())
    assert "Prävention" in site.find(".facts").text


def test_an_error_in_the_measure_form_is_scrolled_to_and_focused(site):
    case = in_processing(site)
    with site.app.test_request_context():
        for n in range(12):
            cases.add_comment(site.world.facilitator, case.id, f"Langer Verlauf {n}")
    site.login(site.world.facilitator)
    site.driver.set_window_size(768, 1024)
    try:
        site.open(f"/cases/{case.id}")
        site.open_details("#measure-new")
        site.type("#measure-place", "Bürgerhaus")
        site.submit("#measure-new form")  # no title, no date
        focused = site.driver.switch_to.active_element
        assert focused.get_attribute("id") == "measure-title"
        top = site.driver.execute_script("return arguments[0].getBoundingClientRect().top", focused)
        assert 0 <= top <= site.driver.execute_script("return window.innerHeight"), top
        assert site.find("#measure-title-error").is_displayed()
        assert site.find("#measure-place").get_attribute("value") == "Bürgerhaus"
    finally:
        site.driver.set_window_size(1024, 900)


def test_my_tasks_page(site):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Streit am Bahnhof")
        measures.add_measure(site.world.facilitator, case.id, measures.MeasureInput(
            kind="dialogue", title="Überfälliges Forum", status="planned",
            planned_at=datetime.now(timezone.utc) - timedelta(days=1), responsible=f"user:{site.world.facilitator.id}"))
        follow_ups.add_follow_up(site.world.facilitator, case.id, follow_ups.FollowUpInput(
            date.today(), "Beschwerden prüfen", site.world.facilitator.id))
    site.login(site.world.facilitator)
    site.open("/overview/")
    assert "1 überfällige Maßnahmen" in site.find(".tasks-summary").text
    site.click_and_wait(".site-header a[href='/tasks/']")
    text = site.text()
    assert "Überfälliges Forum" in text and "Beschwerden prüfen" in text
    assert site.find(".due-count").text.startswith("2")
    site.click_and_wait("a[href*='#measure-']")
    assert "Streit am Bahnhof" in site.find("h1").text


def demo_case(site):
    """A case with analysis, five measures and twenty events."""
    with site.app.test_request_context():
        world = site.world
        case = world.analysed_case(title="Nutzungskonflikt am Bahnhofsvorplatz",
                                   description="Anwohnende und Geschäftsleute beschweren sich über Gruppen junger Menschen.")
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "Analyse abgestimmt", None)
        for n, status in enumerate(("planned", "planned", "done", "done", "cancelled")):
            measures.add_measure(world.facilitator, case.id, measures.MeasureInput(
                kind="dialogue", title=f"Maßnahme {n + 1}", status=status, place="Rathaus",
                planned_at=datetime.now(timezone.utc) + timedelta(days=n - 2), responsible=f"user:{world.facilitator.id}",
                outcome="Ergebnis festgehalten" if status != "planned" else ""))
        from sqlalchemy import func, select

        from kokoma.database import db
        from kokoma.models import CaseEvent

        while db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)) < 20:
            cases.add_comment(world.facilitator, case.id, "Gespräch mit dem Ordnungsamt geführt.")
    return case


def test_the_case_page_at_768_px_is_no_taller_than_three_screens_with_its_sections_closed(site):
    case = demo_case(site)
    site.login(site.world.facilitator)
    site.driver.set_window_size(768, 1024)
    try:
        site.open(f"/cases/{case.id}")
        screenshot(site, "case-page-768-open")
        site.driver.execute_script("document.querySelectorAll('details.section-body').forEach(d => d.open = false)")
        screenshot(site, "case-page-768-closed")
        height = site.driver.execute_script("return document.documentElement.scrollHeight")
        screen = site.driver.execute_script("return window.innerHeight")
        print(f"case page at 768 px, sections closed: {height} px = {height / screen:.2f} screens")
        assert height <= 3 * screen, f"{height}px is more than three screens of {screen}px"
        site.driver.execute_script("document.querySelectorAll('details.section-body').forEach(d => d.open = true)")
        open_height = site.driver.execute_script("return document.documentElement.scrollHeight")
        print(f"case page at 768 px, sections open: {open_height} px = {open_height / screen:.2f} screens")
        site.find("a[href='#measures-heading']").click()  # the in-page navigation leads there
        top = site.driver.execute_script("return document.getElementById('measures-heading').getBoundingClientRect().top")
        assert abs(top) < 5
    finally:
        site.driver.set_window_size(1024, 900)


def test_the_printed_case_report(site):
    case = demo_case(site)
    with site.app.test_request_context():
        reviews.request_review(site.world.facilitator, case.id, "Wie weiter?")
        reviews.give_review(site.world.advisor, reviews.queue(site.world.advisor)[0].Review.id, "adjust",
                            "Betroffene stärker einbeziehen")
    site.login(site.world.facilitator)
    site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        site.open(f"/cases/{case.id}")
        meta = site.find(".print-meta")
        assert meta.is_displayed() and "gedruckt am" in meta.text and "Vertraulich" in meta.text
        visible_forms = [f for f in site.find_all("form") if f.is_displayed()]
        assert visible_forms == []
        assert not site.find("#partners").is_displayed()  # no delivery rows
        assert not site.find(".section-nav").is_displayed()
        shown = site.driver.execute_script("return document.body.innerText")
        assert shown.count("Betroffene stärker einbeziehen") == 1  # each review once
        empty = site.driver.execute_script(
            "return [...document.querySelectorAll('h2, h3')].filter(h => h.offsetParent !== null && !h.textContent.trim())"
            ".length")
        assert empty == 0
    finally:
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_new_pages_pass_axe_at_1280_and_768_px(site, language):
    case = demo_case(site)
    with site.app.test_request_context():
        measure = measures.measures_of(case)[0]
        follow_up = follow_ups.add_follow_up(site.world.facilitator, case.id, follow_ups.FollowUpInput(
            date.today() - timedelta(days=1), "Beschwerden prüfen", site.world.facilitator.id)).follow_up
        reviews.request_review(site.world.facilitator, case.id, "Wie weiter?")
        calendar_feed.renew_token(site.world.facilitator)
    site.login(site.world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    paths = ["/tasks/", "/tasks/settings", f"/cases/{case.id}", f"/cases/{case.id}/measures/{measure.id}",
             f"/cases/{case.id}/follow-ups/{follow_up.id}/done", "/overview/", "/partners/deliveries"]
    problems = {}
    try:
        for path in paths:
            site.open(path)
            assert site.find("html").get_attribute("lang") == language
            problems.update(layout_problems(site, path, screenshot=screenshot_name("day", language, path)))
        site.open(f"/cases/{case.id}")
        site.open_details("#measure-new")
        site.submit("#measure-new form")  # a form with errors
        problems.update(layout_problems(site, "measure form with errors"))
        site.open("/tasks/settings")
        site.submit("form[action$='/tasks/calendar']")  # the new address shown
        violations = axe_violations(site.driver)
        if violations:
            problems["calendar address"] = describe(violations)
        site.logout()
        site.login(site.world.advisor)
        site.open("/tasks/")
        screenshot(site, f"tasks-advisor-{language}")
        site.click_and_wait("a[href^='/reviews/']")
        violations = axe_violations(site.driver)
        if violations:
            problems["review form (advisor)"] = describe(violations)
    finally:
        site.driver.set_window_size(1024, 900)
    assert problems == {}, reported(problems)
