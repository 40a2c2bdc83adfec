"""The facilitator workspace in a real browser: the board and forms work by keyboard and
show their errors accessibly (every page is scanned in test_accessibility.py)."""

import datetime
import os
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from mentoring.tests.factories import MentorAssignmentFactory
from placements.tests.factories import PlacementFactory
from sites.models import Initiative, InitiativeStatus, Membership
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)
from tests.browser.conftest import log_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date.today()
SCREENSHOTS = os.environ.get("SITES_SCREENSHOTS")  # a folder, to look at the pages by eye


@pytest.fixture
def workspace():
    facilitator = UserFactory(
        email="fran@ipcop.example", full_name="Fran Facilitator", facilitator=True
    )
    site = SiteFactory(name="Royal Alexandra Hospital", facilitators=[facilitator])
    UnitFactory(site=site, name="4 West medicine")
    cop = CommunityOfPracticeFactory(site=site, name="4 West CoP", facilitators=[facilitator])
    members = [
        MembershipFactory(community=cop, person=UserFactory(full_name=f"Member {i}"))
        for i in range(4)
    ]
    MeetingFactory(community=cop, attendees=members[:3], action_items="Pilot the huddle")
    InitiativeFactory(community=cop, title="Joint huddles", in_progress=True)
    InitiativeFactory(community=cop, title="One intake person", theme="admission_intake")
    return {"facilitator": facilitator, "site": site, "cop": cop}


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _person_of(site, name):
    """A preceptor mentoring at `site`: linked to it, so its CoPs' search finds them."""
    mentor = UserFactory(full_name=name, preceptor=True)
    MentorAssignmentFactory(placement=PlacementFactory(site=site), mentor=mentor)
    return mentor


SEARCH = "Find a person linked to Royal Alexandra Hospital"


def test_facilitator_adds_a_member_and_moves_an_initiative_by_keyboard(page, workspace):
    person = _person_of(workspace["site"], "Nadia Newcomer")
    _person_of(workspace["site"], "Nadine Other")
    log_in(page, "fran@ipcop.example")
    page.goto(f"/sites/cops/{workspace['cop'].pk}/")
    _shot(page, "cop-desktop")
    page.get_by_role("link", name="Add member").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    search = page.get_by_role("combobox", name=SEARCH)
    search.focus()
    page.keyboard.type("nadi")
    expect(page.get_by_role("status")).to_contain_text("2 people match")
    expect(search).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")  # Nadia, then Nadine: by name
    expect(search).to_have_attribute("aria-activedescendant", f"member-search-results-{person.pk}")
    found = page.get_by_role("listbox", name="People found")
    expect(found.get_by_role("option", name=re.compile("^Nadia Newcomer"))).to_have_attribute(
        "aria-selected", "true"
    )
    page.keyboard.press("Enter")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("status")).to_contain_text("Nadia Newcomer is chosen")
    expect(page.get_by_label("Person linked to the site", exact=True)).to_have_value(str(person.pk))
    page.get_by_label("Joined on").fill(TODAY.isoformat())
    page.get_by_role("button", name="Add member").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/sites/cops/{workspace['cop'].pk}/")
    assert page.get_by_role("alert").inner_text() == "Nadia Newcomer joined 4 West CoP."
    assert Membership.objects.filter(person=person).exists()

    page.get_by_role("button", name="Move One intake person to Planned").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "moved to Planned" in page.get_by_role("alert").inner_text()
    assert Initiative.objects.get(title="One intake person").status == InitiativeStatus.PLANNED
    assert serious_violations(page) == []


def test_meeting_form_shows_errors_next_to_fields(page, workspace):
    log_in(page, "fran@ipcop.example")
    page.goto(f"/sites/cops/{workspace['cop'].pk}/meetings/new/")
    page.get_by_label("Held on").fill((TODAY + datetime.timedelta(days=3)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    _shot(page, "meeting-form-error")
    assert "A meeting is recorded after it is held." in page.inner_text("main")
    assert serious_violations(page) == []


def test_the_member_search_offers_only_the_sites_people_and_passes_axe(page, workspace):
    _person_of(workspace["site"], "Nadia Newcomer")
    elsewhere = _person_of(SiteFactory(name="Misericordia"), "Nadia Elsewhere")
    UserFactory(full_name="Nadia Admin", admin=True)
    log_in(page, "fran@ipcop.example")
    page.goto(f"/sites/cops/{workspace['cop'].pk}/members/new/")
    html = page.content()
    assert "Nadia Newcomer" in html  # listed: among the site's first 20 people by name
    assert "Nadia Elsewhere" not in html and "Nadia Admin" not in html
    page.get_by_role("combobox", name=SEARCH).fill("nadia")
    expect(page.get_by_role("status")).to_contain_text("1 person matches")
    options = page.get_by_role("listbox", name="People found").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Nadia Newcomer")
    _shot(page, "member-search-open")
    assert serious_violations(page) == []
    page.get_by_role("combobox", name=SEARCH).fill("n")
    expect(page.get_by_role("status")).to_have_text("Type at least 2 characters.")
    expect(page.get_by_role("listbox", name="People found")).to_be_hidden()
    page.keyboard.press("Escape")
    assert elsewhere.email not in page.content()


def test_a_member_is_added_without_javascript(browser, live_server, workspace):
    person = _person_of(workspace["site"], "Nadia Newcomer")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, "fran@ipcop.example")
        page.goto(f"/sites/cops/{workspace['cop'].pk}/members/new/")
        page.get_by_label(SEARCH).fill("newcomer")
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        assert "1 person matches “newcomer”" in page.inner_text("main")
        page.get_by_label("Person linked to the site", exact=True).select_option(str(person.pk))
        page.get_by_label("Joined on").fill(TODAY.isoformat())
        with page.expect_navigation():
            page.get_by_role("button", name="Add member").click()
        assert page.get_by_role("alert").inner_text() == "Nadia Newcomer joined 4 West CoP."
    finally:
        context.close()
