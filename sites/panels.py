"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from __future__ import annotations

import datetime
from operator import itemgetter

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

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
    """The newest meetings, initiative changes and new members, merged by date. Each
    query walks a date index backwards (meeting_held_idx, initiative_updated_idx,
    membership_joined_idx) until it has RECENT_ROWS rows of the person's CoPs."""
    community_ids = communities.values("pk")
    meetings = (
        Meeting.objects.filter(community__in=community_ids)
        .select_related("community")
        .only("pk", "held_on", "community__name")
        .order_by("-held_on", "-pk")[:RECENT_ROWS]
    )
    initiatives = (
        Initiative.objects.filter(community__in=community_ids)
        .select_related("community")
        .only("pk", "title", "status", "updated_at", "community__name")
        .order_by("-updated_at", "-pk")[:RECENT_ROWS]
    )
    joined = (
        Membership.objects.filter(community__in=community_ids, joined_on__lte=today)
        .select_related("community", "person")
        .only("pk", "joined_on", "community__name", "person__full_name", "person__email")
        .order_by("-joined_on", "-pk")[:RECENT_ROWS]
    )
    items = [
        {
            "on": m.held_on,
            "text": f"Meeting of {m.community.name}",
            "url": reverse("sites:meeting_detail", args=[m.pk]),
        }
        for m in meetings
    ]
    items += [
        {
            "on": timezone.localdate(i.updated_at),
            "text": f"Initiative “{i.title}” ({i.get_status_display()}) in {i.community.name}",
            "url": reverse("sites:cop_detail", args=[i.community_id]) + "#initiatives",
        }
        for i in initiatives
    ]
    items += [
        {
            "on": m.joined_on,
            "text": f"{m.person} joined {m.community.name}",
            "url": reverse("sites:cop_detail", args=[m.community_id]),
        }
        for m in joined
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
