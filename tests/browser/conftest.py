"""Real-browser fixtures: Playwright driving Debian's chromium against pytest-django's
live server, which runs on the suite's PostgreSQL database."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# to arrange data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "pass"  # the factories' password


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


ARTIFACTS = os.environ.get("BROWSER_ARTIFACTS")  # a folder: screenshot and HTML of failures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _keep_failure(request, page, suffix: str) -> None:
    report = getattr(request.node, "report_call", None)
    if not ARTIFACTS or report is None or not report.failed:
        return
    os.makedirs(ARTIFACTS, exist_ok=True)
    stem = os.path.join(ARTIFACTS, f"{request.node.name}-{suffix}")
    page.screenshot(path=f"{stem}.png", full_page=True)
    with open(f"{stem}.html", "w") as handle:
        handle.write(page.content())


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    _keep_failure(request, page, "desktop")
    context.close()


@pytest.fixture
def phone_page(request, browser, live_server):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    _keep_failure(request, page, "phone")
    context.close()


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def axe_options() -> dict:
    """axe-core's options: the WCAG 2.0, 2.1 and 2.2 A and AA rules, violations only."""
    return {
        "runOnly": {
            "type": "tag",
            "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
        },
        "resultTypes": ["violations"],
    }


def serious_violations(page) -> list[str]:
    """axe-core (shipped by axe-playwright-python) against WCAG 2.2 AA; serious and
    critical violations, described for the assertion message."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=axe_options())
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:5]
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}"
            )
    return found
