"""The sites app's panels on the home dashboard (see ipcop/dashboard.py)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from accounts.models import user_label_sql
from ipcop.lib.fragments import pk_url
from ipcop.lib.sql import Prepared, named_subquery, table_names
from ipcop.permissions import has_role, sites_facilitated_by
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
            rows.append({"theme": label, "cells": cells, "total": total})
    return {"statuses": _STATUS_LABELS, "rows": rows, "total": sum(counts.values())}


def _recent_activity(rows: list[dict]) -> list[dict]:
    """The newest meetings (part 1), initiative changes (2) and new members (3) of the
    person's CoPs, newest first (merged by the statement)."""
    items = []
    for row in rows:
        cop, cop_id = row["community"], row["community_id"]
        if row["part"] == 1:
            text, url = f"Meeting of {cop}", pk_url("sites:meeting_detail", row["id"])
        elif row["part"] == 2:
            status = _STATUS_LABEL.get(row["status"], row["status"])
            text = f"Initiative “{row['title']}” ({status}) in {cop}"
            url = pk_url("sites:cop_detail", cop_id) + "#initiatives"
        else:
            # As User.__str__: the name, or the email when there is none.
            text, url = f"{row['person']} joined {cop}", pk_url("sites:cop_detail", cop_id)
        on = datetime.date.fromisoformat(row["on_date"])
        items.append({"on": on, "text": text, "url": url})
    return items


# The facilitator's dashboard in one statement: their sites (first rows and count), their
# open CoPs with last meeting, current members and active initiatives (first rows, count,
# the ones needing attention and their count), initiatives by theme and status and recent
# activity, as JSON columns. Hand-written because the nine ORM queries it replaces cost
# more to build than PostgreSQL takes to run this (the same reason as mentoring's learning
# record). Their rules are the querysets' own: CommunityOfPracticeQuerySet.open(), the
# CoP's activity columns (kept by triggers: sites/migrations/0003), needs_attention_q(),
# SiteQuerySet.with_counts(); sites/tests/test_panels.py compares the results with those
# querysets.
#
# It is a prepared statement (ipcop.lib.sql.Prepared) run with its generic plan: planned
# on each request it spent 4-10 ms planning (province data set, a zone's 100 sites). So
# that one plan suits a zone's 100 sites, a facilitator's 2 and an admin's 500, the scope
# is read once into an array of site ids (`scope`) and every part is written so that the
# plan does not depend on how many there are:
# - the CoPs in scope (`my_cops`, a zone's 400) are read once, by site, and the counts,
#   the attention list and the initiatives by theme and status come from them;
# - the first sites and the first open CoPs by site name come from the scope's sites in
#   name order (`cop_unique_per_site` gives each site's CoPs in name order);
# - recent activity has two forms, and a LIMIT of 0 keeps one of them from running: for
#   many sites, each part walks its date index backwards (meeting_held_idx,
#   initiative_updated_idx, membership_joined_idx) until it has enough rows of the scope's
#   CoPs; for a few sites (FEW_SITES or fewer), where that walk would pass thousands of
#   other sites' rows first, it takes the newest rows of each of their CoPs instead. (The
#   LIMIT being an expression also keeps the walk in the generic plan: the planner then
#   expects to read a tenth of the rows, and walking is cheapest.)
_FACILITATOR_SQL = """
    WITH scope AS MATERIALIZED (
        -- OFFSET 0 keeps the subquery whole: inlined, its ARRAY() would run twice.
        SELECT ids, cardinality(ids) <= %(few_sites)s AS few
        FROM (SELECT ARRAY({sites_sql}) AS ids OFFSET 0) x
    ),
    my_sites AS MATERIALIZED (
        SELECT s.id, s.name FROM scope, unnest(scope.ids) u(id) JOIN {site} s ON s.id = u.id
    ),
    my_cops AS MATERIALIZED (
        SELECT c.id, c.site_id, c.name, c.status <> %(closed)s AS open, c.last_meeting_on,
               c.active_initiative_count, c.member_count,
               c.last_meeting_on IS NULL OR c.last_meeting_on < %(since)s
                   OR c.active_initiative_count = 0 AS attention
        FROM {cop} c WHERE c.site_id = ANY((SELECT ids FROM scope)::bigint[])
    ),
    cop_ids AS MATERIALIZED (SELECT ARRAY(SELECT id FROM my_cops) AS ids),
    recent AS (
        (SELECT 1 AS part, m.held_on AS on_date, m.id, m.community_id,
                NULL AS title, NULL AS status, NULL::bigint AS person_id
         FROM {meeting} m WHERE m.community_id = ANY((SELECT ids FROM cop_ids)::bigint[])
         ORDER BY m.held_on DESC, m.id DESC
         LIMIT (SELECT CASE WHEN few THEN 0 ELSE %(recent)s END FROM scope))
        UNION ALL
        (SELECT 1, m.held_on, m.id, m.community_id, NULL, NULL, NULL
         FROM my_cops c CROSS JOIN LATERAL (
             SELECT m.held_on, m.id, m.community_id FROM {meeting} m
             WHERE m.community_id = c.id
             ORDER BY m.held_on DESC, m.id DESC LIMIT %(recent)s) m
         ORDER BY m.held_on DESC, m.id DESC
         LIMIT (SELECT CASE WHEN few THEN %(recent)s ELSE 0 END FROM scope))
        UNION ALL
        (SELECT 2, (i.updated_at AT TIME ZONE %(tz)s)::date, i.id, i.community_id,
                i.title, i.status, NULL
         FROM {initiative} i WHERE i.community_id = ANY((SELECT ids FROM cop_ids)::bigint[])
         ORDER BY i.updated_at DESC, i.id DESC
         LIMIT (SELECT CASE WHEN few THEN 0 ELSE %(recent)s END FROM scope))
        UNION ALL
        (SELECT 2, (i.updated_at AT TIME ZONE %(tz)s)::date, i.id, i.community_id,
                i.title, i.status, NULL
         FROM my_cops c CROSS JOIN LATERAL (
             SELECT i.updated_at, i.id, i.community_id, i.title, i.status
             FROM {initiative} i WHERE i.community_id = c.id
             ORDER BY i.updated_at DESC, i.id DESC LIMIT %(recent)s) i
         ORDER BY i.updated_at DESC, i.id DESC
         LIMIT (SELECT CASE WHEN few THEN %(recent)s ELSE 0 END FROM scope))
        UNION ALL
        (SELECT 3, ms.joined_on, ms.id, ms.community_id, NULL, NULL, ms.person_id
         FROM {membership} ms
         WHERE ms.community_id = ANY((SELECT ids FROM cop_ids)::bigint[])
             AND ms.joined_on <= %(today)s
         ORDER BY ms.joined_on DESC, ms.id DESC
         LIMIT (SELECT CASE WHEN few THEN 0 ELSE %(recent)s END FROM scope))
        UNION ALL
        (SELECT 3, ms.joined_on, ms.id, ms.community_id, NULL, NULL, ms.person_id
         FROM my_cops c CROSS JOIN LATERAL (
             SELECT ms.joined_on, ms.id, ms.community_id, ms.person_id
             FROM {membership} ms WHERE ms.community_id = c.id AND ms.joined_on <= %(today)s
             ORDER BY ms.joined_on DESC, ms.id DESC LIMIT %(recent)s) ms
         ORDER BY ms.joined_on DESC, ms.id DESC
         LIMIT (SELECT CASE WHEN few THEN %(recent)s ELSE 0 END FROM scope))
    )
    SELECT
        (SELECT cardinality(ids) FROM scope),
        (SELECT coalesce(json_agg(x ORDER BY x.name, x.id), '[]') FROM (
            SELECT s.id, s.name,
                (SELECT count(*) FROM {cop} c
                 WHERE c.site_id = s.id AND c.status <> %(closed)s) AS community_count,
                (SELECT count(*) FROM {placement} p
                 WHERE p.site_id = s.id AND p.status = %(active)s) AS active_placement_count
            FROM (SELECT * FROM my_sites ORDER BY name, id LIMIT %(rows)s) s) x),
        (SELECT count(*) FROM my_cops WHERE open),
        (SELECT coalesce(json_agg(x ORDER BY x.site_name, x.name, x.id), '[]') FROM (
            SELECT c.id, c.name, s.name AS site_name, c.last_meeting_on,
                   c.active_initiative_count, c.member_count
            FROM (SELECT * FROM my_sites ORDER BY name, id) s CROSS JOIN LATERAL (
                SELECT * FROM {cop} c WHERE c.site_id = s.id AND c.status <> %(closed)s
                ORDER BY c.name, c.id LIMIT %(rows)s) c
            ORDER BY s.name, s.id, c.name, c.id LIMIT %(rows)s) x),
        (SELECT count(*) FROM my_cops WHERE open AND attention),
        (SELECT coalesce(json_agg(x ORDER BY x.last_meeting_on NULLS LAST, x.name, x.id), '[]')
         FROM (SELECT c.id, c.name, s.name AS site_name, c.last_meeting_on,
                      c.active_initiative_count, c.member_count
               FROM (SELECT * FROM my_cops WHERE open AND attention
                     ORDER BY last_meeting_on NULLS LAST, name, id LIMIT %(rows)s) c
               JOIN {site} s ON s.id = c.site_id) x),
        (SELECT coalesce(json_agg(x), '[]') FROM (
            SELECT i.theme, i.status, count(*) AS n FROM {initiative} i
            WHERE i.community_id = ANY((SELECT ids FROM cop_ids)::bigint[])
            GROUP BY i.theme, i.status) x),
        -- The three parts merged, newest first, and the CoP's and the person's names of
        -- the rows kept, one look-up each.
        (SELECT coalesce(json_agg(r ORDER BY r.on_date DESC, r.part, r.id DESC), '[]') FROM (
            SELECT r.part, r.on_date, r.id, r.community_id,
                   (SELECT c.name FROM {cop} c WHERE c.id = r.community_id) AS community,
                   r.title, r.status,
                   (SELECT {person} FROM {user} u WHERE u.id = r.person_id) AS person
            FROM (SELECT * FROM recent
                  ORDER BY on_date DESC, part, id DESC LIMIT %(recent)s) r) r)
"""
# Recent activity reads each CoP's newest rows for this many sites or fewer, and walks the
# date indexes for more. Walking finds RECENT_ROWS rows of s sites out of N after about
# RECENT_ROWS × N / s rows; reading by CoP costs about RECENT_ROWS rows per CoP: on the
# province data set (500 sites, 4 CoPs each) they cost the same at about 10 sites.
FEW_SITES = 10

# One prepared statement per form of scope (an admin's, a facilitator's): the scope's SQL
# is part of the statement.
_PREPARED: dict[str, Prepared] = {}
# The SQL of sites_facilitated_by(person) by (is admin, is facilitator): it depends only on
# which of its branches applies, and its one parameter, if any, is the person's id. Built
# and compiled by the ORM on every request it was a third of the panel's Python calls.
_SCOPES: dict[tuple[bool, bool], str] = {}


def _scope(user) -> tuple[str, dict]:
    """sites_facilitated_by(user) as SQL and parameters (ipcop.lib.sql.named_subquery),
    compiled once per form."""
    key = (user.is_admin, has_role(user, "facilitator"))
    sql = _SCOPES.get(key)
    if sql is not None:
        return sql, ({"site_0": user.pk} if "%(site_0)s" in sql else {})
    sql, params = named_subquery(sites_facilitated_by(user), "site")
    if params in ({}, {"site_0": user.pk}):  # the form described above: reusable
        _SCOPES[key] = sql
    return sql, params


def _statement(sites_sql: str) -> Prepared:
    prepared = _PREPARED.get(sites_sql)
    if prepared is None:
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
        prepared = _PREPARED[sites_sql] = Prepared(f"facilitator_dashboard_{len(_PREPARED)}", sql)
    return prepared


def _dashboard_rows(user, today: datetime.date, since: datetime.date) -> dict:
    sites_sql, sites_params = _scope(user)
    row = _statement(sites_sql).fetch_row(
        {
            **sites_params,
            "few_sites": FEW_SITES,
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
    rows = _dashboard_rows(user, today, since)
    return {**rows, "attention_since": since, "attention_days": MEETING_ATTENTION_DAYS}
