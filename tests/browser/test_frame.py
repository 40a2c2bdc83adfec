"""The frame every role sees: login by keyboard, the login error, the home page and logout.
Every page's accessibility and phone layout are scanned in test_accessibility.py."""

import pytest

from accounts.models import User
from tests.browser.conftest import log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def facilitator():
    return User.objects.create_user(
        email="fran@ipcop.example",
        password="pass",
        full_name="Fran Facilitator",
        is_facilitator=True,
    )


def test_login_form_in_error_state_is_accessible_and_says_why(page, facilitator):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("fran@ipcop.example")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    summary = page.get_by_role("alert").first.inner_text()
    assert summary.startswith("There is a problem") and "Please enter a correct email" in summary
    assert serious_violations(page) == []


def test_login_with_keyboard_alone(page, facilitator):
    page.goto("/accounts/login/")
    # Tab from the top of the page: skip link, brand, then the form's fields.
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.name") != "username":
        page.keyboard.press("Tab")
    page.keyboard.type("fran@ipcop.example")
    page.keyboard.press("Tab")
    page.keyboard.type("pass")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Fran"


def test_home_then_logout(page, facilitator):
    log_in(page, "fran@ipcop.example")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url
