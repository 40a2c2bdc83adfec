"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from interviews.models import FollowUpStatus
from interviews.selectors.followups import followup_panel_counts
from ipcop.permissions import sites_facilitated_by


def facilitator(user) -> dict:
    """Follow-ups due in the next 30 days, overdue and scheduled at the person's sites (all
    sites for admins), counted as the list's tabs count them."""
    counts = followup_panel_counts(user, managed_sites=sites_facilitated_by(user))
    return {
        "next30": counts["next30"],
        "overdue": counts["overdue"],
        "scheduled": counts[FollowUpStatus.SCHEDULED],
    }
