"""The interviews app's panels on the home dashboard (see ipcop/dashboard.py)."""

from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from interviews.cache import followups_version
from interviews.models import FollowUpStatus
from interviews.selectors.followups import (
    COUNTS_CACHE_SECONDS,
    WEEK_DAYS,
    followup_due_q,
    followup_panel_counts,
)
from ipcop.dashboard import TodoLine
from ipcop.permissions import followups_manageable_by, sites_facilitated_by


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
    follow-ups at their sites that are overdue, and those due in the next week, as the
    list's `due` filter counts them. Cached under the version of the follow-up data."""
    today = timezone.localdate()
    scope = "all" if user.is_admin else user.pk
    key = f"interviews:followup-todo:{followups_version()}:{scope}:{today.isoformat()}"
    counts = cache.get(key)
    if counts is None:
        counts = (
            followups_manageable_by(user)
            .open()
            .filter(due_on__lte=today + timedelta(days=WEEK_DAYS))
            .aggregate(
                overdue=Count("pk", filter=followup_due_q("overdue", today)),
                next7=Count("pk", filter=followup_due_q("next7", today)),
            )
        )
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    followups = reverse("interviews:followup_list")
    overdue, week = counts["overdue"], counts["next7"]
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
            url=f"{followups}?due=next7",
        ),
    ]
