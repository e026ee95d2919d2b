"""End to end in headless Chromium against the app served on loopback, with axe-core's WCAG 2.1
AA rules on every main page in German and English. Screenshots of failures go to test-artifacts/."""
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kokoma.database import db
from kokoma.models import Case, Partner, Review

from kokoma.services import accounts, analysis, cases, login_limits, reviews

from .browser_support import (ARTIFACTS, LiveServer, axe_violations, describe, layout_problems, missing, reported,
                              screenshot_name, start_chromium)
from .conftest import PASSWORD, World

ROOT = Path(__file__).resolve().parent.parent

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
    yield from _site(make_app, driver, request)


@pytest.fixture
def plugin_site(make_app, driver, request):
    """The site with the shipped example plugin (a form field, a factor, a setting)."""
    yield from _site(make_app, driver, request, PLUGINS_DIR=str(ROOT / "plugins"))


@pytest.fixture
def state_plugin_site(make_app, driver, request, tmp_path):
    """The site with a local plugin that adds a workflow state (test_plugin_contract's)."""
    from .test_plugin_contract import LOCAL, write

    yield from _site(make_app, driver, request, PLUGINS_DIR=str(write(tmp_path / "plugins", "local", LOCAL)))


def _site(make_app, driver, request, **config):
    app = make_app(WTF_CSRF_ENABLED=True, **config)
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

    def trigger(self, name, comment="", follow_up_on=None):
        """Open the step under "next steps", fill it in and send it."""
        self.open_details(f"#step-{name}")
        if follow_up_on is not None:
            self.type_date(f"#follow-up-on-{name}", follow_up_on)
        if comment:
            self.find(f"#comment-{name}").send_keys(comment)
        self.click_and_wait(f"#step-{name} button[type=submit]")

    def open_details(self, css):
        details = self.find(css)
        if details.get_attribute("open") is None:
            details.find_element("css selector", "summary").click()

    def type_date(self, css, value):
        """A date (or date and time) into its input, as the browser's own picker would set it."""
        self.driver.execute_script("arguments[0].value = arguments[1];", self.find(css), value)

    def case(self, title):
        with self.app.app_context():
            return db.session.scalars(select(Case).where(Case.title == title)).one()


def test_file_a_case_with_one_wrong_field_and_correct_it(site):
    site.login(site.world.facilitator)
    site.open("/cases/new")
    site.type("#description", "Seit Wochen Plakate gegen die Unterkunft.")
    site.choose("#category", "integration_migration")
    site.find("#violence_reported").click()
    site.submit("form.case-form")  # no title
    assert site.find("#title").get_attribute("aria-invalid") == "true"
    assert site.find("#title-error").text
    assert site.find("#title").get_attribute("aria-describedby") == "title-error"
    assert site.find("#description").get_attribute("value") == "Seit Wochen Plakate gegen die Unterkunft."
    assert site.find("#violence_reported").is_selected()
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
    site.find("#violence_reported").click()
    site.submit("form.case-form")
    case_url = site.driver.current_url
    with site.app.test_request_context():  # the analysis, as the next test fills it in the browser
        world.actors(site.case("Drohungen gegen das Jugendzentrum"), "Trägerverein, anonyme Verfasser", "Queere Jugendliche")
        world.complete_analysis(site.case("Drohungen gegen das Jugendzentrum"))
        analysis.assess(world.facilitator, site.case("Drohungen gegen das Jugendzentrum").id, 6, "hot", "Drohungen")
    site.driver.get(case_url)
    site.trigger("start_processing")
    site.open_details("#measure-new")
    site.type("#measure-title", "Runder Tisch mit Träger und Polizei")
    site.choose("#measure-status", "done")
    site.type("#measure-outcome", "Alle waren da.")
    site.submit("#measure-new form")
    site.trigger("start_prevention", follow_up_on=(date.today() + timedelta(days=14)).isoformat())
    site.open_details("#review-new")
    site.type("#question", "Können wir nach den Maßnahmen abschließen?")
    site.submit("#review-new form")
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
    notifications = site.find("#partners").text  # the partner's notifications are queued
    assert "Jugendamt Musterstadt" in notifications and "wartet" in notifications


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
         "/partners/deliveries", "/admin/users", "/admin/access-log", "/plugins/", "/plugins/kokoma.defaults.escalation",
         "/privacy/retention", "/privacy/person", "/cases/999999", "/nowhere"]


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
    assert problems == {}, reported(problems)


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_form_that_expired_keeps_what_was_typed_on_an_error_page_that_passes_axe(site, language):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof")
    site.login(site.world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open(f"/cases/{case.id}")
    site.open_details("#comment-new")
    site.type("#comment-text", "Gespräch mit dem Ortsbeirat am Dienstag")
    site.driver.execute_script(  # the token of an expired session
        "document.querySelector('form[action$=\"/comment\"] input[name=csrf_token]').value = 'abgelaufen';")
    site.submit("form[action$='/comment']")
    assert site.find("html").get_attribute("lang") == language
    assert site.find("#typed-1").get_attribute("value") == "Gespräch mit dem Ortsbeirat am Dienstag"
    problems = layout_problems(site, "the error page of an expired form")
    assert problems == {}, reported(problems)


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
        assert not site.find("#step-start_processing form").is_displayed()
        assert site.find("h1").is_displayed()
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        # The accounts table, wider than a tablet, scrolls in its box with the hidden labels of
        # its role menus (they once widened the whole page).
        with site.app.test_request_context():
            site.world.user("koordination.stadtteilbuero-nord@musterstadt.example", "coordinator",
                            site.world.musterstadt, "Maximiliane Mustermann-Schulze")
        site.logout()
        site.login(site.world.admin)
        site.open("/admin/users")
        boxes = site.driver.execute_script(
            "return [...document.querySelectorAll('.table-scroll')].map(b => b.scrollWidth - b.clientWidth)")
        overflow = site.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert boxes and max(boxes) > 0 and overflow <= 0, f"/admin/users: page {overflow}px wider, boxes {boxes}"
    finally:
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        site.driver.set_window_size(1024, 900)


def set_date(site, css, value):
    """A date input takes its value in the browser's locale when typed; set it as the form sends it."""
    site.driver.execute_script("arguments[0].value = arguments[1];", site.find(css), value)


def add_actor(site, name, *, role="primary", influence="medium", affected=False, flagged=False):
    site.type("#actor-name", name)
    site.choose("#actor-role", role)
    site.choose("#actor-influence", influence)
    if affected:
        site.find("#actor-affected").click()
    if flagged:
        site.find("#actor-anti_democratic").click()
    site.submit("#actor-form")


def test_an_analysis_from_an_empty_case_to_complete(site):
    site.login(site.world.facilitator)
    site.open("/cases/new")
    site.type("#title", "Streit um die Umbenennung der Kolonialstraße")
    site.choose("#category", "identity_belonging")
    site.submit("form.case-form")
    case_url = site.driver.current_url
    assert "Die Analyse ist noch nicht vollständig" in site.text()
    site.click_and_wait("#analysis a.button")
    add_actor(site, "Bürgerverein Süd", influence="high")
    add_actor(site, "Initiative Postkolonial")
    add_actor(site, "Schwarze Menschen in der Stadt", role="secondary", influence="low", affected=True)
    site.choose("#relation-source_id", site.find("#relation-source_id option:nth-child(2)").get_attribute("value"))
    site.choose("#relation-kind", "conflict")
    site.choose("#relation-target_id", site.find("#relation-target_id option:nth-child(3)").get_attribute("value"))
    site.submit("#relation-form")
    site.type("#issue-text", "Soll die Straße umbenannt werden?")
    site.choose("#issue-kind", "values")
    site.submit("#issue-form")
    set_date(site, "#history-happened_on", "2026-09-15")
    site.type("#history-text", "Antrag der Initiative im Ortsbeirat")
    site.submit("#history-form")
    site.type("#resource-name", "Stadtarchiv")
    site.submit("#resource-form")
    assert "oder warum noch nicht: Schwarze Menschen in der Stadt" in site.text()
    site.choose("#hearing-actor_id", site.find("#hearing-actor_id option:nth-child(2)").get_attribute("value"))
    set_date(site, "#hearing-held_on", "2026-10-02")
    site.type("#hearing-summary", "Erleben den Straßennamen als Abwertung")  # no consent ticked yet
    site.submit("#hearing-form")
    assert "nur mit Einverständnis" in site.find("#hearing-summary-error").text
    assert site.find("#hearing-summary").get_attribute("value") == "Erleben den Straßennamen als Abwertung"
    set_date(site, "#hearing-held_on", "2026-10-02")
    site.find("#hearing-consent").click()
    site.choose("#hearing-threat", "elevated")
    site.submit("#hearing-form")
    site.find("#glasl-stage-3").click()
    assert "vollendete Tatsachen" in site.find("#glasl-description-3").text
    site.find("#glasl-temperature-hot").click()
    site.type("#glasl-rationale", "Unterschriftensammlung gegen den Antrag")
    site.click_and_wait("form.glasl-form button[type=submit]")
    assert "Die Analyse ist vollständig." in site.text()
    assert len(site.find_all("svg.actor-map circle")) >= 3
    problems = layout_problems(site, "analysis page")
    site.driver.get(case_url)
    assert "Die Analyse ist vollständig." in site.find("#analysis").text
    problems.update(layout_problems(site, "case page"))
    assert problems == {}, reported(problems)
    site.trigger("start_processing")
    assert site.case("Streit um die Umbenennung der Kolonialstraße").state == "processing"


def test_the_referral_path_with_the_advisors_confirmation(site):
    world = site.world
    with site.app.test_request_context():
        case = world.analysed_case(title="Kameradschaft am Jugendtreff")
        cases.assign_case(world.facilitator, case.id, None, world.facilitator.id, world.advisor.id)
    site.login(world.facilitator)
    site.open(f"/cases/{case.id}/analysis/")
    add_actor(site, "Kameradschaft Nord", influence="high", flagged=True)
    assert "Wo die Multiparteilichkeit endet" in site.text()
    partner = site.find("#referral-partner_id option:nth-child(2)").get_attribute("value")
    site.choose("#referral-partner_id", partner)
    set_date(site, "#referral-referred_on", "2026-11-20")
    site.type("#referral-reason", "Offen rechtsextreme Gruppe, lehnt jedes Gespräch ab")
    site.submit("form[action$='/analysis/referral']")
    assert "vorgeschlagen, wartet auf die externe Beratung" in site.text()
    site.logout()

    site.login(world.advisor)
    site.open("/reviews/")
    site.click_and_wait("table.referrals a")
    site.find("#decision-confirm").click()
    site.type("#note", "Einverstanden, Mobile Beratung übernimmt.")
    site.submit("main form")
    assert "Verweisung" in site.find(".facts").text
    assert site.case("Kameradschaft am Jugendtreff").state == "referral"
    site.logout()

    site.login(world.facilitator)
    site.open(f"/cases/{case.id}")
    site.open_details("#measure-new")
    site.choose("#measure-kind", "mediation")
    site.type("#measure-title", "Mediation mit allen Beteiligten")
    site.choose("#measure-status", "done")
    site.type("#measure-outcome", "Noch offen")
    site.submit("#measure-new form")
    assert "Multiparteilichkeit" in site.find("#measure-kind-error").text
    assert site.find("#measure-title").get_attribute("value") == "Mediation mit allen Beteiligten"


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_analysis_pages_pass_axe_at_1280_and_768(site, language):
    world = site.world
    with site.app.test_request_context():
        case = world.analysed_case(title="Konflikt am Bahnhof", parties="Anwohnende, Streetwork, Ordnungsamt")
        analysis.add_item(world.facilitator, case.id, "actor", {"name": "Kameradschaft Nord", "kind": "group",
                                                                "role": "primary", "influence": "high",
                                                                "anti_democratic": True})
        actors = analysis_actors(case)
        for kind, (source, target) in zip(("alliance", "conflict", "broken", "influence"),
                                          zip(actors, actors[1:] + actors[:1])):
            analysis.add_item(world.facilitator, case.id, "relation", {"source_id": source.id, "target_id": target.id,
                                                                      "kind": kind, "note": ""})
        analysis.assess(world.advisor, case.id, 6, "hot", "Drohungen")
        from kokoma.services import referral

        partner = db.session.scalars(select(Partner)).first()
        referral.propose(world.facilitator, case.id, "Keine Mediation", partner.id, date(2026, 11, 20))
        proposal = referral.open_proposal(case.id)
        cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
        analysis.add_item(world.facilitator, case.id, "issue", {"text": "Nachtruhe", "kind": "interests"})
    problems = {}

    def scan(label):
        assert site.find("html").get_attribute("lang") == language
        problems.update(layout_problems(site, label, screenshot=screenshot_name("analysis", language, label)))

    site.login(world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    for path in (f"/cases/{case.id}", f"/cases/{case.id}/analysis/"):
        site.open(path)
        scan(path)
    with site.app.app_context():
        first = analysis_actors(case)[0]
    site.open(f"/cases/{case.id}/analysis/actors/{first.id}")
    scan("edit an actor")
    site.open(f"/cases/{case.id}/analysis/")
    site.click_and_wait("form.glasl-form button[type=submit]")  # errors, announced
    scan("Glasl form with errors")
    site.logout()
    site.login(world.advisor)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    for path in ("/reviews/", f"/referrals/{proposal.id}", f"/cases/{case.id}/analysis/"):
        site.open(path)
        scan(f"{path} (advisor)")
    assert problems == {}, reported(problems)


def analysis_actors(case):
    from kokoma.services.analysis_snapshot import Analysis

    return Analysis(db.session.get(Case, case.id)).actors


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_plugin_pages_pass_axe_and_fit_at_1280_and_768(plugin_site, language):
    site = plugin_site
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof", extra={"public_visibility": "national"})
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    problems = {}

    def scan(state):
        assert site.find("html").get_attribute("lang") == language
        problems.update(layout_problems(site, state, screenshot=screenshot_name("plugins", language, state)))

    for path in ("/plugins/", "/plugins/public_visibility", f"/cases/{case.id}", "/partners/new"):
        site.open(path)
        scan(path)
    site.open("/plugins/public_visibility")
    site.type("#setting_national_points", "99")
    site.submit("form.case-form")
    assert site.find("#setting_national_points-error").text
    assert site.find("#setting_national_points").get_attribute("value") == "99"  # kept as typed
    scan("/plugins/public_visibility (invalid setting)")
    site.open("/plugins/public_visibility")
    site.submit("form.actions")  # switch it off for Musterstadt
    assert "kokoma.defaults" not in site.find(".flashes").text
    scan("/plugins/public_visibility (switched off)")
    assert problems == {}, reported(problems)


@pytest.mark.parametrize("language", ["de", "en"])
def test_switching_off_a_plugin_with_cases_in_its_state_is_refused_with_links_at_1280_and_768(state_plugin_site,
                                                                                               language):
    site = state_plugin_site
    with site.app.test_request_context():
        case = site.world.case()
        cases.fire_trigger(site.world.facilitator, case.id, "call_ombuds", "", None)
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open("/plugins/local")
    site.submit("form.plugin-switch")
    assert site.find("#switch-error").is_displayed()
    assert site.find("form.plugin-switch button").get_attribute("aria-describedby") == "switch-error"
    problems = layout_problems(site, "/plugins/local (refused)",
                               screenshot=screenshot_name("plugins", language, "switch refused"))
    assert problems == {}, reported(problems)
    site.click_and_wait("#switch-error a")
    assert [row.text for row in site.find_all("table.cases tbody tr")][0].startswith(case.reference)


def test_search_then_take_the_list_out_as_csv(site, tmp_path):
    """A facilitator finds a case by a party's name, sees the passage, and downloads the list."""
    import time

    with site.app.test_request_context():
        site.world.analysed_case(title="Lärm am Pavillon", parties="Familie Özdemir, Bürgerverein Nord")
        site.world.analysed_case(title="Plakate am Rathaus")
        site.world.case(site.world.outsider, title="Özdemir anderswo")
    site.login(site.world.facilitator)
    site.open("/cases/")
    site.type("#q", "Özdemir")
    site.submit("form.filters")
    rows = [row.text for row in site.find_all("table.cases tbody tr")]
    assert len(rows) == 1 and "Lärm am Pavillon" in rows[0], rows
    assert site.find("table.cases mark").text == "Özdemir"
    site.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    site.find("p.exports a[href*='export.csv']").click()
    deadline = time.monotonic() + 15
    while not list(tmp_path.glob("kokoma-cases-*.csv")) and time.monotonic() < deadline:
        time.sleep(0.2)
    downloaded = list(tmp_path.glob("kokoma-cases-*.csv"))
    assert downloaded, list(tmp_path.iterdir())
    text = downloaded[0].read_text(encoding="utf-8-sig")
    assert "Lärm am Pavillon" in text and "Plakate" not in text and "anderswo" not in text


@pytest.mark.parametrize("language", ["de", "en"])
def test_search_statistics_and_the_advisors_list_pass_axe_at_1280_and_768(site, language):
    with site.app.test_request_context():
        accounts.assign_advisor(site.world.admin, site.world.advisor.id, site.world.other.id)
        case = site.world.analysed_case(title="Konflikt am Bahnhof", description="Am Bahnhof treffen sich Gruppen.")
        cases.fire_trigger(site.world.facilitator, case.id, "start_processing", "", None)
        site.world.measure(case, kind="dialogue", title="Gespräch am Bahnhof")
        site.world.case(site.world.outsider, title="Anderswo am Bahnhof")
    problems = {}
    for who, paths in ((site.world.facilitator, ("/cases/?q=Bahnhof", "/statistics/", "/cases/?sort=escalation")),
                       (site.world.advisor, ("/cases/", f"/statistics/?municipality={site.world.other.id}"))):
        site.login(who)
        if language == "en":
            site.click_and_wait("form.language button[value=en]")
        for path in paths:
            site.open(path)
            assert site.find("html").get_attribute("lang") == language
            problems.update(layout_problems(site, f"{path} ({who.role})", height=1000,
                                            screenshot=screenshot_name("find", language, who.role, path)))
    assert problems == {}, reported(problems)


def _close(world, case):
    cases.fire_trigger(world.facilitator, case.id, "start_processing", "", None)
    world.measure(case, kind="round_table", title="Runder Tisch")
    cases.fire_trigger(world.facilitator, case.id, "close", "Beigelegt", None)


def test_a_case_study_is_released_after_its_names_are_removed(site):
    """The facilitator's text names a party: flagged and refused; without it and confirmed, it is
    released, and another municipality reads it in the library."""
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Streit am Bolzplatz", parties="Familie Özdemir, Sportverein",
                                        location="Lindenweg")
        _close(site.world, case)
    site.login(site.world.facilitator)
    site.open(f"/cases/{case.id}")
    site.click_and_wait("a.button[href$='/study']")
    site.type("#lessons", "Familie Özdemir war zu Gesprächen bereit.")
    site.find("#confirmed").click()
    site.click_and_wait("button[value=release]")
    assert "Özdemir" in site.find(".error-summary").text and "/study" in site.driver.current_url
    site.type("#lessons", "Ein gemeinsamer Ortstermin mit allen Seiten brachte die Wende.")
    if not site.find("#confirmed").is_selected():
        site.find("#confirmed").click()
    site.click_and_wait("button[value=release]")
    assert "/studies/" in site.driver.current_url and "Ortstermin" in site.text()
    site.logout()
    site.login(site.world.outsider)
    site.open("/studies/")
    assert "Stadt Musterstadt" in site.text() and "Özdemir" not in site.driver.page_source
    site.click_and_wait("table.cases a")
    assert "Ortstermin" in site.text() and "Bolzplatz" not in site.driver.page_source


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_case_study_is_withdrawn_with_a_reason_and_its_pages_pass_axe(site, language):
    """The coordinator withdraws a released study: without a reason refused at the field, with
    one it leaves the library and its case's study page says why; each state axe-clean and
    without sideways scrolling at 1280 and 768 px."""
    from kokoma.services import studies

    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof", parties="Bürgerverein Nord")
        _close(site.world, case)
        study_id = studies.release(site.world.facilitator, case.id, "Früh alle Seiten einladen.", True).id
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open(f"/studies/{study_id}")
    problems = layout_problems(site, "released study with the withdrawal form")
    site.click_and_wait("#withdraw-heading ~ form button[type=submit]")
    assert site.find("#reason-error").is_displayed() and site.find("#reason").get_attribute("aria-invalid") == "true"
    problems.update(layout_problems(site, "withdrawal without a reason"))
    site.type("#reason", "Zu früh freigegeben")
    site.click_and_wait("#withdraw-heading ~ form button[type=submit]")
    assert site.driver.current_url.endswith(f"/cases/{case.id}/study") and "Zu früh freigegeben" in site.text()
    problems.update(layout_problems(site, "the case's study page after the withdrawal"))
    assert problems == {}, "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())
    site.logout()
    site.login(site.world.outsider)
    site.open("/studies/")
    assert f"/studies/{study_id}" not in site.driver.page_source


@pytest.mark.parametrize("language", ["de", "en"])
def test_case_studies_attachments_and_the_report_link_pass_axe_at_1280_and_768(site, language):
    import io

    from kokoma.services import attachments, studies

    with site.app.test_request_context():
        case = site.world.analysed_case(title="Konflikt am Bahnhof", parties="Bürgerverein Nord")
        attachments.add_attachment(site.world.facilitator, case.id, "Protokoll.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
        _close(site.world, case)
        studies.release(site.world.facilitator, case.id, "Früh alle Seiten einladen.", True)
        study_id = studies.study_of(case).id
        draft = site.world.analysed_case(title="Zweiter Fall")
        _close(site.world, draft)
    site.login(site.world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    problems = {}
    for path in (f"/cases/{case.id}", f"/cases/{draft.id}/study", "/studies/", f"/studies/{study_id}",
                 "/studies/?q=Seiten"):
        site.open(path)
        assert site.find("html").get_attribute("lang") == language
        problems.update(layout_problems(site, path, height=1000, screenshot=screenshot_name("studies", language, path)))
    assert problems == {}, reported(problems)
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
        problems.update(layout_problems(site, path, screenshot=screenshot_name("privacy", language, path)))
    assert problems == {}, reported(problems)
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
    problems.update(layout_problems(site, "empty", screenshot=screenshot_name("person", language, "empty")))
    site.type("#name", "Karla Brandtner")
    site.submit("form[action$='/privacy/person']")
    assert case.reference in site.find("#person-found").find_element("xpath", "..").text
    problems.update(layout_problems(site, "found", screenshot=screenshot_name("person", language, "found")))
    site.type("#reason", "Antrag vom 1.12.2026")
    site.find("input[name=mode][value=pseudonymise]").click()
    site.submit("form[action$='/privacy/person/erase']")
    problems.update(layout_problems(site, "done", screenshot=screenshot_name("person", language, "done")))
    assert problems == {}, reported(problems)
    site.open(f"/cases/{case.id}")
    assert "Brandtner" not in site.text() and "Person-" in site.text()


@pytest.mark.parametrize("language", ["de", "en"])
def test_edits_refused_because_someone_saved_meanwhile_keep_the_entries_and_pass_axe(site, language):
    """A measure, an actor, a partner and a study draft, each opened in the browser, saved by
    someone else meanwhile, then sent: the page refuses (409) with the entries kept and a link to
    the saved version, axe-clean and without sideways scrolling at 1280 and 768 px."""
    from sqlalchemy import update

    from kokoma.models import AnalysisActor, CaseStudy, Measure
    from kokoma.services import studies

    world = site.world
    with site.app.test_request_context():
        case = world.analysed_case(title="Konflikt am Bahnhof")
        measure = world.measure(case, title="Runder Tisch")
        analysis.add_item(world.facilitator, case.id, "actor", {"name": "Kameradschaft Nord", "kind": "group"})
        actor = db.session.scalars(select(AnalysisActor).where(AnalysisActor.name == "Kameradschaft Nord")).one()
        partner = db.session.scalars(select(Partner)).first()
        closed = world.analysed_case(title="Lärm am Pavillon")
        cases.fire_trigger(world.facilitator, closed.id, "start_processing", "", None)
        cases.fire_trigger(world.facilitator, closed.id, "close", "Beigelegt", None)
        studies.save_draft(world.facilitator, closed.id, "Früh alle einladen.")
    edits = [
        (world.facilitator, f"/cases/{case.id}/measures/{measure.id}", "#measure-title", "form.card",
         update(Measure).where(Measure.id == measure.id).values(outcome="Von Petra")),
        (world.facilitator, f"/cases/{case.id}/analysis/actors/{actor.id}", "#actor-name", "form.analysis-form",
         update(AnalysisActor).where(AnalysisActor.id == actor.id).values(interests="Von Petra")),
        (world.coordinator, f"/partners/{partner.id}", "#name", "form.case-form",
         update(Partner).where(Partner.id == partner.id).values(contact="Von Petra")),
        (world.facilitator, f"/cases/{closed.id}/study", "#lessons", "form:has(#lessons)",
         update(CaseStudy).where(CaseStudy.case_id == closed.id).values(lessons="Von Petra")),
    ]
    problems = {}
    for user, path, typed_in, form, meanwhile in edits:
        site.login(user)
        if site.find("html").get_attribute("lang") != language:  # (the account keeps the language chosen)
            site.click_and_wait(f"form.language button[value={language}]")
        site.open(path)
        site.type(typed_in, "Meine Eingabe")
        with site.app.app_context(), db.engine.begin() as other:  # someone else saves meanwhile
            other.execute(meanwhile)
        site.click_and_wait(f"{form} button[type=submit]")
        assert site.find("html").get_attribute("lang") == language
        assert site.find(typed_in).get_attribute("value") == "Meine Eingabe", path
        link = site.find("p.conflict a")
        assert link.get_attribute("target") == "_blank" and link.get_attribute("href").endswith(path)
        problems.update(layout_problems(site, f"{path} refused as a conflict",
                                        screenshot=screenshot_name("conflict", language, path)))
        site.logout()
    assert problems == {}, reported(problems)
