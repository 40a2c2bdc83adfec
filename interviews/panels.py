"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from django.urls import reverse

from interviews.models import FollowUpStatus
from interviews.selectors.followups import followup_panel_counts
from ipcop.dashboard import TodoLine
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


def facilitator_todo(user) -> list[TodoLine]:
    """The facilitator's follow-up to-do lines (ipcop.dashboard.TODO_SOURCES): the open
    follow-ups at their sites that are overdue, and those due this week, from the
    cached counts the follow-ups panel and list show."""
    counts = followup_panel_counts(user, managed_sites=sites_facilitated_by(user))
    followups = reverse("interviews:followup_list")
    overdue, week = counts["overdue"], counts["week"]
    return [
        TodoLine(
            count=overdue,
            text="follow-up interview overdue" if overdue == 1 else "follow-up interviews overdue",
            url=f"{followups}?due=overdue",
            urgent=True,
        ),
        TodoLine(
            count=week,
            text=(
                "follow-up interview due this week"
                if week == 1
                else "follow-up interviews due this week"
            ),
            url=f"{followups}?due=week",
        ),
    ]
