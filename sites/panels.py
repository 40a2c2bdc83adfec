"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from __future__ import annotations

import datetime
from operator import itemgetter
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import user_label_sql
from ipcop.lib.fragments import pk_url
from ipcop.lib.sql import fetch_row, named_subquery, table_names
from ipcop.permissions import sites_facilitated_by
from placements.models import Placement, PlacementStatus
from sites.models import (
    MEETING_ATTENTION_DAYS,
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    Site,
)

# The panel shows the first few rows of each list and links to the full lists.
PANEL_ROWS = 8
RECENT_ROWS = 8


def _initiatives_table(counts: dict) -> dict:
    """A small theme × status table from the (theme, status) → count pairs."""
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


def _recent_activity(rows: list[dict]) -> list[dict]:
    """The newest meetings (part 1), initiative changes (2) and new members (3) of the
    person's CoPs, merged by date, newest first."""
    statuses = dict(InitiativeStatus.choices)
    items = []
    for row in rows:
        cop, cop_id = row["community"], row["community_id"]
        if row["part"] == 1:
            text, url = f"Meeting of {cop}", pk_url("sites:meeting_detail", row["id"])
        elif row["part"] == 2:
            status = statuses.get(row["status"], row["status"])
            text = f"Initiative “{row['title']}” ({status}) in {cop}"
            url = pk_url("sites:cop_detail", cop_id) + "#initiatives"
        else:
            # As User.__str__: the name, or the email when there is none.
            text, url = f"{row['person']} joined {cop}", pk_url("sites:cop_detail", cop_id)
        on = datetime.date.fromisoformat(row["on_date"])
        items.append({"on": on, "text": text, "url": url})
    return sorted(items, key=itemgetter("on"), reverse=True)[:RECENT_ROWS]


# The facilitator's dashboard in one statement: their sites (first rows and count), their
# open CoPs with last meeting, current members and active initiatives (first rows, count,
# the ones needing attention and their count) and initiatives by theme and status, as
# JSON columns. Hand-written because the nine ORM queries it replaces cost more to build
# than PostgreSQL takes to run this (the same reason as mentoring's learning record).
# Their rules are the querysets' own: CommunityOfPracticeQuerySet.open(), the CoP's
# activity columns (kept by triggers: sites/migrations/0003),
# needs_attention_q(), SiteQuerySet.with_counts(); sites/tests/test_panels.py compares
# the results with those querysets.
_FACILITATOR_SQL = """
    WITH my_sites AS MATERIALIZED (
        SELECT s.id, s.name FROM {site} s WHERE s.id IN ({sites_sql})
    ),
    -- The CoPs a person manages are those at the sites they manage (as
    -- communities_manageable_by defines them): their scope derives from the sites'.
    my_cops AS MATERIALIZED (
        SELECT c.id, c.status FROM {cop} c WHERE c.site_id IN ({sites_sql})
    ),
    open_cops AS MATERIALIZED (
        SELECT c.id, c.name, s.name AS site_name, c.last_meeting_on,
               c.active_initiative_count, c.member_count
        FROM {cop} c JOIN {site} s ON s.id = c.site_id
        WHERE c.id IN (SELECT id FROM my_cops) AND c.status <> %(closed)s
    ),
    attention AS MATERIALIZED (
        SELECT * FROM open_cops
        WHERE last_meeting_on IS NULL OR last_meeting_on < %(since)s
            OR active_initiative_count = 0
    )
    SELECT
        (SELECT count(*) FROM my_sites),
        (SELECT coalesce(json_agg(x ORDER BY x.name, x.id), '[]') FROM (
            SELECT s.id, s.name,
                (SELECT count(*) FROM {cop} c
                 WHERE c.site_id = s.id AND c.status <> %(closed)s) AS community_count,
                (SELECT count(*) FROM {placement} p
                 WHERE p.site_id = s.id AND p.status = %(active)s) AS active_placement_count
            FROM my_sites s ORDER BY s.name, s.id LIMIT %(rows)s) x),
        (SELECT count(*) FROM open_cops),
        (SELECT coalesce(json_agg(x ORDER BY x.site_name, x.name, x.id), '[]') FROM (
            SELECT * FROM open_cops ORDER BY site_name, name, id LIMIT %(rows)s) x),
        (SELECT count(*) FROM attention),
        (SELECT coalesce(json_agg(x ORDER BY x.last_meeting_on NULLS LAST, x.name, x.id), '[]')
         FROM (SELECT * FROM attention
               ORDER BY last_meeting_on NULLS LAST, name, id LIMIT %(rows)s) x),
        (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT i.theme, i.status, count(*) AS n FROM {initiative} i
            WHERE i.community_id IN (SELECT id FROM my_cops) GROUP BY i.theme, i.status) x),
        -- Recent activity: each part walks its date index backwards (meeting_held_idx,
        -- initiative_updated_idx, membership_joined_idx) until it has enough rows. The
        -- scope is the permission subquery itself, not my_cops: against the CTE the
        -- planner looped over all the CoPs for each row walked (60 ms instead of 2).
        (SELECT coalesce(json_agg(r ORDER BY r.part, r.on_date DESC, r.id DESC), '[]') FROM (
            (SELECT 1 AS part, m.held_on AS on_date, m.id, m.community_id, c.name AS community,
                    NULL AS title, NULL AS status, NULL AS person
             FROM {meeting} m JOIN {cop} c ON c.id = m.community_id
             WHERE m.community_id IN (SELECT cc.id FROM {cop} cc WHERE cc.site_id IN ({sites_sql}))
             ORDER BY m.held_on DESC, m.id DESC LIMIT %(recent)s)
            UNION ALL
            (SELECT 2, (i.updated_at AT TIME ZONE %(tz)s)::date, i.id, i.community_id, c.name,
                    i.title, i.status, NULL
             FROM {initiative} i JOIN {cop} c ON c.id = i.community_id
             WHERE i.community_id IN (SELECT cc.id FROM {cop} cc WHERE cc.site_id IN ({sites_sql}))
             ORDER BY i.updated_at DESC, i.id DESC LIMIT %(recent)s)
            UNION ALL
            (SELECT 3, ms.joined_on, ms.id, ms.community_id, c.name, NULL, NULL,
                    {person}
             FROM {membership} ms JOIN {cop} c ON c.id = ms.community_id
                  JOIN {user} u ON u.id = ms.person_id
             WHERE ms.community_id IN (SELECT cc.id FROM {cop} cc WHERE cc.site_id IN ({sites_sql})) AND ms.joined_on <= %(today)s
             ORDER BY ms.joined_on DESC, ms.id DESC LIMIT %(recent)s)
        ) r)
"""


def _dashboard_rows(sites, today: datetime.date, since: datetime.date) -> dict:
    sites_sql, sites_params = named_subquery(sites, "site")
    sql = _FACILITATOR_SQL.format(  # nosec B608: table names from the models, the ORM's scope
        person=user_label_sql("u"),
        sites_sql=sites_sql,
        **table_names(
            site=Site,
            cop=CommunityOfPractice,
            meeting=Meeting,
            membership=Membership,
            initiative=Initiative,
            placement=Placement,
            user=Membership._meta.get_field("person").related_model,
        ),
    )
    row = fetch_row(
        sql,
        {
            **sites_params,
            "closed": CoPStatus.CLOSED,
            "active": PlacementStatus.ACTIVE,
            "since": since,
            "rows": PANEL_ROWS,
            "recent": RECENT_ROWS,
            "today": today,
            "tz": timezone.get_current_timezone_name(),
        },
    )
    (site_count, site_rows, cop_count, cop_rows, attention_count, attention_rows, themes,
     recent) = row  # fmt: skip
    return {
        "site_count": site_count,
        "sites": [SimpleNamespace(pk=r["id"], **r) for r in site_rows],
        "community_count": cop_count,
        "communities": [_cop(r) for r in cop_rows],
        "attention_count": attention_count,
        "attention": [_cop(r) for r in attention_rows],
        "initiatives": _initiatives_table({(r["theme"], r["status"]): r["n"] for r in themes}),
        "recent": _recent_activity(recent),
    }


def _cop(row: dict) -> SimpleNamespace:
    last = row["last_meeting_on"]
    return SimpleNamespace(
        pk=row["id"],
        name=row["name"],
        site=SimpleNamespace(name=row["site_name"]),
        last_meeting_on=datetime.date.fromisoformat(last) if last else None,
        member_count=row["member_count"],
        active_initiative_count=row["active_initiative_count"],
    )


def facilitator(user) -> dict:
    """Their sites and CoPs, CoPs needing attention, initiatives by theme and status and
    recent activity; admins see all sites. One statement whatever the rows."""
    today = timezone.localdate()
    since = today - datetime.timedelta(days=MEETING_ATTENTION_DAYS)
    rows = _dashboard_rows(sites_facilitated_by(user), today, since)
    return {**rows, "attention_since": since, "attention_days": MEETING_ATTENTION_DAYS}
