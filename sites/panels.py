"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from __future__ import annotations

import datetime
from operator import itemgetter

from django.db.models import Count
from django.utils import timezone

from ipcop.lib.fragments import pk_url
from ipcop.permissions import communities_manageable_by, sites_facilitated_by
from sites.models import (
    MEETING_ATTENTION_DAYS,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    needs_attention_q,
)

# The panel shows the first few rows of each list and links to the full lists.
PANEL_ROWS = 8
RECENT_ROWS = 8


def _initiatives_by_theme_and_status(communities) -> dict:
    """A small theme × status table of initiative counts, counted in the database."""
    counts = {
        (row["theme"], row["status"]): row["n"]
        for row in Initiative.objects.filter(community__in=communities)
        .order_by()
        .values("theme", "status")
        .annotate(n=Count("pk"))
    }
    rows = [
        {
            "theme": label,
            "cells": [counts.get((theme, status), 0) for status in InitiativeStatus.values],
            "total": sum(counts.get((theme, status), 0) for status in InitiativeStatus.values),
        }
        for theme, label in InitiativeTheme.choices
    ]
    return {
        "statuses": InitiativeStatus.labels,
        "rows": [row for row in rows if row["total"]],
        "total": sum(counts.values()),
    }


def _recent_activity(communities, today: datetime.date) -> list[dict]:
    """The newest meetings, initiative changes and new members of the person's CoPs,
    merged by date. Each query walks a date index backwards (meeting_held_idx,
    initiative_updated_idx, membership_joined_idx) until it has RECENT_ROWS rows, and
    reads plain values: building model instances cost more than the queries."""
    community_ids = communities.values("pk")
    meetings = (
        Meeting.objects.filter(community__in=community_ids)
        .order_by("-held_on", "-pk")
        .values_list("pk", "held_on", "community__name")[:RECENT_ROWS]
    )
    initiatives = (
        Initiative.objects.filter(community__in=community_ids)
        .order_by("-updated_at", "-pk")
        .values_list("community_id", "updated_at", "title", "status", "community__name")[
            :RECENT_ROWS
        ]
    )
    joined = (
        Membership.objects.filter(community__in=community_ids, joined_on__lte=today)
        .order_by("-joined_on", "-pk")
        .values_list(
            "community_id", "joined_on", "person__full_name", "person__email", "community__name"
        )[:RECENT_ROWS]
    )
    statuses = dict(InitiativeStatus.choices)
    items = [
        {"on": on, "text": f"Meeting of {cop}", "url": pk_url("sites:meeting_detail", pk)}
        for pk, on, cop in meetings
    ]
    items += [
        {
            "on": timezone.localdate(changed),
            "text": f"Initiative “{title}” ({statuses.get(status, status)}) in {cop}",
            "url": pk_url("sites:cop_detail", cop_id) + "#initiatives",
        }
        for cop_id, changed, title, status, cop in initiatives
    ]
    items += [
        {
            "on": on,
            # As User.__str__: the name, or the email when there is none.
            "text": f"{name or email} joined {cop}",
            "url": pk_url("sites:cop_detail", cop_id),
        }
        for cop_id, on, name, email, cop in joined
    ]
    return sorted(items, key=itemgetter("on"), reverse=True)[:RECENT_ROWS]


def facilitator(user) -> dict:
    """Their sites and CoPs, CoPs needing attention, initiatives by theme and status and
    recent activity; admins see all sites. A fixed number of queries whatever the rows."""
    today = timezone.localdate()
    sites = sites_facilitated_by(user)
    communities = communities_manageable_by(user)
    open_communities = communities.open().select_related("site").with_activity()
    attention = open_communities.needing_attention(today).order_by("last_meeting_on", "name")
    # Both counts in one query over the open CoPs' activity.
    counts = (
        communities.open()
        .with_activity()
        .aggregate(
            community_count=Count("pk"),
            attention_count=Count("pk", filter=needs_attention_q(today)),
        )
    )
    return {
        "sites": sites.with_counts().order_by("name")[:PANEL_ROWS],
        "site_count": sites.count(),
        "communities": open_communities.order_by("site__name", "name")[:PANEL_ROWS],
        "community_count": counts["community_count"],
        "attention": attention[:PANEL_ROWS],
        "attention_count": counts["attention_count"],
        "attention_since": today - datetime.timedelta(days=MEETING_ATTENTION_DAYS),
        "attention_days": MEETING_ATTENTION_DAYS,
        "initiatives": _initiatives_by_theme_and_status(communities),
        "recent": _recent_activity(communities, today),
    }
