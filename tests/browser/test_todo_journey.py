"""The facilitator's to-do list in a real browser: from "Needing attention" on the home
page to confirming the requested placement it points at."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from interviews.models import Reminder, ReminderKind
from placements.models import Placement, PlacementStatus
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory
from tests.browser.conftest import log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_facilitator_goes_from_the_todo_list_to_confirming_a_requested_placement(page):
    fran = UserFactory(email="fran@ipcop.example", full_name="Fran Facilitator", facilitator=True)
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[fran])
    AffiliationAgreementFactory(site=site)
    start = timezone.localdate() + datetime.timedelta(days=20)
    placement = PlacementFactory(
        site=site, start_date=start, student=StudentFactory(user__full_name="Rita Requested")
    )
    # Another facilitator's request is not on Fran's list.
    PlacementFactory(site=SiteFactory(name="Elsewhere"), start_date=start)

    log_in(page, "fran@ipcop.example")
    page.goto("/")
    todo = page.get_by_role("region", name="Needing attention")
    expect(todo).to_contain_text("1 requested placement awaiting confirmation")
    assert serious_violations(page) == []

    todo.get_by_role("link", name="1 requested placement awaiting confirmation").click()
    page.wait_for_url("**/placements/?status=requested*")
    expect(page.locator("main")).to_contain_text("1 placement")
    page.get_by_role("link", name="Rita Requested").click()
    page.wait_for_url(f"**/placements/{placement.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm", exact=True).click()

    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.CONFIRMED
    # Her email waits in the outbox for the sweep.
    assert Reminder.objects.filter(
        placement=placement, kind=ReminderKind.PLACEMENT_CONFIRMED
    ).exists()
    page.goto("/")
    expect(page.get_by_role("region", name="Needing attention")).not_to_contain_text(
        "awaiting confirmation"
    )
