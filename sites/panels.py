"""The sites app's panel on the home dashboard (see ipcop/dashboard.py), shown by
templates/sites/panels/facilitator.html."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db.models import CharField, Count, F, IntegerField, Q, Value, Window
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.urls import reverse
from django.utils import timezone

from ipcop.dashboard import TodoLine
from ipcop.permissions import communities_manageable_by, sites_facilitated_by
from placements.models import Placement
from sites.cache import activity_version
from sites.models import (
    MEETING_ATTENTION_DAYS,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    count_subquery,
    needs_attention_q,
)

# The panel shows the first few rows of each list and links to the full lists.
PANEL_ROWS = 8
RECENT_ROWS = 8
# The CoP part of the panel is cached under the version of the sites data (sites.cache),
# which the services bump; this bounds how long a write that bypasses them goes unseen.
CACHE_SECONDS = 300

# The kinds of recent activity, in the order they are listed on the same day.
MEETING, INITIATIVE, JOIN = 1, 2, 3


def facilitator(user) -> dict:
    """Their sites and open CoPs, the CoPs needing attention, initiatives by theme and
    status, and recent activity; admins see every site."""
    today = timezone.localdate()
    activity = _cached_activity(user, today)
    return {
        **_sites(user),
        **activity,
        "attention_days": MEETING_ATTENTION_DAYS,
    }


def facilitator_todo(user) -> list[TodoLine]:
    """The facilitator's CoP to-do line (ipcop.dashboard.TODO_SOURCES): the open CoPs at
    their sites needing attention, from the panel's cached reads; it links to the panel's
    list of them below."""
    count = _cached_activity(user, timezone.localdate())["attention_count"]
    return [
        TodoLine(
            count=count,
            text=(
                "community of practice needing attention"
                if count == 1
                else "communities of practice needing attention"
            ),
            url="#communities-attention",
        )
    ]


def _cached_activity(user, today: datetime.date) -> dict:
    scope = "all" if user.is_admin else user.pk
    key = f"sites:facilitator-panel:{activity_version()}:{scope}:{today.isoformat()}"
    activity = cache.get(key)
    if activity is None:
        activity = _activity(user, today)
        cache.set(key, activity, CACHE_SECONDS)
    return activity


def _sites(user) -> dict:
    """The first sites by name with their open CoPs and active placements, and how many
    sites there are. Not cached: placements change the counts without the sites app."""
    sites = list(
        sites_facilitated_by(user)
        .with_open_community_count()
        .annotate(
            active_placement_count=count_subquery(Placement.objects.active(), "site"),
            total=Window(Count("pk")),
        )
        .order_by("name", "pk")
        .values("pk", "name", "community_count", "active_placement_count", "total")[:PANEL_ROWS]
    )
    return {"site_count": sites[0]["total"] if sites else 0, "sites": sites}


def _activity(user, today: datetime.date) -> dict:
    """What the panel shows of the CoPs at the person's sites, in four queries."""
    communities = communities_manageable_by(user)
    open_communities = communities.open().annotate(site_name=F("site__name"))
    attention = needs_attention_q(today)
    # The counts come with the first rows (window aggregates over every open CoP).
    first = list(
        open_communities.with_member_count()
        .annotate(total=Window(Count("pk")), attention_total=Window(Count("pk", filter=attention)))
        .order_by("site__name", "name", "pk")
        .values("pk", "name", "site_name", "member_count", "total", "attention_total")[:PANEL_ROWS]
    )
    needing_attention = list(
        open_communities.filter(attention)
        .with_no_recent_meeting(today)
        .order_by("last_meeting_on", "name", "pk")
        .values(
            "pk",
            "name",
            "site_name",
            "last_meeting_on",
            "active_initiative_count",
            "no_recent_meeting",
        )[:PANEL_ROWS]
    )
    themes = (
        Initiative.objects.filter(community__in=communities)
        .order_by()
        .values_list("theme", "status")
        .annotate(n=Count("pk"))
    )
    return {
        "community_count": first[0]["total"] if first else 0,
        "communities": first,
        "attention_count": first[0]["attention_total"] if first else 0,
        "attention": needing_attention,
        "initiatives": _initiatives_table({(theme, status): n for theme, status, n in themes}),
        "recent": _recent_activity(communities, today),
    }


# The choices, read once: each read of an enum's choices, values or labels walks its members.
_THEMES = InitiativeTheme.choices
_STATUSES = InitiativeStatus.values
_STATUS_LABELS = InitiativeStatus.labels
_STATUS_LABEL = dict(InitiativeStatus.choices)


def _initiatives_table(counts: dict) -> dict:
    """A small theme × status table from the (theme, status) → count pairs."""
    rows = []
    for theme, label in _THEMES:
        cells = [counts.get((theme, status), 0) for status in _STATUSES]
        total = sum(cells)
        if total:
            # Each count with its status: a phone shows the table's rows as labelled cards.
            by_status = list(zip(_STATUS_LABELS, cells, strict=True))
            rows.append({"theme": label, "cells": cells, "by_status": by_status, "total": total})
    return {"statuses": _STATUS_LABELS, "rows": rows, "total": sum(counts.values())}


def _recent_activity(communities, today: datetime.date) -> list[dict]:
    """The newest meetings, initiative changes and joins (not those still to come) of
    `communities`, merged newest first: each kind's newest rows, read from its date index,
    in one UNION ALL."""
    in_scope = Q(community__in=communities)

    def row(kind: int, day, *, title=None, status=None, person=None) -> dict:
        # The same columns in the same order in each part, as a UNION needs.
        blank = Value("", CharField())
        return {
            "kind": Value(kind, IntegerField()),
            "day": day,
            "row_id": F("pk"),
            "cop_id": F("community_id"),
            "cop_name": F("community__name"),
            # Not named after the models' fields, which annotations may not shadow.
            "initiative_title": title or blank,
            "initiative_status": status or blank,
            "person_label": person or blank,
        }

    meetings = (
        Meeting.objects.filter(in_scope)
        .order_by("-held_on", "-pk")
        .values(**row(MEETING, F("held_on")))[:RECENT_ROWS]
    )
    initiatives = (
        Initiative.objects.filter(in_scope)
        .order_by("-updated_at", "-pk")
        .values(**row(INITIATIVE, TruncDate("updated_at"), title=F("title"), status=F("status")))[
            :RECENT_ROWS
        ]
    )
    # As User.__str__: the name, or the email when there is none.
    person = Coalesce(
        NullIf(F("person__full_name"), Value("")), F("person__email"), output_field=CharField()
    )
    joins = (
        Membership.objects.filter(in_scope, joined_on__lte=today)
        .order_by("-joined_on", "-pk")
        .values(**row(JOIN, F("joined_on"), person=person))[:RECENT_ROWS]
    )
    rows = meetings.union(initiatives, joins, all=True).order_by("-day", "kind", "-row_id")
    return [_recent_item(r) for r in rows[:RECENT_ROWS]]


def _recent_item(row: Mapping[str, Any]) -> dict:
    cop = row["cop_name"]
    if row["kind"] == MEETING:
        text = f"Meeting of {cop}"
        url = reverse("sites:meeting_detail", args=[row["row_id"]])
    elif row["kind"] == INITIATIVE:
        status = _STATUS_LABEL.get(row["initiative_status"], row["initiative_status"])
        text = f"Initiative “{row['initiative_title']}” ({status}) in {cop}"
        url = reverse("sites:cop_detail", args=[row["cop_id"]]) + "#initiatives"
    else:
        text = f"{row['person_label']} joined {cop}"
        url = reverse("sites:cop_detail", args=[row["cop_id"]])
    return {"on": row["day"], "text": text, "url": url}
