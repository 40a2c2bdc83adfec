"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from interviews.models import FollowUpStatus
from interviews.selectors import followup_counts_in_scope
from ipcop.permissions import FollowUpScope


def facilitator(user) -> dict:
    """Follow-ups due in the next 30 days, overdue and scheduled at the person's sites (all
    sites for admins): the counts of the list's tabs over those sites, read from the
    trigger-kept per-site counts and the open follow-ups' partial index
    (selectors.followup_counts_in_scope), not from a zone's follow-ups one by one."""
    scope = FollowUpScope(facilitator=None if user.is_admin else user.pk, elsewhere=())
    counts = followup_counts_in_scope(scope)
    return {
        "next30": counts["next30"],
        "overdue": counts["overdue"],
        "scheduled": counts[FollowUpStatus.SCHEDULED],
    }
