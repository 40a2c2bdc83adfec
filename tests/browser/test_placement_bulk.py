"""The coordinator's day in Chromium: sorting the placements list by a column header,
confirming several placements at once through the confirmation page (one refused for
want of a place), and cancelling one placement with its reason, on a phone."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements.models import Placement, PlacementStatus, PlacementStatusChange
from placements.tests.factories import (
    AffiliationAgreementFactory,
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory
from tests.browser.conftest import log_in, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

FITS_THE_PHONE = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
START = datetime.date(2030, 3, 4)


@pytest.fixture
def coordinator_world():
    """Fran facilitates one site offering two nursing places in March 2030; four students
    asked for one there (the last two compete for the second place), and Zed's
    placement elsewhere in the year holds no place."""
    fran = UserFactory(email="fran@ipcop.example", full_name="Fran Facilitator", facilitator=True)
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[fran])
    AffiliationAgreementFactory(site=site)
    nursing = ProfessionFactory(code="nursing")
    program = ProgramFactory(name="BScN", profession=nursing)
    CapacityFactory(
        site=site, profession=nursing, period_start=datetime.date(2030, 3, 1),
        period_end=datetime.date(2030, 3, 31), places=2,
    )  # fmt: skip
    placements = {}
    for i, name in enumerate(["Cleo Cole", "Abe Adams", "Bea Brown", "Zed Zimmer"]):
        start = START + datetime.timedelta(days=7 * i) if i < 3 else datetime.date(2030, 9, 1)
        placements[name] = PlacementFactory(
            student=StudentFactory(program=program, user__full_name=name),
            site=site, start_date=start, end_date=start + datetime.timedelta(days=13),
        )  # fmt: skip
    return {"facilitator": fran, "site": site, "placements": placements}


def test_facilitator_sorts_the_list_and_confirms_several_placements_at_once(
    page, coordinator_world
):
    placements = coordinator_world["placements"]
    log_in(page, "fran@ipcop.example")
    page.goto("/placements/")

    # Sorted by student, A to Z, from the column header; the header says how it sorts.
    # (The hidden hint reads "Student, sort A to Z"; Chromium spaces out hidden text.)
    page.get_by_role("link", name=re.compile(r"^Student\W+sort A to Z$")).click()
    header = page.locator("th[aria-sort]")
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(header).to_contain_text("Student")
    names = page.locator("table tbody tr td:nth-child(2)").all_inner_texts()
    assert names == ["Abe Adams", "Bea Brown", "Cleo Cole", "Zed Zimmer"]

    # Every row of the page, then all but Zed's.
    page.get_by_label("Select all placements on this page").check()
    for name in placements:
        expect(page.get_by_label(f"Select {name} at", exact=False)).to_be_checked()
    page.get_by_label("Select Zed Zimmer at", exact=False).uncheck()
    expect(page.get_by_label("Select all placements on this page")).not_to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm…").click()

    # The confirmation page: Cleo and Abe take the two places (earliest first), Bea is
    # refused and why; nothing has changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm placements")
    main = page.inner_text("main")
    assert "2 placements will be confirmed; 1 is refused and will not change." in main
    refused = page.get_by_role("row", name=re.compile("^Bea Brown"))
    expect(refused).to_contain_text("Refused: No place left")
    expect(refused).to_contain_text("held by Cleo Cole")
    for name in ("Cleo Cole", "Abe Adams"):
        row = page.get_by_role("row", name=re.compile(f"^{name}"))
        expect(row).to_contain_text("Will be confirmed")
    assert "Zed Zimmer" not in main
    assert not PlacementStatusChange.objects.exists()
    assert serious_violations(page) == []

    page.get_by_label("Note (optional)").fill("Agreed with the unit manager")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm 2 placements").click()

    # Back on the list, still sorted by student; only the accepted rows changed.
    expect(page.locator(".alert-success")).to_contain_text("Confirmed 2 placements.")
    expect(page.locator("th[aria-sort]")).to_contain_text("Student")
    status = {n: Placement.objects.get(pk=p.pk).status for n, p in placements.items()}
    assert status == {
        "Cleo Cole": "confirmed", "Abe Adams": "confirmed", "Bea Brown": "requested",
        "Zed Zimmer": "requested",
    }  # fmt: skip
    page.get_by_role("link", name="Abe Adams").click()
    expect(page.get_by_role("region", name="Status history")).to_contain_text(
        "Agreed with the unit manager"
    )


def test_facilitator_on_a_phone_cancels_a_placement_with_a_reason(phone_page, coordinator_world):
    page = phone_page
    placement = coordinator_world["placements"]["Abe Adams"]
    log_in(page, "fran@ipcop.example")
    page.goto(f"/placements/{placement.pk}/")
    page.get_by_role("link", name="Cancel placement…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the placement of Abe Adams")
    assert page.evaluate(FITS_THE_PHONE)

    # No reason: a clear message next to the field, and nothing changed.
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel placement").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Give the reason for cancelling.")
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.REQUESTED
    assert serious_violations(page) == []

    page.get_by_label("Reason for cancelling").fill("The student deferred a term")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel placement").click()
    expect(page.locator(".alert-success")).to_contain_text("Placement cancelled.")
    expect(page.get_by_role("region", name="Status history")).to_contain_text(
        "The student deferred a term"
    )
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.CANCELLED
    assert page.evaluate(FITS_THE_PHONE)


def test_on_a_phone_the_filters_fold_until_one_is_in_use(phone_page, page, coordinator_world):
    # On a phone: the rows come first, the folded filters open from their summary.
    log_in(phone_page, "fran@ipcop.example")
    phone_page.goto("/placements/")
    student = phone_page.get_by_label("Student", exact=True)
    expect(student).to_be_hidden()
    expect(phone_page.get_by_role("link", name="Abe Adams")).to_be_visible()
    phone_page.locator("summary", has_text="Filters").focus()
    phone_page.keyboard.press("Enter")
    expect(student).to_be_visible()
    student.fill("Abe")
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Filter").click()
    # A filter in use keeps them open, and the summary says so.
    expect(phone_page.locator("summary")).to_have_text("Filters (1 in use)")
    expect(student).to_be_visible()
    assert phone_page.evaluate(FITS_THE_PHONE)

    # On a desktop they stay open.
    log_in(page, "fran@ipcop.example")
    page.goto("/placements/")
    expect(page.get_by_label("Student", exact=True)).to_be_visible()
