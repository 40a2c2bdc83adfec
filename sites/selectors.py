"""Reads of the sites app that a page makes in one statement (see sites/panels.py for the
dashboard's)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

from accounts.models import Profession, User, user_label_sql
from ipcop.lib.sql import Prepared, fetch_row, named_subquery, table_names
from placements.models import Placement, PlacementModel, PlacementStatus
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    HealthZone,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    SiteKind,
    Unit,
)


@dataclass(frozen=True)
class SitePage:
    """What the site page shows besides the site itself and its capacity."""

    units: list[SimpleNamespace]
    facilitators: list[SimpleNamespace]
    communities: list[SimpleNamespace]
    active_placements_by_model: list[dict]
    initiative_count: int
    initiatives: list[SimpleNamespace]  # the page asked for (the last one if beyond)


# The site's units, facilitators, CoPs (with their activity columns), active placements
# per model and one page of its initiatives (the last if beyond, as Paginator.get_page
# does) with their count, as JSON columns of one row: hand-written because the seven ORM
# queries it replaced (three prefetches, grouped and paginator counts, a page) cost more
# to build and load than PostgreSQL takes to answer this. sites/tests/test_selectors.py
# compares it with them.
_SITE_PAGE_SQL = """
    WITH initiative_count AS (
        SELECT count(*) AS n FROM {initiative} i JOIN {cop} c ON c.id = i.community_id
        WHERE c.site_id = %(site)s)
    SELECT
        (SELECT coalesce(json_agg(x ORDER BY x.name, x.id), '[]') FROM (
            SELECT u.id, u.name, u.description FROM {unit} u WHERE u.site_id = %(site)s) x),
        (SELECT coalesce(json_agg(x ORDER BY x.full_name, x.id), '[]') FROM (
            SELECT p.id, p.full_name, p.email FROM {user} p
            JOIN {facilitators} f ON f.user_id = p.id WHERE f.site_id = %(site)s) x),
        (SELECT coalesce(json_agg(x ORDER BY x.name, x.id), '[]') FROM (
            SELECT c.id, c.name, c.status, c.member_count, c.last_meeting_on,
                   c.active_initiative_count
            FROM {cop} c WHERE c.site_id = %(site)s) x),
        (SELECT coalesce(json_object_agg(x.model, x.n), '{{}}') FROM (
            SELECT p.model, count(*) AS n FROM {placement} p
            WHERE p.site_id = %(site)s AND p.status = %(active)s GROUP BY p.model) x),
        (SELECT n FROM initiative_count),
        (SELECT coalesce(json_agg(x ORDER BY x.community, x.title, x.id), '[]') FROM (
            SELECT i.id, i.title, i.theme, i.status, i.community_id, c.name AS community
            FROM {initiative} i JOIN {cop} c ON c.id = i.community_id
            WHERE c.site_id = %(site)s
            ORDER BY c.name, i.title, i.id
            LIMIT %(per_page)s
            OFFSET LEAST(%(offset)s,
                         greatest(((SELECT n FROM initiative_count) - 1) / %(per_page)s, 0)
                         * %(per_page)s)) x)
"""


@cache
def _site_page() -> Prepared:
    sql = _SITE_PAGE_SQL.format(  # nosec B608: table names from the models
        **table_names(
            unit=Unit,
            user=User,
            facilitators=Site.facilitators.through,
            cop=CommunityOfPractice,
            placement=Placement,
            initiative=Initiative,
        )
    )
    return Prepared("site_page", sql)


def site_page(site_id: int, *, initiatives_offset: int, initiatives_per_page: int) -> SitePage:
    units, facilitators, communities, by_model, initiative_count, initiatives = (
        _site_page().fetch_row(
            {
                "site": site_id,
                "active": PlacementStatus.ACTIVE,
                "offset": initiatives_offset,
                "per_page": initiatives_per_page,
            },
        )
    )
    statuses = dict(CoPStatus.choices)
    themes, initiative_statuses = dict(InitiativeTheme.choices), dict(InitiativeStatus.choices)
    return SitePage(
        units=[SimpleNamespace(pk=u["id"], **u) for u in units],
        facilitators=[SimpleNamespace(pk=f["id"], **f) for f in facilitators],
        communities=[
            SimpleNamespace(
                pk=c["id"],
                name=c["name"],
                status=c["status"],
                status_label=statuses.get(c["status"], c["status"]),
                member_count=c["member_count"],
                last_meeting_on=(
                    datetime.date.fromisoformat(c["last_meeting_on"])
                    if c["last_meeting_on"]
                    else None
                ),
                active_initiative_count=c["active_initiative_count"],
            )
            for c in communities
        ],
        active_placements_by_model=[
            {"model": model, "label": label, "count": by_model.get(model, 0)}
            for model, label in PlacementModel.choices
        ],
        initiative_count=initiative_count,
        initiatives=[
            SimpleNamespace(
                pk=i["id"],
                theme_label=themes.get(i["theme"], i["theme"]),
                status_label=initiative_statuses.get(i["status"], i["status"]),
                **i,
            )
            for i in initiatives
        ],
    )


@dataclass(frozen=True)
class CoPPage:
    """What the CoP page shows besides the CoP's own columns."""

    site_name: str
    facilitators: list[str]
    current_members: list[SimpleNamespace]
    past_members: list[SimpleNamespace]
    initiatives: list[SimpleNamespace]
    meeting_count: int
    meetings: list[SimpleNamespace]  # the page asked for (the last one if beyond)


# The CoP's site name, facilitators, memberships (current first), initiatives, meeting
# count and one page of meetings with their attendees, as JSON columns of one row: it
# replaced seven ORM queries (prefetches and a paginator's count and page), which cost
# more to build and to turn into model instances than PostgreSQL takes to answer this.
# A page beyond the last gives the last, as Django's Paginator.get_page does.
# sites/tests/test_selectors.py compares it with the querysets.
_COP_PAGE_SQL = """
    WITH meeting_count AS (SELECT count(*) AS n FROM {meeting} WHERE community_id = %(cop)s)
    SELECT
        (SELECT s.name FROM {site} s JOIN {cop} c ON c.site_id = s.id WHERE c.id = %(cop)s),
        (SELECT coalesce(json_agg({person} ORDER BY u.full_name, u.id), '[]')
         FROM {user} u JOIN {cop_facilitators} f ON f.user_id = u.id
         WHERE f.communityofpractice_id = %(cop)s),
        (SELECT coalesce(json_agg(x ORDER BY x.left_on NULLS FIRST, x.full_name, x.id), '[]')
         FROM (SELECT ms.id, {person} AS person, u.full_name, pr.name AS profession,
                      ms.role, ms.joined_on, ms.left_on
               FROM {membership} ms JOIN {user} u ON u.id = ms.person_id
               JOIN {profession} pr ON pr.id = ms.profession_id
               WHERE ms.community_id = %(cop)s) x),
        (SELECT coalesce(json_agg(i ORDER BY i.title, i.id), '[]')
         FROM (SELECT id, title, theme, status, description, outcome, started_on, ended_on
               FROM {initiative} WHERE community_id = %(cop)s) i),
        (SELECT n FROM meeting_count),
        (SELECT coalesce(json_agg(x ORDER BY x.held_on DESC, x.id DESC), '[]') FROM (
            SELECT m.id, m.held_on, m.duration_minutes, m.topics, m.decisions, m.action_items,
                (SELECT coalesce(json_agg(json_build_object(
                            'person', {person}, 'profession', pr.name)
                        ORDER BY u.full_name, a.id), '[]')
                 FROM {attendees} at JOIN {membership} a ON a.id = at.membership_id
                 JOIN {user} u ON u.id = a.person_id
                 JOIN {profession} pr ON pr.id = a.profession_id
                 WHERE at.meeting_id = m.id) AS attendees
            FROM {meeting} m WHERE m.community_id = %(cop)s
            ORDER BY m.held_on DESC, m.id DESC
            LIMIT %(per_page)s
            OFFSET LEAST(%(offset)s,
                         greatest(((SELECT n FROM meeting_count) - 1) / %(per_page)s, 0)
                         * %(per_page)s)) x)
"""


@cache
def _cop_page() -> Prepared:
    sql = _COP_PAGE_SQL.format(  # nosec B608: table names from the models
        person=user_label_sql("u"),
        **table_names(
            meeting=Meeting,
            site=Site,
            cop=CommunityOfPractice,
            user=User,
            cop_facilitators=CommunityOfPractice.facilitators.through,
            membership=Membership,
            profession=Profession,
            initiative=Initiative,
            attendees=Meeting.attendees.through,
        ),
    )
    return Prepared("cop_page", sql)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def cop_page(cop_id: int, *, meetings_offset: int, meetings_per_page: int) -> CoPPage:
    site_name, facilitators, members, initiatives, meeting_count, meetings = _cop_page().fetch_row(
        {"cop": cop_id, "offset": meetings_offset, "per_page": meetings_per_page}
    )
    roles, themes, statuses = (
        dict(MembershipRole.choices),
        dict(InitiativeTheme.choices),
        dict(InitiativeStatus.choices),
    )
    members = [
        SimpleNamespace(
            pk=m["id"],
            person=m["person"],
            profession=m["profession"],
            role=m["role"],
            role_label=roles.get(m["role"], m["role"]),
            joined_on=_date(m["joined_on"]),
            left_on=_date(m["left_on"]),
        )
        for m in members
    ]
    return CoPPage(
        site_name=site_name,
        facilitators=facilitators,
        current_members=[m for m in members if m.left_on is None],
        past_members=[m for m in members if m.left_on is not None],
        initiatives=[
            SimpleNamespace(
                pk=i["id"],
                theme_label=themes.get(i["theme"], i["theme"]),
                status_label=statuses.get(i["status"], i["status"]),
                **{**i, "started_on": _date(i["started_on"]), "ended_on": _date(i["ended_on"])},
            )
            for i in initiatives
        ],
        meeting_count=meeting_count,
        meetings=[
            SimpleNamespace(
                pk=m["id"],
                attendees=[SimpleNamespace(**a) for a in m.pop("attendees")],
                **{**m, "held_on": _date(m["held_on"])},
            )
            for m in meetings
        ],
    )


# One page of the site list (the last if beyond, as Paginator.get_page does) with each
# site's open CoPs and active placements, and the list's count, in one statement: the
# ORM's paginator count and annotated page cost more to build than to run. `{scope}` is
# the compiled queryset of the list (the person's sites with the search's filters), as
# SiteQuerySet.with_counts() counts; sites/tests/test_selectors.py compares them.
_SITE_LIST_SQL = """
    WITH listed AS MATERIALIZED (SELECT s.* FROM {site} s WHERE s.id IN ({scope})),
    counted AS (SELECT count(*) AS n FROM listed)
    SELECT (SELECT n FROM counted),
        (SELECT coalesce(json_agg(x ORDER BY x.name, x.id), '[]') FROM (
            SELECT l.id, l.name, l.zone, l.kind, l.city, l.is_active,
                (SELECT count(*) FROM {cop} c
                 WHERE c.site_id = l.id AND c.status <> %(closed)s) AS community_count,
                (SELECT count(*) FROM {placement} p
                 WHERE p.site_id = l.id AND p.status = %(active)s) AS active_placement_count
            FROM listed l ORDER BY l.name, l.id
            LIMIT %(per_page)s
            OFFSET LEAST(%(offset)s,
                         greatest(((SELECT n FROM counted) - 1) / %(per_page)s, 0)
                         * %(per_page)s)) x)
"""


def site_list_page(sites, *, offset: int, per_page: int) -> tuple[int, list[SimpleNamespace]]:
    """The count of `sites` (a Site queryset) and one page of them with their counts."""
    scope, params = named_subquery(sites, "scope")
    sql = _SITE_LIST_SQL.format(  # nosec B608: table names from the models, the scope the ORM's
        scope=scope, **table_names(site=Site, cop=CommunityOfPractice, placement=Placement)
    )
    count, rows = fetch_row(
        sql,
        {
            **params,
            "closed": CoPStatus.CLOSED,
            "active": PlacementStatus.ACTIVE,
            "offset": offset,
            "per_page": per_page,
        },
    )
    zones, kinds = dict(HealthZone.choices), dict(SiteKind.choices)
    return count, [
        SimpleNamespace(
            pk=row["id"],
            zone_label=zones.get(row["zone"], row["zone"]),
            kind_label=kinds.get(row["kind"], row["kind"]),
            **row,
        )
        for row in rows
    ]
