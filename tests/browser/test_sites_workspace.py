"""The facilitator workspace in a real browser: the board and forms work by keyboard and
show their errors accessibly (every page is scanned in test_accessibility.py)."""

import datetime
import os

import pytest

from accounts.tests.factories import UserFactory
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


def test_facilitator_adds_a_member_and_moves_an_initiative_by_keyboard(page, workspace):
    person = UserFactory(full_name="Nadia Newcomer")
    log_in(page, "fran@ipcop.example")
    page.goto(f"/sites/cops/{workspace['cop'].pk}/")
    _shot(page, "cop-desktop")
    page.get_by_role("link", name="Add member").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Person").select_option(str(person.pk))
    page.get_by_label("Joined on").fill(TODAY.isoformat())
    page.get_by_role("button", name="Save").focus()
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
