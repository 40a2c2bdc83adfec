"""After a failed submit the form's error summary takes focus, and its links take the
keyboard to the field in trouble (static/js/ipcop.js)."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_IS_SUMMARY = "() => document.activeElement.hasAttribute('data-error-summary')"


def test_the_error_summary_takes_focus_and_links_to_the_field(page):
    UserFactory(email="pat@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("pat@example.org")
    page.get_by_label("Password").fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Please enter a correct")
    assert page.evaluate(FOCUSED_IS_SUMMARY)

    # A field's error: the summary's link moves the focus to that field.
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.evaluate(FOCUSED_IS_SUMMARY)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_username"
