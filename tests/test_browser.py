"""End to end in headless Chromium against the app served on loopback, with axe-core's WCAG 2.1
AA rules on every main page in German and English. Screenshots of failures go to test-artifacts/."""
import os
import re

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, Partner, Review

from kokoma.services import accounts, cases, login_limits, reviews

from .browser_support import ARTIFACTS, LiveServer, axe_violations, describe, missing, start_chromium
from .conftest import PASSWORD, World

if missing() and os.environ.get("KOKOMA_REQUIRE_BROWSER"):
    raise RuntimeError(missing())  # CI sets this: there, a missing browser is a failure, not a skip
pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


@pytest.fixture(scope="module")
def driver():
    browser = start_chromium("de")
    yield browser
    browser.quit()


@pytest.fixture
def site(make_app, driver, request):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        world = World()
        db.session.add(Partner(municipality_id=world.musterstadt.id, name="Jugendamt Musterstadt",
                               email="jugendamt@musterstadt.example"))
        db.session.commit()
    server = LiveServer(app)
    driver.delete_all_cookies()
    site = Site(driver, server.url, world, app)
    yield site
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{request.node.name}.png"))
    driver.delete_all_cookies()
    server.stop()


class Site:
    def __init__(self, driver, url, world, app):
        self.driver, self.url, self.world, self.app = driver, url, world, app

    def open(self, path):
        self.driver.get(self.url + path)

    def find(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def type(self, css, text, clear=True):
        element = self.find(css)
        if clear:
            element.clear()
        element.send_keys(text)

    def choose(self, css, value):
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def submit(self, form_css):
        self.click_and_wait(f"{form_css} button[type=submit]")

    def click_and_wait(self, target):
        """Click something (an element or a CSS selector) that loads a new page, and wait until the
        new page has loaded. The old page is marked on its window object, which a navigation
        replaces; element references to the old page are not used for waiting, because Chromium
        sometimes answers them with an inspector error instead of "stale element"."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.execute_script("window.kokomaOldPage = true;")
        for attempt in range(3):
            try:
                (self.find(target) if isinstance(target, str) else target).click()
                break
            except WebDriverException:
                # The page was still settling (e.g. right after axe ran): find the target again,
                # unless the click went through after all.
                if self._left_old_page():
                    break
                if attempt == 2 or not isinstance(target, str):
                    raise
        WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda driver: self._left_old_page() and driver.execute_script("return document.readyState") == "complete")

    def _left_old_page(self):
        from selenium.common.exceptions import WebDriverException

        try:
            return not self.driver.execute_script("return window.kokomaOldPage === true;")
        except WebDriverException:
            return False  # mid-navigation: no document to ask yet

    def text(self):
        return self.find("body").text

    def login(self, user):
        self.driver.delete_all_cookies()
        self.open("/login")
        self.type("#email", user.email)
        self.type("#password", PASSWORD)
        self.submit("main form")
        assert "/login" not in self.driver.current_url, self.text()

    def logout(self):
        self.click_and_wait(".account button")

    def trigger(self, name, comment=""):
        form = f"form.trigger input[name=trigger][value={name}]"
        box = self.find(f"#comment-{name}")
        if comment:
            box.send_keys(comment)
        self.click_and_wait(self.find(form).find_element("xpath", "..").find_element("css selector", "button[type=submit]"))

    def case(self, title):
        with self.app.app_context():
            return db.session.scalars(select(Case).where(Case.title == title)).one()


def test_file_a_case_with_one_wrong_field_and_correct_it(site):
    site.login(site.world.facilitator)
    site.open("/cases/new")
    site.type("#description", "Seit Wochen Plakate gegen die Unterkunft.")
    site.choose("#category", "integration_migration")
    site.type("#parties", "Anwohnerinitiative, Träger")
    site.type("#affected_groups", "Geflüchtete Familien")
    site.choose("#glasl_stage", "6")
    site.find("#violence_reported").click()
    site.submit("form.case-form")  # no title
    assert site.find("#title").get_attribute("aria-invalid") == "true"
    assert site.find("#title-error").text
    assert site.find("#title").get_attribute("aria-describedby") == "title-error"
    assert site.find("#description").get_attribute("value") == "Seit Wochen Plakate gegen die Unterkunft."
    assert site.find("#glasl_stage").get_attribute("value") == "6"
    site.type("#title", "Proteste gegen eine Unterkunft")
    site.submit("form.case-form")
    assert re.search(r"/cases/\d+$", site.driver.current_url)
    assert "MST-" in site.text() and "Proteste gegen eine Unterkunft" in site.text()


def test_a_case_from_analysis_to_closing_with_a_review(site):
    world = site.world
    site.login(world.facilitator)
    site.open("/cases/new")
    site.type("#title", "Drohungen gegen das Jugendzentrum")
    site.choose("#category", "anti_democratic")
    site.type("#parties", "Trägerverein, anonyme Verfasser")
    site.type("#affected_groups", "Queere Jugendliche")
    site.choose("#glasl_stage", "6")
    site.find("#violence_reported").click()
    site.submit("form.case-form")
    case_url = site.driver.current_url
    site.trigger("start_processing")
    site.type("#measure-text", "Runder Tisch mit Träger und Polizei")
    site.submit("form[action$='/measure']")
    site.trigger("start_prevention")
    site.type("#question", "Können wir nach den Maßnahmen abschließen?")
    site.submit("form[action$='/review']")
    site.logout()

    site.login(world.advisor)
    site.open("/reviews/")
    site.click_and_wait("table.cases a")
    site.choose("#recommendation", "close")
    site.type("#text", "Ja, die Strukturen tragen.")
    site.submit("main form")
    site.logout()

    site.login(world.facilitator)
    site.driver.get(case_url)
    site.trigger("close", comment="Abschlussbericht: Der Konflikt ist beigelegt.")
    assert "Abgeschlossen" in site.find(".facts").text
    case = site.case("Drohungen gegen das Jugendzentrum")
    assert case.state == "closed"
    with site.app.app_context():
        assert db.session.scalars(select(Review.status).where(Review.case_id == case.id)).all() == ["given"]
    notifications = site.find("#notifications").text  # the partner's notifications are queued
    assert "Jugendamt Musterstadt" in notifications and "Phase geändert" in notifications


def test_filter_the_case_list(site):
    with site.app.test_request_context():
        site.world.case(title="Streit am Bolzplatz", category="public_space")
        site.world.case(title="Polarisierte Ratsdebatte", category="polarisation")
    site.login(site.world.facilitator)
    site.open("/cases/")
    site.choose("#category", "polarisation")
    site.submit("form.filters")
    rows = [row.text for row in site.find_all("table.cases tbody tr")]
    assert len(rows) == 1 and "Polarisierte Ratsdebatte" in rows[0]
    assert "category=polarisation" in site.driver.current_url


def test_everything_works_by_keyboard_with_a_visible_focus(site):
    from selenium.webdriver.common.keys import Keys

    site.open("/login")
    body = site.find("body")
    body.send_keys(Keys.TAB)
    focused = site.driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    outline = site.driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused)
    assert outline not in ("none", "")
    from selenium.webdriver.support.ui import WebDriverWait

    site.find("#email").send_keys(site.world.facilitator.email, Keys.TAB, PASSWORD, Keys.ENTER)
    WebDriverWait(site.driver, 10).until(lambda d: "/login" not in d.current_url)


PAGES = ["/login", "/overview/", "/cases/", "/cases/new", "/cases/{case}", "/cases/{case}/edit", "/partners/",
         "/partners/deliveries", "/admin/users", "/admin/access-log", "/privacy/retention", "/cases/999999", "/nowhere"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_main_page_passes_axe_at_wcag_21_aa(site, language):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof", glasl_stage=6, violence_reported=True)
        other = site.world.analysed_case(title="Plakate am Rathaus")
        cases.assign_case(site.world.facilitator, case.id, None, site.world.facilitator.id, site.world.advisor.id)
        reviews.request_review(site.world.facilitator, case.id, "Runder Tisch?")  # asked of the advisor
        reviews.request_review(site.world.facilitator, other.id, "Wer lädt ein?")  # of any advisor
        _invited, token = accounts.invite_user(site.world.coordinator, email="neu@mst.example", name="Neue Kollegin",
                                               role="facilitator", municipality_id=None)
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    problems = {}
    for path in PAGES:
        site.open(path.format(case=case.id))
        assert site.find("html").get_attribute("lang") == language
        violations = axe_violations(site.driver)
        if violations:
            problems[path] = describe(violations)
    site.open("/cases/new")
    site.submit("form.case-form")  # a form with errors, announced
    violations = axe_violations(site.driver)
    if violations:
        problems["/cases/new (with errors)"] = describe(violations)
    for who, paths in ((site.world.advisor, ("/reviews/", f"/cases/{case.id}")),
                       (site.world.admin, ("/admin/users", "/admin/municipalities", "/admin/assignments"))):
        site.logout()
        site.login(who)
        for path in paths:
            site.open(path)
            violations = axe_violations(site.driver)
            if violations:
                problems[f"{path} ({who.role})"] = describe(violations)
    # Logged out: a weak password refused on the invitation page, a login over the limit (429).
    site.logout()
    site.driver.delete_all_cookies()
    site.open("/login")
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open(f"/invitation/{token}")
    site.type("#password", "Passwort2026!")
    site.type("#confirm", "Passwort2026!")
    site.submit("main form")
    assert site.find("#password-error").text
    for state in ("/invitation (weak password)", "/login (too many attempts)"):
        if state.startswith("/login"):
            with site.app.test_request_context():
                for _ in range(10):
                    login_limits.take_place("127.0.0.1", site.world.outsider.email)
            site.open("/login")
            site.type("#email", site.world.outsider.email)
            site.type("#password", "falsch falsch")
            site.submit("main form")
            assert site.find("#password-error").text
        assert site.find("html").get_attribute("lang") == language
        violations = axe_violations(site.driver)
        if violations:
            problems[state] = describe(violations)
    assert problems == {}, "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_form_that_expired_keeps_what_was_typed_on_an_error_page_that_passes_axe(site, language):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof")
    site.login(site.world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open(f"/cases/{case.id}")
    site.type("#comment-text", "Gespräch mit dem Ortsbeirat am Dienstag")
    site.driver.execute_script(  # the token of an expired session
        "document.querySelector('form[action$=\"/comment\"] input[name=csrf_token]').value = 'abgelaufen';")
    site.submit("form[action$='/comment']")
    assert site.find("html").get_attribute("lang") == language
    assert site.find("#typed-1").get_attribute("value") == "Gespräch mit dem Ortsbeirat am Dienstag"
    violations = axe_violations(site.driver)
    assert violations == [], describe(violations)
    for width in (1280, 768):
        site.driver.set_window_size(width, 900)
        overflow = site.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the error page scrolls sideways by {overflow}px at {width}px"
    site.driver.set_window_size(1024, 900)


def test_pages_fit_a_tablet_and_print_without_navigation(site):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof")
        site.world.case(title="Montagsspaziergänge mit Beteiligung extrem rechter Gruppen", category="protest_movement",
                        glasl_stage=7, violence_reported=True)
        site.world.case(title="Proteste gegen eine geplante Gemeinschaftsunterkunft", category="integration_migration")
    site.login(site.world.facilitator)
    site.driver.set_window_size(768, 1024)  # a tablet, upright
    try:
        for path in ("/overview/", "/cases/", f"/cases/{case.id}", "/cases/new"):
            site.open(path)
            overflow = site.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a tablet"
            hidden = site.driver.execute_script(
                "return [...document.querySelectorAll('.table-scroll')].map(b => b.scrollWidth - b.clientWidth)")
            assert all(width <= 0 for width in hidden), f"{path}: a table needs scrolling on a tablet ({hidden})"
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        site.open(f"/cases/{case.id}")
        assert not site.find(".site-header nav").is_displayed()
        assert not site.find("form.trigger").is_displayed()
        assert site.find("h1").is_displayed()
    finally:
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        site.driver.set_window_size(1024, 900)


def layout_problems(site, state: str, widths=(1280, 768)) -> dict:
    """axe's violations and any sideways scrolling of the page open now, at each width."""
    problems = {}
    try:
        for width in widths:
            site.driver.set_window_size(width, 900)
            violations = axe_violations(site.driver)
            if violations:
                problems[f"{state} at {width}px"] = describe(violations)
            overflow = site.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                problems[f"{state} at {width}px (layout)"] = f"scrolls sideways by {overflow}px"
    finally:
        site.driver.set_window_size(1024, 900)
    return problems


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_data_protection_pages_pass_axe_and_fit_at_1280_and_768(site, language):
    """The access trail with its filters (one invalid), the case's "who saw it", the retention
    page with a dry run and a recorded run: axe-clean and without sideways scrolling."""
    from datetime import timedelta

    from sqlalchemy import update

    from kokoma.database import utcnow, write_transaction
    from kokoma.models import CaseEvent
    from kokoma.services import access_trail, retention

    with site.app.test_request_context():
        world = site.world
        case = world.analysed_case(title="Konflikt am Bahnhof")
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        closed = utcnow() - timedelta(days=3)  # closed three days ago
        with write_transaction() as session:
            session.add(CaseEvent(case_id=case.id, kind="transition", from_state="processing", to_state="closed",
                                  trigger="close", comment="Einigung am runden Tisch", created_at=closed))
            session.execute(update(Case).where(Case.id == case.id).values(state="closed")
                            .execution_options(synchronize_session=False))
        access_trail.record_view(world.advisor, case)
        retention.save_settings(world.coordinator, 1, 400)
        retention.apply(world.other.id, closed)  # a recorded run (of the other municipality: not shown)
        retention.apply(world.musterstadt.id, closed)  # a run of its own, before the case was due
        reference = case.reference
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    pages = ["/privacy/retention", "/admin/access-log", f"/admin/access-log?case={reference}&since=2026-01-01",
             "/admin/access-log?case=XYZ&until=gestern", f"/cases/{case.id}"]
    problems = {}
    for path in pages:
        site.open(path)
        assert site.find("html").get_attribute("lang") == language
        problems.update(layout_problems(site, path))
    ARTIFACTS.mkdir(exist_ok=True)
    site.driver.set_window_size(768, 900)
    try:
        site.open("/privacy/retention")
        site.driver.save_screenshot(str(ARTIFACTS / f"retention-{language}-768.png"))
    finally:
        site.driver.set_window_size(1024, 900)
    assert problems == {}, "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())
    # The dry run lists the closed case; "who saw this case" names the advisor.
    site.open("/privacy/retention")
    assert reference in site.find("#dry-run").find_element("xpath", "..").text
    site.open(f"/cases/{case.id}")
    assert site.world.advisor.name in site.find("#who-saw").find_element("xpath", "..").text


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_persons_request_from_search_to_erasure(site, language):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Streit am Spielplatz", parties="Karla Brandtner, Jugendliche")
        cases.add_comment(site.world.facilitator, case.id, "Telefonat mit Karla Brandtner")
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    problems = {}
    site.open("/privacy/person")
    problems.update(layout_problems(site, "empty"))
    site.type("#name", "Karla Brandtner")
    site.submit("form[action$='/privacy/person']")
    assert case.reference in site.find("#person-found").find_element("xpath", "..").text
    problems.update(layout_problems(site, "found"))
    site.type("#reason", "Antrag vom 1.12.2026")
    site.find("input[name=mode][value=pseudonymise]").click()
    site.submit("form[action$='/privacy/person/erase']")
    problems.update(layout_problems(site, "done"))
    assert problems == {}, "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())
    site.open(f"/cases/{case.id}")
    assert "Brandtner" not in site.text() and "Person-" in site.text()
