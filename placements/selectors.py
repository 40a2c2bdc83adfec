"""Reads of the placements app that span several models (capacity, the student's home)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Profession, User
from ipcop.lib.fragments import pk_url
from ipcop.lib.sql import Prepared, table_names
from mentoring.models import MentorAssignment, MentorRole
from placements.models import (
    Capacity,
    Placement,
    PlacementModel,
    PlacementStatus,
    Program,
    Student,
)
from sites.models import Site, Unit

# The statuses that hold one of a capacity's places: a requested placement holds nothing
# yet, a cancelled one gave its place back, a completed one used its place in that period.
HOLDING_STATUSES = (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE, PlacementStatus.COMPLETED)


def placements_holding(capacity: Capacity) -> QuerySet[Placement]:
    """The placements that take one of `capacity`'s places: same site (and unit when the
    capacity is a unit's), the capacity's profession, overlapping its period."""
    placements = Placement.objects.filter(
        site_id=capacity.site_id,
        student__program__profession_id=capacity.profession_id,
        status__in=HOLDING_STATUSES,
    ).overlapping(capacity.period_start, capacity.period_end)
    if capacity.unit_id:
        placements = placements.filter(unit_id=capacity.unit_id)
    return placements


def capacities_for(*, site_id: int, unit_id: int | None, profession_id: int, start, end):
    """The capacity rows that limit a placement: the site-wide rows and, when it is in a
    unit, that unit's rows, for the profession, whose period overlaps the placement's."""
    where = Q(unit__isnull=True)
    if unit_id:
        where |= Q(unit_id=unit_id)
    return Capacity.objects.filter(
        where,
        site_id=site_id,
        profession_id=profession_id,
        period_start__lte=end,
        period_end__gte=start,
    )


def _used_count(**unit_filter) -> Subquery:
    used = (
        Placement.objects.filter(
            site_id=OuterRef("site_id"),
            student__program__profession_id=OuterRef("profession_id"),
            status__in=HOLDING_STATUSES,
            start_date__lte=OuterRef("period_end"),
            end_date__gte=OuterRef("period_start"),
            **unit_filter,
        )
        .order_by()
        .values("site_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(used, output_field=IntegerField()), 0)


def capacities_with_use(capacities: QuerySet[Capacity]) -> QuerySet[Capacity]:
    """Capacity rows with the `used` places, in one query: a site-wide row counts the
    placements in all the site's units, a unit's row only that unit's."""
    return (
        capacities.select_related("site", "unit", "profession")
        .annotate(
            used=Case(
                When(unit__isnull=True, then=_used_count()),
                default=_used_count(unit_id=OuterRef("unit_id")),
                output_field=IntegerField(),
            )
        )
        .order_by("site__name", "period_start", "profession__name", "unit__name")
    )


# A site's capacity rows with their used places (the site page's table), hand-written:
# the ORM's version (`capacities_with_use`) runs a correlated subquery per row through
# placements, students and programs and cost ~9 ms to build, plan and load for a dozen
# rows; this reads the site's holding placements once. Same rule as `_used_count`, which
# placements/tests/test_selectors.py compares it with.
_SITE_CAPACITY_SQL = """
    WITH held AS MATERIALIZED (
        SELECT p.{placement[unit]} AS unit_id, pg.{program[profession]} AS profession_id,
               p.{placement[start_date]} AS start_date, p.{placement[end_date]} AS end_date
        FROM {placement[table]} p
        JOIN {student[table]} s ON s.id = p.{placement[student]}
        JOIN {program[table]} pg ON pg.id = s.{student[program]}
        WHERE p.{placement[site]} = %(site)s AND p.{placement[status]} = ANY(%(holding)s)
    )
    SELECT c.id, c.{capacity[period_start]} AS period_start,
           c.{capacity[period_end]} AS period_end, c.{capacity[places]} AS places,
           c.{capacity[unit]} AS unit_id, u.{unit[name]} AS unit,
           pr.{profession[name]} AS profession,
           (SELECT count(*) FROM held h
            WHERE h.profession_id = c.{capacity[profession]}
              AND (c.{capacity[unit]} IS NULL OR h.unit_id = c.{capacity[unit]})
              AND h.start_date <= c.{capacity[period_end]}
              AND h.end_date >= c.{capacity[period_start]}) AS used
    FROM {capacity[table]} c
    JOIN {profession[table]} pr ON pr.id = c.{capacity[profession]}
    LEFT JOIN {unit[table]} u ON u.id = c.{capacity[unit]}
    WHERE c.{capacity[site]} = %(site)s
    ORDER BY c.{capacity[period_start]}, pr.{profession[name]}, u.{unit[name]}, c.id
"""


@cache
def _site_capacity() -> Prepared:
    sql = _SITE_CAPACITY_SQL.format(
        placement=_names(Placement, "unit", "student", "start_date", "end_date", "site", "status"),
        student=_names(Student, "program"),
        program=_names(Program, "profession"),
        capacity=_names(
            Capacity, "period_start", "period_end", "places", "unit", "profession", "site"
        ),
        unit=_names(Unit, "name"),
        profession=_names(Profession, "name"),
    )
    return Prepared("site_capacity", sql)


@dataclass(frozen=True)
class CapacityRow:
    """A capacity of the site page: its period, profession, unit (None: the whole site),
    places and the places held by placements."""

    pk: int
    period_start: datetime.date
    period_end: datetime.date
    places: int
    unit_id: int | None
    unit: str | None
    profession: str
    used: int

    @property
    def free(self) -> int:
        """Places not yet held (never below zero: a capacity can be over-held if it was
        lowered before the rule existed)."""
        return max(self.places - self.used, 0)


def site_capacity(site_id: int) -> list[CapacityRow]:
    """The site's capacities with their used places, by period, profession and unit."""
    rows = _site_capacity().fetch_dicts({"site": site_id, "holding": list(HOLDING_STATUSES)})
    return [CapacityRow(pk=row.pop("id"), **row) for row in rows]


def placements_for_display(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    """What a placement row on a page shows: the student, program, site, unit, contact."""
    return queryset.select_related(
        "student__user", "student__program__profession", "site", "unit", "contact"
    )


def _names(model, *fields: str) -> dict[str, str]:
    quote = connection.ops.quote_name
    names = {"table": quote(model._meta.db_table)}
    names.update({field: quote(model._meta.get_field(field).column) for field in fields})
    return names


# The columns of the list's page (`placements_for_list`): the page's query selects them
# from placements alone, so that its WHERE, ORDER BY and LIMIT read one table's indexes.
_PAGE_COLUMNS = ("id", "site_id", "unit_id", "start_date", "end_date", "model", "status")
# The page's rows with their student's name and program and their unit's name. Table and
# column names from the models; `{{page}}` is the ORM's compiled query of the page.
_LIST_ROWS_SQL = """
    SELECT page.id AS pk, page.site_id, page.unit_id, page.start_date, page.end_date,
           page.model, page.status, s.{student[program]} AS program_id,
           u.{user[full_name]} AS student_name,
           (SELECT n.{unit[name]} FROM {unit[table]} n WHERE n.id = page.unit_id) AS unit
      FROM ({{page}}) AS page
      JOIN {student[table]} s ON s.id = page.student_id
      JOIN {user[table]} u ON u.id = s.{student[user]}
"""
_LIST_ROWS_SQL = _LIST_ROWS_SQL.format(
    student=_names(Student, "program", "user"),
    user=_names(User, "full_name"),
    unit=_names(Unit, "name"),
)


def placements_for_list(page: QuerySet[Placement]) -> list[dict]:
    """The list's rows as dicts: the placement, its student's name and program, its unit's
    name; `page` is the list's filtered, ordered and sliced queryset (keyset_page's `rows`).
    Rows come back in no particular order (keyset_page orders them).

    One statement around the page's ORM query: the page is found in placements alone (an
    index range scan), and only its rows are joined. The same rows as an ORM `.values()`
    with `student__user__full_name` (test_list_filters checks it) for half the Python:
    the ORM compiled the joins' version in ~0.7 ms a request, this in ~0.4 ms; and
    PostgreSQL, joining the whole list of an admin, sized its Memoize caches for
    100,000 placements (2-3 ms). Site, program and profession names come from small
    lookups the caller holds (`placement_rows`)."""
    inner = page.values(*_PAGE_COLUMNS, "student_id")
    try:
        sql, params = inner.query.get_compiler(using=inner.db).as_sql()
    except EmptyResultSet:  # e.g. `.none()`, or `pk__in=[]`: nothing to read
        return []
    with connections[inner.db].cursor() as cursor:
        cursor.execute(_LIST_ROWS_SQL.format(page=sql), params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@cache
def _program_rows_sql() -> tuple[str, tuple]:
    programs = Program.objects.values_list(
        "id", "name", "institution", "profession_id", "profession__name"
    )
    return programs.query.sql_with_params()


def program_rows() -> list[tuple[int, str, str, int, str]]:
    """Every program as (id, name, institution, profession id, profession name), by
    institution and name: the list filter's options and names. The query is the same on
    every request, so the ORM compiles it once a process (it spent ~0.3 ms of Python a
    request compiling the same join; PostgreSQL answers in ~0.1 ms)."""
    sql, params = _program_rows_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@cache
def _unit_rows_sql() -> str:
    # Compiled with a stand-in site id; the statement's one parameter is the site's id.
    units = Unit.objects.filter(site_id=0).order_by("name").values_list("id", "name")
    sql, params = units.query.sql_with_params()
    assert list(params) == [0]  # noqa: S101 - the shape the callers' parameter relies on
    return sql


def unit_rows(site_id: int) -> list[tuple[int, str]]:
    """A site's units as (id, name), by name: the list filter's units for a chosen site,
    by a query the ORM compiles once a process (as `program_rows`)."""
    with connection.cursor() as cursor:
        cursor.execute(_unit_rows_sql(), [site_id])
        return cursor.fetchall()


# A placement status's badge colour, for the list's rows and for templates/placements/
# _status.html (the `status_badge` filter); other statuses are grey.
STATUS_BADGES = {
    PlacementStatus.ACTIVE: "text-bg-success",
    PlacementStatus.CONFIRMED: "text-bg-primary",
    PlacementStatus.REQUESTED: "text-bg-warning",
}
STATUS_LABELS = dict(PlacementStatus.choices)


def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "text-bg-secondary")


MODEL_LABELS = dict(PlacementModel.choices)


def placement_rows(
    placements: list[dict],
    *,
    site_names: dict[int, str],
    programs: dict[int, tuple[str, int]],
    profession_names: dict[int, str],
) -> list[dict]:
    """Add to each row of `placements_for_list` the link, dates, names and labels the list
    shows (site, program, profession, model, status and its badge). The names come from
    lookups the caller already holds (the filter form's choices); a name missing from
    them is read in one query per kind, so any lookup gives the right rows."""
    site_names = _with_missing(site_names, {p["site_id"] for p in placements}, Site)
    missing_programs = {p["program_id"] for p in placements} - programs.keys()
    if missing_programs:
        programs = programs | {
            pk: (name, profession_id)
            for pk, name, profession_id in Program.objects.filter(pk__in=missing_programs)
            .order_by()
            .values_list("id", "name", "profession_id")
        }
    profession_names = _with_missing(
        profession_names, {programs[p["program_id"]][1] for p in placements}, Profession
    )
    for row in placements:
        program_name, profession_id = programs[row["program_id"]]
        row.update(
            # Strings made here, not by the fragment: a call from Jinja2 costs 3 µs a cell.
            url=pk_url("placements:detail", row["pk"]),
            start=row["start_date"].isoformat(),
            end=row["end_date"].isoformat(),
            site=site_names[row["site_id"]],
            unit=row["unit"] or "",
            program=program_name,
            profession=profession_names[profession_id],
            model_label=MODEL_LABELS.get(row["model"], row["model"]),
            status_label=STATUS_LABELS.get(row["status"], row["status"]),
            badge=status_badge(row["status"]),
        )
    return placements


def _with_missing(names: dict[int, str], wanted: set[int], model) -> dict[int, str]:
    missing = wanted - names.keys()
    if not missing:
        return names
    rows = model.objects.filter(pk__in=missing).order_by().values_list("id", "name")
    return names | dict(rows)


CLOSED = (PlacementStatus.COMPLETED, PlacementStatus.CANCELLED)


@dataclass
class StudentPlacements:
    current: list[SimpleNamespace] = field(default_factory=list)
    upcoming: list[SimpleNamespace] = field(default_factory=list)
    past: list[SimpleNamespace] = field(default_factory=list)


# A student's placements with their site, unit, contact and mentoring team (as the
# mentors' default ordering: role, then name), hand-written: the ORM's join of four tables
# plus the mentors' prefetch cost more to plan and to turn into model instances than to
# run. placements/tests/test_student_placements.py compares it with the querysets.
_STUDENT_PLACEMENTS_SQL = """
    SELECT p.id, p.start_date, p.end_date, p.model, p.status,
           s.name AS site_name, s.address, s.city, s.phone AS site_phone,
           un.name AS unit_name,
           c.full_name AS contact_name, c.email AS contact_email, c.phone AS contact_phone,
           (SELECT coalesce(json_agg(json_build_object(
                        'name', m.full_name, 'profession', pr.name, 'role', ma.role)
                    ORDER BY ma.role, m.full_name, ma.id), '[]')
            FROM {assignment} ma JOIN {user} m ON m.id = ma.mentor_id
            JOIN {profession} pr ON pr.id = ma.profession_id
            WHERE ma.placement_id = p.id) AS mentors
    FROM {placement} p
    JOIN {site} s ON s.id = p.site_id
    LEFT JOIN {unit} un ON un.id = p.unit_id
    LEFT JOIN {user} c ON c.id = p.contact_id
    WHERE p.student_id IN (SELECT st.id FROM {student} st WHERE st.user_id = %(user)s)
    ORDER BY p.start_date, p.id
"""


@cache
def _student_placements() -> Prepared:
    sql = _STUDENT_PLACEMENTS_SQL.format(  # nosec B608: table names from the models
        **table_names(
            assignment=MentorAssignment,
            user=User,
            profession=Profession,
            placement=Placement,
            site=Site,
            unit=Unit,
            student=Student,
        )
    )
    return Prepared("student_placements", sql)


def student_placements(user, *, today: datetime.date | None = None) -> StudentPlacements:
    """A student's own placements split into current, upcoming and past, each with its
    mentors (`name`, `profession`, `role_label`): one statement whatever the rows."""
    today = today or datetime.date.today()
    rows = _student_placements().fetch_dicts({"user": user.pk})
    models, statuses, roles = (
        dict(PlacementModel.choices),
        dict(PlacementStatus.choices),
        dict(MentorRole.choices),
    )
    result = StudentPlacements()
    for row in rows:
        placement = SimpleNamespace(
            pk=row["id"],
            model_label=models.get(row["model"], row["model"]),
            status_label=statuses.get(row["status"], row["status"]),
            mentor_list=[
                SimpleNamespace(role_label=roles.get(m["role"], m["role"]), **m)
                for m in row.pop("mentors")
            ],
            **row,
        )
        if placement.status in CLOSED or placement.end_date < today:
            result.past.append(placement)
        elif placement.start_date > today:
            result.upcoming.append(placement)
        else:
            result.current.append(placement)
    # Most recent first: the past list grows, the latest matters most.
    result.past.reverse()
    return result
