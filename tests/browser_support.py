"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, and axe-core
from tests/browser/node_modules, for the real-browser tests. Nothing is downloaded."""
import json
import re
import shutil
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    needs = []
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        needs.append("Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    if not AXE.exists():
        needs.append("axe-core (npm ci --prefix tests/browser)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        needs.append("selenium (pip install -e '.[test]')")
    return ("real-browser tests skipped: they need " + " and ".join(needs) + "; .ci/run installs them") if needs else None


def start_chromium(language: str = "de"):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--window-size=1024,900", f"--lang={language}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


class LiveServer:
    """The app on 127.0.0.1 in a thread of this process, on a free port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def axe_violations(driver) -> list[dict]:
    """Run axe-core on the current page for WCAG 2.1 A and AA; return its violations."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));",
        WCAG_21_AA,
    )
    return json.loads(result)


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v.get('impact')}): {v.get('help')} at "
        + ", ".join(str(node.get("target")) for node in v.get("nodes", [])[:5])
        for v in violations
    )


def layout_problems(site, state: str, widths=(1280, 768), height: int = 900, screenshot: str | None = None) -> dict:
    """axe's violations and any sideways scrolling of the page open now, at each width; with
    ``screenshot``, a picture of each width in test-artifacts/ as ``<screenshot>-<width>.png``."""
    problems = {}
    try:
        for width in widths:
            site.driver.set_window_size(width, height)
            violations = axe_violations(site.driver)
            if violations:
                problems[f"{state} at {width}px"] = describe(violations)
            overflow = site.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                problems[f"{state} at {width}px (layout)"] = f"scrolls sideways by {overflow}px"
            if screenshot:
                ARTIFACTS.mkdir(exist_ok=True)
                site.driver.save_screenshot(str(ARTIFACTS / f"{screenshot}-{width}.png"))
    finally:
        site.driver.set_window_size(1024, 900)
    return problems


def screenshot_name(*parts: str) -> str:
    """A file name for a screenshot of a page: its path and state, without slashes or queries."""
    return "-".join(re.sub(r"[^\w.-]+", "_", part.strip("/")) for part in parts if part)


def reported(problems: dict) -> str:
    return "\n\n".join(f"{page}:\n{text}" for page, text in problems.items())
