"""The facilitator's dashboard panel: recent activity of their own CoPs only, newest first."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from sites.models import InitiativeStatus
from sites.panels import RECENT_ROWS
from sites.panels import facilitator as facilitator_panel
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def test_recent_activity_merges_meetings_initiatives_and_joins_newest_first(
    cop, facilitator, outsider
):
    meeting = MeetingFactory(community=cop, held_on=_days_ago(3))
    InitiativeFactory(  # updated now: today
        community=cop, title="Joint <huddle>", status=InitiativeStatus.IN_PROGRESS
    )
    MembershipFactory(
        community=cop, person=UserFactory(full_name="Jo Joiner"), joined_on=_days_ago(1)
    )
    MembershipFactory(community=cop, person=UserFactory(full_name=""), joined_on=_days_ago(5))
    MembershipFactory(  # joins tomorrow: not yet activity
        community=cop, person=UserFactory(full_name="Fu Ture"), joined_on=_days_ago(-1)
    )
    other = CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    MeetingFactory(community=other, held_on=_days_ago(0))

    recent = facilitator_panel(facilitator)["recent"]

    texts = [item["text"] for item in recent]
    assert texts[0] == f"Initiative “Joint <huddle>” (In progress) in {cop.name}"
    assert texts[1] == f"Jo Joiner joined {cop.name}"
    assert texts[2] == f"Meeting of {cop.name}"
    assert texts[3].endswith(f"@example.org joined {cop.name}")  # no name: the email
    assert not any("Fu Ture" in text or "Elsewhere" in text for text in texts)
    assert [item["on"] for item in recent] == sorted((i["on"] for i in recent), reverse=True)
    assert recent[0]["url"] == reverse("sites:cop_detail", args=[cop.pk]) + "#initiatives"
    assert recent[2]["url"] == reverse("sites:meeting_detail", args=[meeting.pk])


def test_recent_activity_keeps_the_newest_rows_only(cop, facilitator):
    for days in range(RECENT_ROWS + 4):
        MeetingFactory(community=cop, held_on=_days_ago(days))
    recent = facilitator_panel(facilitator)["recent"]
    assert len(recent) == RECENT_ROWS
    assert recent[-1]["on"] == _days_ago(RECENT_ROWS - 1)


def test_admins_see_every_cops_activity(admin, cop, outsider):
    other = CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    MeetingFactory(community=other, held_on=_days_ago(2))
    MeetingFactory(community=cop, held_on=_days_ago(4))
    texts = [item["text"] for item in facilitator_panel(admin)["recent"]]
    assert texts == ["Meeting of Elsewhere CoP", f"Meeting of {cop.name}"]
