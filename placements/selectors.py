"""Reads of the placements app that span several models (capacity, the student's home)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace

from django.db import connection
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
from ipcop.lib.keyset import KeysetPage, assemble_page, cut_page, parse_cursor, positive_int
from ipcop.lib.sql import Prepared, fetch_dicts, table_names
from ipcop.permissions import has_role, placement_scope_sql
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


# The list's page as one fixed statement: its rows (found in placements alone, an index
# range scan from the keyset cursor, then joined to their student's name and program and
# their unit's name) and, in the same statement, the list's count up to the count limit.
# Conditions are fixed SQL chosen by the filters; every value is a parameter. The same rows,
# order and cursor as `keyset_page` over `PlacementFilterForm.filter(placements_visible_to())`
# (test_list_page.py compares the two), without the ~3,000 Python calls a request of
# building and compiling that queryset and counting it in a second query.
_LIST_PAGE_SQL = """
    {{scope}}
    SELECT c.counted, page.id AS pk, page.site_id, page.unit_id, page.start_date,
           page.end_date, page.model, page.status, s.{student[program]} AS program_id,
           u.{user[full_name]} AS student_name,
           (SELECT n.{unit[name]} FROM {unit[table]} n WHERE n.id = page.unit_id) AS unit
      FROM (SELECT count(*) AS counted FROM (
                SELECT 1 FROM {placement[table]} p WHERE {{conditions}} LIMIT {{count_limit:d}}
            ) listed) c
      LEFT JOIN ({{page}}) page ON TRUE
      LEFT JOIN {student[table]} s ON s.id = page.student_id
      LEFT JOIN {user[table]} u ON u.id = s.{student[user]}
     ORDER BY page.start_date {{order}}, page.id {{order}}
"""  # noqa: S608  # nosec B608: table and column names from the models, values as parameters
_LIST_PAGE_SQL = _LIST_PAGE_SQL.format(
    placement=_names(
        Placement, "site", "unit", "start_date", "end_date", "model", "status", "student"
    ),
    student=_names(Student, "program", "user"),
    user=_names(User, "full_name", "email"),
    unit=_names(Unit, "name"),
)
# The page's rows: walking the list's order (placement_start_id_idx) from the cursor.
_WALK_SQL = """
    SELECT p.id, p.{placement[site]} AS site_id, p.{placement[unit]} AS unit_id,
           p.{placement[start_date]} AS start_date, p.{placement[end_date]} AS end_date,
           p.{placement[model]} AS model, p.{placement[status]} AS status,
           p.{placement[student]} AS student_id
      FROM {placement[table]} p WHERE {{conditions}}
     ORDER BY p.{placement[start_date]} {{fetch}}, p.id {{fetch}} LIMIT {{limit}}
"""  # noqa: S608  # nosec B608: table and column names from the models, values as parameters
_WALK_SQL = _WALK_SQL.format(
    placement=_names(
        Placement, "site", "unit", "start_date", "end_date", "model", "status", "student"
    )
)
# A facilitator's unfiltered list is a prepared statement, so its plan cannot depend on
# how many sites the person has. It reads the scope into an array once and has two
# forms, a LIMIT of 0 keeping the other from running (as the dashboard's and the
# follow-ups list's): more than FEW_SITES sites walk the list's order (a zone's 100 sites
# of 500: ~250 rows for a page); FEW_SITES or fewer take each site's first rows (a site
# has a few hundred placements, read by placement_site_status_idx), as walking would pass
# ~12,000 other sites' rows for a facilitator of two.
FEW_SITES = 10
_FACILITATOR_SCOPE_SQL = (
    "WITH scope AS MATERIALIZED (SELECT ids, cardinality(ids) <= {few:d} AS few FROM"
    " (SELECT ARRAY(SELECT f.{through[site]} FROM {through[table]} f"
    " WHERE f.{through[user]} = %(person)s) AS ids OFFSET 0) x)"
)
_FACILITATOR_SITES_SQL = "p.{site} = ANY((SELECT ids FROM scope)::bigint[])"  # noqa: S608
_FACILITATOR_SITES_SQL = _FACILITATOR_SITES_SQL.format(site=_names(Placement, "site")["site"])
_WALK_UNLESS_FEW = "(SELECT CASE WHEN few THEN 0 ELSE {rows:d} END FROM scope)"
_BY_SITE_SQL = (
    "SELECT p.* FROM (SELECT unnest(ids) FROM scope WHERE few) s(site_id) CROSS JOIN LATERAL"
    " ({walk}) p"
)
_TWO_FORMS_SQL = (
    "SELECT * FROM (({walk}) UNION ALL ({by_site})) p"
    " ORDER BY p.start_date {fetch}, p.id {fetch} LIMIT {rows:d}"
)
_STUDENTS = _names(Student, "program", "user", "student_number")
_USERS = _names(User, "full_name", "email")
# The filters' conditions, as PlacementFilterForm.filter applies them to the queryset.
_FILTER_SQL = {
    "site": "p.{p[site]} = %(site)s",
    "unit": "p.{p[unit]} = %(unit)s",
    "program": "p.{p[student]} IN (SELECT s.id FROM {s[table]} s WHERE s.{s[program]} = %(program)s)",
    "status": "p.{p[status]} = %(status)s",
    "model": "p.{p[model]} = %(model)s",
    "start_from": "p.{p[start_date]} >= %(start_from)s",
    "start_to": "p.{p[start_date]} <= %(start_to)s",
    "programs": "p.{p[student]} IN"
    " (SELECT s.id FROM {s[table]} s WHERE s.{s[program]} = ANY(%(programs)s))",
    # As the ORM's icontains on PostgreSQL: UPPER(...) LIKE UPPER('%…%'), escaped.
    "q": "p.{p[student]} IN (SELECT s.id FROM {s[table]} s JOIN {u[table]} u"
    " ON u.id = s.{s[user]} WHERE UPPER(u.{u[full_name]}::text) LIKE UPPER(%(q_like)s)"
    " OR UPPER(u.{u[email]}::text) LIKE UPPER(%(q_like)s) OR s.{s[student_number]} = %(q)s)",
}
_FILTER_SQL = {
    name: sql.format(
        p=_names(Placement, "site", "unit", "student", "status", "model", "start_date"),
        s=_STUDENTS,
        u=_USERS,
    )
    for name, sql in _FILTER_SQL.items()
}
# The rows after a cursor (key, pk) in the order fetched: `<` descending, `>` ascending.
# `start_date <= key` is the range the index scan starts from; the OR drops the few rows
# that share the cursor's date.
_CURSOR_SQL = (
    "p.{start} {{sign}}= %(key)s AND (p.{start} {{sign}} %(key)s OR p.id {{sign}} %(key_pk)s)"
)
_CURSOR_SQL = _CURSOR_SQL.format(start=_names(Placement, "start_date")["start_date"])
# The unfiltered statements (an admin's list and a facilitator's, by sort and cursor: a
# dozen shapes) are kept prepared on each connection. The others are planned on each
# request: a generic plan knows neither a filter's selectivity nor, written as a
# subquery, how many sites a person has (a facilitator of a zone's 100 sites walked
# 10,000 placements to sort them where the custom plan reads 51 from the date index).
_PREPARED_LIST_PAGES: dict[str, Prepared] = {}


def _facilitator_only(user: User) -> bool:
    """A facilitator with neither of the other roles that widen the list's scope."""
    return has_role(user, "facilitator") and not (
        has_role(user, "preceptor") or has_role(user, "student")
    )


def placement_list_page(
    user: User,
    filters: dict,
    *,
    descending: bool,
    params,
    per_page: int,
    query: str,
    count_limit: int,
) -> KeysetPage:
    """The page of the placements list that `params` (request.GET: `after`/`before` a
    cursor, `n`) points at, among the placements `user` may see that match `filters`
    (PlacementFilterForm.list_filters), by start date and id. Its rows are dicts of the
    placement's columns, `program_id`, `student_name` and `unit` (the unit's name), for
    `placement_rows` to complete. One statement."""
    scope, scope_values = placement_scope_sql(user)
    values = dict(scope_values)
    conditions = [scope] if scope else []
    for name, value in filters.items():
        if value is None or value == "":
            continue
        conditions.append(_FILTER_SQL[name])
        if name == "q":
            values["q_like"] = f"%{connection.ops.prep_for_like_query(value)}%"
        values[name] = value
    after, before = parse_cursor(params.get("after")), parse_cursor(params.get("before"))
    cursor = before or after
    # Rows before the cursor are fetched nearest first, against the list's order.
    ascending = descending if before is not None else not descending
    page_conditions = list(conditions)
    if cursor is not None:
        values["key"], values["key_pk"] = cursor
        sign = ">" if ascending else "<"
        page_conditions.append(_CURSOR_SQL.format(sign=sign))
    fetch = "ASC" if ascending else "DESC"
    # The limits are written into the statement, not passed as parameters: a generic plan
    # sizes a `LIMIT $1` at a tenth of the table and hash-joins 10,000 rows.
    rows_limit = per_page + 1
    scope_sql = ""
    unfiltered = len(conditions) == (1 if scope else 0)
    if unfiltered and scope is not None and _facilitator_only(user):
        # The facilitator's form (above): prepared, whatever their number of sites.
        scope_sql = _FACILITATOR_SCOPE_SQL.format(
            few=FEW_SITES, through=_names(Site.facilitators.through, "site", "user")
        )
        conditions = [_FACILITATOR_SITES_SQL]
        cursor_sql = " AND ".join(page_conditions[1:]) or "TRUE"
        walk = _WALK_SQL.format(
            conditions=f"{_FACILITATOR_SITES_SQL} AND {cursor_sql}",
            fetch=fetch,
            limit=_WALK_UNLESS_FEW.format(rows=rows_limit),
        )
        by_site = _BY_SITE_SQL.format(
            walk=_WALK_SQL.format(
                conditions=f"p.site_id = s.site_id AND {cursor_sql}", fetch=fetch, limit=rows_limit
            )
        )
        page = _TWO_FORMS_SQL.format(walk=walk, by_site=by_site, fetch=fetch, rows=rows_limit)
    else:
        page = _WALK_SQL.format(
            conditions=" AND ".join(page_conditions) or "TRUE", fetch=fetch, limit=rows_limit
        )
    sql = _LIST_PAGE_SQL.format(
        scope=scope_sql,
        page=page,
        conditions=" AND ".join(conditions) or "TRUE",
        order="DESC" if descending else "ASC",
        count_limit=count_limit + 1,
    )
    if unfiltered and (scope is None or scope_sql):
        prepared = _PREPARED_LIST_PAGES.get(sql)
        if prepared is None:
            prepared = Prepared(f"placement_list_{len(_PREPARED_LIST_PAGES)}", sql)
            _PREPARED_LIST_PAGES[sql] = prepared
        rows = prepared.fetch_dicts(values)
    else:
        rows = fetch_dicts(sql, values)
    counted = rows[0]["counted"]  # one row of NULLs when the page is empty
    found = []
    for row in rows:
        del row["counted"]
        if row["pk"] is not None:
            found.append(row)
    number = positive_int(params.get("n"))
    found, has_next, has_previous = cut_page(found, per_page=per_page, after=after, before=before)
    return assemble_page(
        found,
        number=number if has_previous else 1,
        has_next=has_next,
        has_previous=has_previous,
        query=query,
        key=lambda row: (row["start_date"], row["pk"]),
        counted=counted,
        count_limit=count_limit,
    )


@cache
def _program_rows() -> Prepared:
    programs = Program.objects.values_list(
        "id", "name", "institution", "profession_id", "profession__name"
    )
    sql, params = programs.query.sql_with_params()
    assert not params  # noqa: S101 - the statement has no parameters
    return Prepared("program_rows", sql)


def program_rows() -> list[tuple[int, str, str, int, str]]:
    """Every program as (id, name, institution, profession id, profession name), by
    institution and name: the list filter's options and names. The query is the same on
    every request, so the ORM compiles it once a process (it spent ~0.3 ms of Python a
    request compiling the same join) and PostgreSQL plans it once a connection."""
    return _program_rows().fetch_all({})


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
    """Add to each row of `placement_list_page` the link, dates, names and labels the list
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
