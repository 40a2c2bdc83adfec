"""Follow-up interviews: the writes of the interviews app."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction

from interviews.models import FollowUp


def followup_due_date(start):
    """The day a follow-up is due: FOLLOWUP_DELAY_MONTHS after joining or starting."""
    return start + relativedelta(months=settings.FOLLOWUP_DELAY_MONTHS)


@transaction.atomic
def followup_for_membership(*, membership) -> FollowUp:
    """Create (once) the follow-up a CoP member is due after joining."""
    followup, _ = FollowUp.objects.get_or_create(
        membership=membership,
        defaults={
            "participant_id": membership.person_id,
            "site_id": membership.community.site_id,
            "due_on": followup_due_date(membership.joined_on),
        },
    )
    return followup


@transaction.atomic
def followup_for_placement(*, placement) -> FollowUp:
    """Create (once) the follow-up a placed student is due after starting. Ending the
    placement early keeps it."""
    followup, _ = FollowUp.objects.get_or_create(
        placement=placement,
        defaults={
            "participant_id": placement.student.user_id,
            "site_id": placement.site_id,
            "due_on": followup_due_date(placement.start_date),
        },
    )
    return followup
