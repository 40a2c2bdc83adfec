"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from django.db.models import Count, Q
from django.utils import timezone

from interviews.models import OPEN_FOLLOWUP_STATUSES, FollowUp, FollowUpStatus
from interviews.selectors import followup_due_q
from ipcop.permissions import sites_facilitated_by


def facilitator(user) -> dict:
    """Follow-ups due in the next 30 days, overdue and scheduled at the person's sites, in
    one query that reads open follow-ups only, from the index followup_site_status_due_idx:
    the closed ones, most of a province's rows, are never read."""
    today = timezone.localdate()
    return FollowUp.objects.filter(
        site__in=sites_facilitated_by(user), status__in=OPEN_FOLLOWUP_STATUSES
    ).aggregate(
        next30=Count("due_on", filter=followup_due_q("next30", today)),
        overdue=Count("due_on", filter=followup_due_q("overdue", today)),
        scheduled=Count("due_on", filter=Q(status=FollowUpStatus.SCHEDULED)),
    )
