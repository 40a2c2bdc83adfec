"""Reads of the sites app that a page makes in one statement (see sites/panels.py for the
dashboard's)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

from django.db import connection

from accounts.models import User
from placements.models import Placement, PlacementModel, PlacementStatus
from sites.models import CommunityOfPractice, CoPStatus, Site, Unit


@dataclass(frozen=True)
class SitePage:
    """What the site page shows besides the site itself, its capacity and initiatives."""

    units: list[SimpleNamespace]
    facilitators: list[SimpleNamespace]
    communities: list[SimpleNamespace]
    active_placements_by_model: list[dict]


# The site's units, facilitators, CoPs (with their activity columns) and active placements
# per model, as JSON columns of one row: hand-written because the five ORM queries it
# replaced (three prefetches and a grouped count) cost more to build and load than
# PostgreSQL takes to answer this. sites/tests/test_selectors.py compares it with them.
_SITE_PAGE_SQL = """
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
            WHERE p.site_id = %(site)s AND p.status = %(active)s GROUP BY p.model) x)
"""


@cache
def _site_page_sql() -> str:
    return _SITE_PAGE_SQL.format(
        unit=Unit._meta.db_table,
        user=User._meta.db_table,
        facilitators=Site.facilitators.through._meta.db_table,
        cop=CommunityOfPractice._meta.db_table,
        placement=Placement._meta.db_table,
    )


def site_page(site_id: int) -> SitePage:
    with connection.cursor() as cursor:
        cursor.execute(
            _site_page_sql(),  # nosec B608: table names from the models, values as parameters
            {"site": site_id, "active": PlacementStatus.ACTIVE},
        )
        units, facilitators, communities, by_model = cursor.fetchone()
    statuses = dict(CoPStatus.choices)
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
    )
