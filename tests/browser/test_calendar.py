"""The placement calendar in a real browser: read by keyboard and as a table (its
caption, column and row headers, and the places written in each week), on a phone
without sideways page scroll, and printed (every page is scanned in
test_accessibility.py; this page is scanned here too)."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements.models import PlacementStatus
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory
from tests.browser.conftest import log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = datetime.date
SCREENSHOTS = os.environ.get("CALENDAR_SCREENSHOTS")  # a folder, to look at the pages by eye
OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def ward():
    facilitator = UserFactory(
        email="fran@ipcop.example", full_name="Fran Facilitator", facilitator=True
    )
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[facilitator])
    unit = UnitFactory(site=site, name="4 West medicine")
    nursing = ProgramFactory(name="BScN", profession=ProfessionFactory(code="nursing"))
    CapacityFactory(
        site=site,
        unit=unit,
        profession=nursing.profession,
        period_start=D(2030, 1, 1),
        period_end=D(2030, 3, 31),
        places=3,
    )
    for name, start, end, status in [
        ("Ana Arnold", D(2030, 1, 7), D(2030, 2, 15), PlacementStatus.CONFIRMED),
        ("Ben Brook", D(2030, 2, 4), D(2030, 4, 26), PlacementStatus.ACTIVE),
    ]:
        PlacementFactory(
            student=StudentFactory(program=nursing, user__full_name=name),
            site=site,
            unit=unit,
            start_date=start,
            end_date=end,
            status=status,
        )
    return site


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_the_calendar_by_keyboard_reads_as_a_table(page, ward):
    log_in(page, "fran@ipcop.example")
    page.goto(f"/placements/calendar/{ward.pk}/?start=2030-01&months=3")
    table = page.get_by_role(
        "table", name="Placements and places at Royal Alexandra Hospital, week by week"
    )
    expect(table).to_be_visible()
    _shot(page, "calendar-desktop")
    expect(table.get_by_role("columnheader", name="January 2030")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Week of 7 Jan")).to_be_visible()
    expect(table.get_by_role("rowheader", name="4 West medicine")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Nursing: places")).to_be_visible()
    ana = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Ana Arnold"))
    expect(ana.get_by_role("cell")).to_have_text(
        ["", "Confirmed Mon 7 Jan 2030 to 15 Feb 2030", *[""] * 6], use_inner_text=True
    )
    places = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Nursing: places")
    )
    # Week of 11 Feb: both hold a place of the period; one is free.
    expect(places.get_by_role("cell").nth(7)).to_have_text("2 of 3 held 1 free")
    assert serious_violations(page) == []

    # Tab from the top of the page to the next period, and follow it with Enter.
    next_link = page.get_by_role("link", name="Next 3 months")
    for _ in range(40):
        page.keyboard.press("Tab")
        if next_link.evaluate("link => link === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the link to the next period")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "start=2030-04" in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Placement calendar of Royal Alexandra Hospital"
    )
    expect(page.get_by_text("April 2030 to June 2030")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Ben Brook")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Ana Arnold")).to_have_count(0)
    # No capacity in these months: the places are not limited.
    expect(table.get_by_role("cell", name="No capacity recorded: not limited.")).to_be_visible()
    # The table's scrolling region takes the focus, so the keyboard can scroll it.
    region = page.get_by_role("region", name="Placements and places at Royal Alexandra Hospital")
    region.focus()
    expect(region).to_be_focused()


def test_on_a_phone_each_row_is_a_card_and_nothing_scrolls_sideways(phone_page, ward):
    page = phone_page
    log_in(page, "fran@ipcop.example")
    page.goto(f"/placements/calendar/{ward.pk}/?start=2030-01&months=6")
    assert page.evaluate(OVERFLOW_JS) <= 0
    _shot(page, "calendar-phone")
    # Not even inside the table's region: its rows are cards as wide as the screen.
    region = page.get_by_role("region", name="Placements and places at Royal Alexandra Hospital")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")
    table = page.get_by_role("table")
    ana = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Ana Arnold"))
    expect(ana).to_contain_text("Confirmed Mon 7 Jan 2030 to 15 Feb 2030")
    # Each week's places are labelled with their week, beside the count.
    places = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Nursing: places")
    )
    week = places.get_by_role("cell").nth(6)
    assert week.evaluate("td => getComputedStyle(td, '::before').content") == (
        '"Week of 11 Feb 2030"'
    )
    expect(week).to_have_text("2 of 3 held 1 free")
    assert serious_violations(page) == []


def test_print_button_prints_the_table_without_the_controls(page, ward):
    log_in(page, "fran@ipcop.example")
    page.goto(f"/placements/calendar/{ward.pk}/?start=2030-01&months=3")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed === true")
    page.emulate_media(media="print")
    _shot(page, "calendar-print")
    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("navigation", name="Calendar periods")).to_be_hidden()
    expect(page.get_by_role("search", name="Period and filters")).to_be_hidden()
    # In print the whole table shows: nothing is cut by the scrolling region.
    region = page.locator(".calendar-scroll")
    assert region.evaluate("el => getComputedStyle(el).overflowX") == "visible"
