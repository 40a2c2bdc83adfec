"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from __future__ import annotations

import datetime
from operator import itemgetter

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from ipcop.lib.fragments import pk_url
from ipcop.permissions import communities_manageable_by, sites_facilitated_by
from sites.models import (
    MEETING_ATTENTION_DAYS,
    CommunityOfPractice,
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
    merged by date.

    One statement of three `ORDER BY … LIMIT` parts joined by UNION ALL, each walking a
    date index backwards (meeting_held_idx, initiative_updated_idx, membership_joined_idx)
    until it has RECENT_ROWS rows. Raw SQL because the ORM spent more time building the
    three select_related queries than PostgreSQL spent running them; the CoP filter is
    still the ORM's own subquery (the permission rule stays in ipcop/permissions.py)."""
    cops_sql, cops_params = communities.values("pk").query.sql_with_params()
    cop, meeting = CommunityOfPractice._meta.db_table, Meeting._meta.db_table
    initiative, membership = Initiative._meta.db_table, Membership._meta.db_table
    user = Membership._meta.get_field("person").related_model._meta.db_table
    sql = f"""
        (SELECT 'meeting', m.held_on, m.id, m.community_id, c.name, '', '', ''
           FROM {meeting} m JOIN {cop} c ON c.id = m.community_id
          WHERE m.community_id IN ({cops_sql})
          ORDER BY m.held_on DESC, m.id DESC LIMIT %s)
        UNION ALL
        (SELECT 'initiative', (i.updated_at AT TIME ZONE %s)::date, i.id, i.community_id,
                c.name, i.title, i.status, ''
           FROM {initiative} i JOIN {cop} c ON c.id = i.community_id
          WHERE i.community_id IN ({cops_sql})
          ORDER BY i.updated_at DESC, i.id DESC LIMIT %s)
        UNION ALL
        (SELECT 'member', ms.joined_on, ms.id, ms.community_id, c.name, '', '',
                COALESCE(NULLIF(u.full_name, ''), u.email)
           FROM {membership} ms JOIN {cop} c ON c.id = ms.community_id
                JOIN {user} u ON u.id = ms.person_id
          WHERE ms.community_id IN ({cops_sql}) AND ms.joined_on <= %s
          ORDER BY ms.joined_on DESC, ms.id DESC LIMIT %s)
    """  # noqa: S608  # nosec B608: table names from the models, values as parameters
    params = [
        *cops_params, RECENT_ROWS,
        timezone.get_current_timezone_name(), *cops_params, RECENT_ROWS,
        *cops_params, today, RECENT_ROWS,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    statuses = dict(InitiativeStatus.choices)
    items = []
    for kind, on, pk, community_id, community, title, status, person in rows:
        if kind == "meeting":
            text, url = f"Meeting of {community}", pk_url("sites:meeting_detail", pk)
        elif kind == "initiative":
            text = f"Initiative “{title}” ({statuses.get(status, status)}) in {community}"
            url = pk_url("sites:cop_detail", community_id) + "#initiatives"
        else:
            text, url = f"{person} joined {community}", pk_url("sites:cop_detail", community_id)
        items.append({"on": on, "text": text, "url": url})
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
