"""In a real browser: the coordinator switches pseudonyms on, a facilitator shows the names for one
case with a reason (the form that comes back with an error is open and focused) and restores the
pseudonyms, the advisor reads "Person A" and the facilitator is told whom it stands for; axe on the new page and forms, German and English, at
1280 and 768 px."""
import os

import pytest

from kokoma.services import analysis, pseudonyms

from .browser_support import ARTIFACTS, layout_problems, missing
from .test_browser import driver, site  # noqa: F401 - the fixtures

if missing() and os.environ.get("KOKOMA_REQUIRE_BROWSER"):
    raise RuntimeError(missing())
pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


def person_case(site):
    with site.app.test_request_context():
        case = site.world.analysed_case(title="Beschwerde von Theodor Quandtmann",
                                        description="Herr Quandtmann beschwert sich über Lärm.")
        analysis.add_item(site.world.facilitator, case.id, "actor", {
            "name": "Theodor Quandtmann", "kind": "person", "role": "primary", "influence": "medium",
            "affected": False, "anti_democratic": False})
    return case


def screenshot(site, name, width):
    ARTIFACTS.mkdir(exist_ok=True)
    site.driver.set_window_size(width, 900)
    height = site.driver.execute_script("return document.documentElement.scrollHeight")
    site.driver.set_window_size(width, min(height + 150, 4000))
    site.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    site.driver.set_window_size(1024, 900)


@pytest.mark.parametrize("language", ["de", "en"])
def test_pseudonyms_from_the_setting_to_lifting_and_back_pass_axe_at_1280_and_768(site, language):
    case = person_case(site)
    problems = {}
    site.login(site.world.coordinator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open("/privacy/pseudonyms")
    assert site.find("html").get_attribute("lang") == language
    problems.update(layout_problems(site, "setting"))
    screenshot(site, f"pseudonyms-setting-{language}-768", 768)
    site.find("#enabled").click()
    site.click_and_wait("form.case-form button[type=submit]")
    assert site.find("#enabled").is_selected()
    with site.app.test_request_context():
        assert pseudonyms.enabled_for(site.world.musterstadt.id)
    site.logout()

    site.login(site.world.facilitator)
    if language == "en":
        site.click_and_wait("form.language button[value=en]")
    site.open(f"/cases/{case.id}")
    legend = site.find("#pseudonym-legend ~ dl.facts").text.split("\n")
    assert legend == ["Person A", "Theodor Quandtmann"]  # whom an advisor's "Person A" stands for
    site.open_details("#pseudonyms-lift")
    problems.update(layout_problems(site, "case page, legend and lifting form"))
    screenshot(site, f"pseudonyms-legend-{language}-768", 768)
    site.click_and_wait("#pseudonyms-lift button[type=submit]")  # no reason: refused at the field
    assert site.driver.switch_to.active_element.get_attribute("id") == "pseudonyms-reason"
    assert site.find("#pseudonyms-reason-error").is_displayed()
    problems.update(layout_problems(site, "case page, lifting refused"))
    site.type("#pseudonyms-reason", "Die Beraterin moderiert das Gespräch")
    site.click_and_wait("#pseudonyms-lift button[type=submit]")
    assert "Die Beraterin moderiert das Gespräch" in site.find("#timeline-heading").find_element(
        "xpath", "../../..").text
    problems.update(layout_problems(site, "case page, names shown"))
    screenshot(site, f"pseudonyms-lifted-{language}-768", 768)
    site.click_and_wait("form[action$='/pseudonyms/restore'] button[type=submit]")
    assert site.find("#pseudonyms-lift")  # the pseudonyms are back: the lifting form again
    site.logout()

    site.login(site.world.advisor)
    site.open(f"/cases/{case.id}")
    assert "Person A" in site.text() and "Quandtmann" not in site.text()
    problems.update(layout_problems(site, "case page, as the advisor"))
    assert problems == {}, "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())
