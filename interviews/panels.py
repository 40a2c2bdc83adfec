"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from interviews.models import FollowUp
from interviews.selectors import followup_counts
from ipcop.permissions import sites_facilitated_by


def facilitator(user) -> dict:
    """Follow-ups due in the next 30 days and overdue at the person's sites (one query)."""
    counts = followup_counts(FollowUp.objects.filter(site__in=sites_facilitated_by(user)))
    return {
        "next30": counts["next30"],
        "overdue": counts["overdue"],
        "scheduled": counts["scheduled"],
    }
