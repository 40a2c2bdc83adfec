"""Reads of follow-ups: the list with its tabs' counts, the facilitator's home panel and
the private calendar feed, over the querysets of `ipcop.permissions`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from interviews.cache import followups_version
from interviews.models import (
    FOLLOWUP_CLOSED,
    OPEN_FOLLOWUP_STATUSES,
    FollowUp,
    FollowUpCount,
    FollowUpStatus,
)
from ipcop.lib.formats import weekday_datetime
from ipcop.lib.keyset import KeysetPage, keyset_page

if TYPE_CHECKING:
    from accounts.models import User
    from sites.models import Site

DUE_WINDOW_DAYS = 30

# The counts are cached under the version of the follow-up data (interviews.cache), which
# the services bump; this bounds how long a write that bypasses them goes unseen.
COUNTS_CACHE_SECONDS = 300

# The list's "due" filter: named windows relative to today.
DUE_FILTERS = {
    "week": "Due this week",
    "next30": "Due in the next 30 days",
    "overdue": "Overdue",
}

STATUS_LABELS = dict(FollowUpStatus.choices)

# The badge each status is shown in (the label, not the colour, carries the meaning).
STATUS_BADGES = {
    FollowUpStatus.PENDING: "text-bg-light border",
    FollowUpStatus.SCHEDULED: "text-bg-primary",
    FollowUpStatus.COMPLETED: "text-bg-success",
}


def week_of(today: date) -> tuple[date, date]:
    """The Monday and the Sunday of the week of `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def _due_window_q(due: str, today: date) -> Q:
    if due == "week":
        # From today to Sunday: what is due earlier this week is overdue, its own tab.
        _, sunday = week_of(today)
        return Q(due_on__gte=today, due_on__lte=sunday)
    if due == "next30":
        return Q(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS))
    if due == "overdue":
        return Q(due_on__lt=today)
    return Q()


def followup_due_q(due: str, today: date) -> Q:
    """Open follow-ups in the named due window (`DUE_FILTERS`); no condition for others."""
    if due in DUE_FILTERS:
        return Q(status__in=OPEN_FOLLOWUP_STATUSES) & _due_window_q(due, today)
    return Q()


# --- Counts ----------------------------------------------------------------------------


def _no_counts() -> dict:
    return dict.fromkeys(["total", *DUE_FILTERS, *FollowUpStatus.values], 0)


def _count_at_sites(counts: dict, sites: QuerySet[Site], today: date) -> None:
    """Add the counts of every follow-up at `sites`: per status from the kept counts (a
    few rows a site, not its follow-ups one by one), and the due windows from the open
    follow-ups due by the end of the next window (followup_open_site_due_idx alone)."""
    kept = (
        FollowUpCount.objects.filter(site__in=sites)
        .order_by()
        .values_list("status")
        .annotate(total=Sum("total"))
    )
    for status, total in kept:
        counts[status] += total
        counts["total"] += total
    # The week ends at the latest 6 days from today, inside the 30-day window.
    windows = (
        FollowUp.objects.open()
        .filter(site__in=sites, due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS))
        .aggregate(**{due: Count("pk", filter=_due_window_q(due, today)) for due in DUE_FILTERS})
    )
    for due in DUE_FILTERS:
        counts[due] += windows[due]


def _cached(key: str, count) -> dict:
    key = f"interviews:{key}:{followups_version()}"
    counts = cache.get(key)
    if counts is None:
        counts = count()
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def followup_counts(
    user: User,
    *,
    managed_sites: QuerySet[Site],
    site: int | None = None,
    today: date | None = None,
) -> dict:
    """The list's tab counts over what `user` may see (`followups_visible_to`: every
    follow-up at `managed_sites`, from `sites_facilitated_by`, and those they take part in),
    at `site` only if given: per status, in all ("total") and the open ones in each due window ("next30",
    "overdue"). The follow-ups the person manages, every one at their sites, are counted
    from the kept counts; the rest of what they see, the follow-ups they take part in
    elsewhere (usually none), one by one. Cached: the list's every page shows them."""
    today = today or timezone.localdate()
    return _cached(
        f"followup-counts:{user.pk}:{site}:{today.isoformat()}",
        lambda: _followup_counts(user, managed_sites, site, today),
    )


def _followup_counts(
    user: User, managed_sites: QuerySet[Site], site: int | None, today: date
) -> dict:
    counts = _no_counts()
    sites = managed_sites
    involving = FollowUp.objects.involving(user)
    if site is not None:
        sites = sites.filter(pk=site)
        involving = involving.filter(site_id=site)
    _count_at_sites(counts, sites, today)
    elsewhere = (
        involving.exclude(site__in=sites)
        .order_by()
        .values("status")
        .annotate(
            n=Count("pk"),
            **{due: Count("pk", filter=_due_window_q(due, today)) for due in DUE_FILTERS},
        )
    )
    for row in elsewhere:
        status = row["status"]
        counts[status] += row["n"]
        counts["total"] += row["n"]
        if status in OPEN_FOLLOWUP_STATUSES:
            for due in DUE_FILTERS:
                counts[due] += row[due]
    return counts


def followup_panel_counts(
    user: User, *, managed_sites: QuerySet[Site], today: date | None = None
) -> dict:
    """The tab counts over every follow-up at `managed_sites` (the person's, from
    `sites_facilitated_by`: all sites for admins): what the facilitator's home panel
    shows. Cached as the list's."""
    today = today or timezone.localdate()
    scope = "all" if user.is_admin else user.pk

    def count() -> dict:
        counts = _no_counts()
        _count_at_sites(counts, managed_sites, today)
        return counts

    return _cached(f"followup-panel:{scope}:{today.isoformat()}", count)


# --- The list --------------------------------------------------------------------------


# What a row of the list shows, formatted: "pk", "due_on", "due" (YYYY-MM-DD), "status"
# (its label), "badge" (its badge's classes), "closed" (the list's rank), "overdue" (open and
# due before today), "participant", "follows", "site", "interview" ("YYYY-MM-DD HH:MM with
# <interviewer>" in local time, or ""). Dicts: a template reads them a key at a time, and
# Django's date filter cost as much as the rest of the rows.
FollowUpRow = dict


def _name(full_name: str | None, email: str | None) -> str:
    # As User.__str__ names a person.
    return full_name or email or ""


def _rows(page: QuerySet[FollowUp], today: date) -> list[FollowUpRow]:
    """The rows of a page (at most a page and one of the list's follow-ups, by id): the
    page's ids are found from the list's index alone (it holds the columns that decide
    who sees a row), and the names are joined to those rows only."""
    found = FollowUp.objects.filter(pk__in=page.values("pk")).values_list(
        "pk",
        "due_on",
        "status",
        "placement_id",
        "site__name",
        "scheduled_at",
        "participant__full_name",
        "participant__email",
        "interviewer__full_name",
        "interviewer__email",
    )
    zone = timezone.get_current_timezone()
    return [
        {
            "pk": pk,
            "due_on": due_on,
            "due": due_on.isoformat(),
            "status": STATUS_LABELS.get(status, status),
            "badge": STATUS_BADGES.get(status, "text-bg-secondary"),
            "closed": status not in OPEN_FOLLOWUP_STATUSES,
            "overdue": status in OPEN_FOLLOWUP_STATUSES and due_on < today,
            "participant": _name(participant, participant_email),
            "follows": "Placement" if placement_id else "CoP membership",
            "site": site,
            "interview": f"{weekday_datetime(scheduled_at.astimezone(zone))} with "
            f"{_name(interviewer, interviewer_email)}"
            if scheduled_at
            else "",
        }
        for (
            pk,
            due_on,
            status,
            placement_id,
            site,
            scheduled_at,
            participant,
            participant_email,
            interviewer,
            interviewer_email,
        ) in found
    ]


def followup_page(
    visible: QuerySet[FollowUp],
    *,
    site: int | None,
    status: str | None,
    due: str | None,
    counts: dict,
    params,
    per_page: int,
    query: str = "",
    today: date | None = None,
) -> KeysetPage:
    """The page of `visible` (`followups_visible_to(user)`), filtered, that `params` (request.GET)
    points at, in due date order, the open follow-ups first when neither a status nor a
    due window filters them (keyset pagination on followup_open_first_due_idx, or
    followup_status_due_id_idx and followup_open_due_id_idx when filtered). `counts`
    (`followup_counts` at the same site) give the list's size unless both a status and a
    due window filter it; then it is counted, up to the cap."""
    today = today or timezone.localdate()
    followups = visible
    if site is not None:
        followups = followups.filter(site_id=site)
    if status:
        followups = followups.filter(status=status)
    if due:
        followups = followups.filter(followup_due_q(due, today))
    # A status or a due window keeps only open or only closed follow-ups: the rank would
    # be the same for every row, and the filter's own index gives the order.
    ranked = not status and not due
    if ranked:
        followups = followups.alias(closed=FOLLOWUP_CLOSED)
    return keyset_page(
        followups,
        field="due_on",
        descending=False,
        params=params,
        per_page=per_page,
        query=query,
        rows=lambda page: _rows(page, today),
        count=None if status and due else counts[status or due or "total"],
        rank="closed" if ranked else None,
    )


# --- The calendar feed -----------------------------------------------------------------

CALENDAR_PAST_DAYS = 30


def calendar_followups(owner: User, *, visible: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    """The interviews a person conducts, for their private calendar feed: those scheduled
    from CALENDAR_PAST_DAYS ago on, in time order (followup_interviewer_idx)."""
    since = timezone.now() - timedelta(days=CALENDAR_PAST_DAYS)
    return (
        visible.filter(interviewer=owner, status=FollowUpStatus.SCHEDULED, scheduled_at__gte=since)
        .select_related("participant", "interviewer", "site")
        .order_by("scheduled_at")
    )
