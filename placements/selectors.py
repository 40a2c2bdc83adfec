"""Reads of the placements app: the placements list and its CSV export, the filter's
choices, and capacity with the places held. Each takes a queryset built on
ipcop.permissions (e.g. `placements_visible_to(user)`), so who sees what is decided there."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Profession
from ipcop.lib.keyset import DATE_KEY, TEXT_KEY, CursorKey, KeysetPage, keyset_page
from placements.models import (
    Capacity,
    CapacityQuerySet,
    Placement,
    PlacementModel,
    PlacementStatus,
    Program,
    Student,
)
from sites.models import Site, Unit

STATUS_LABELS = dict(PlacementStatus.choices)
MODEL_LABELS = dict(PlacementModel.choices)

# A placement status's badge colour (the `status_badge` template filter); other statuses
# are grey.
STATUS_BADGES: dict[str, str] = {
    PlacementStatus.ACTIVE: "text-bg-success",
    PlacementStatus.CONFIRMED: "text-bg-primary",
    PlacementStatus.REQUESTED: "text-bg-warning",
}


def status_badge(status: str) -> str:
    """The Bootstrap badge class of a placement status."""
    return STATUS_BADGES.get(status, "text-bg-secondary")


# --- Capacity ----------------------------------------------------------------------------


def placements_holding(capacity: Capacity) -> QuerySet[Placement]:
    """The placements that take one of `capacity`'s places (Placement.objects.holding)."""
    return Placement.objects.holding(
        site=capacity.site_id,
        unit=capacity.unit_id,
        profession=capacity.profession_id,
        start=capacity.period_start,
        end=capacity.period_end,
    )


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


# What a capacity row shows (capacity list, site page), in the order they list them.
CAPACITY_ROW = {
    "site_name": F("site__name"),
    "unit_name": F("unit__name"),
    "profession_name": F("profession__name"),
}
CAPACITY_FIELDS = ("pk", "site_id", "unit_id", "period_start", "period_end", "places")
CAPACITY_ORDER = ("site__name", "period_start", "profession__name", "unit__name", "pk")


def capacity_rows(capacities: CapacityQuerySet) -> list[dict]:
    """The capacities as dicts of CAPACITY_FIELDS, the names, `used` (the places held)
    and `free` (never below zero: a capacity lowered before the rule could be over-held),
    in CAPACITY_ORDER. Each row's places held are counted by a subquery (a range of
    placement_holding_idx), so read only the rows a page shows."""
    rows = list(
        capacities.with_used()
        .order_by(*CAPACITY_ORDER)
        .values(*CAPACITY_FIELDS, "used", **CAPACITY_ROW)
    )
    for row in rows:
        row["free"] = max(row["places"] - row["used"], 0)
    return rows


def capacity_page(capacities: QuerySet[Capacity], *, number, per_page: int) -> Page:
    """The page `number` of `capacities` as `capacity_rows`. The page's rows are chosen
    first, then only theirs are counted: counting the places of a row the page skips
    costs as much as of one it shows."""
    ordered = capacities.order_by(*CAPACITY_ORDER).values_list("pk", flat=True)
    page: Page[Any] = Paginator(ordered, per_page).get_page(number)
    page.object_list = capacity_rows(Capacity.objects.filter(pk__in=list(page.object_list)))
    return page


def site_capacity(site_id: int) -> list[dict]:
    """The site's capacities as `capacity_rows`, by period, profession and unit."""
    return capacity_rows(Capacity.objects.filter(site_id=site_id))


# --- The placements list -----------------------------------------------------------------


def _name_of(model, key: str) -> Subquery:
    """The name of the `model` row the list's row points at by `key`. A subquery, not a
    join: PostgreSQL weighs every order of joining a query's tables, and planning seven
    of them cost more than running the page's query."""
    return Subquery(model.objects.filter(pk=OuterRef(key)).order_by().values("name"))


# What a row of the list shows (templates/placements/_list_table.html): the placement's
# own fields and the names of what it points at.
LIST_FIELDS = ("pk", "start_date", "end_date", "model", "status")
LIST_NAMES = {
    "student_name": F("student__user__full_name"),
    "program_name": F("student__program__name"),
    "profession_name": _name_of(Profession, "profession_id"),
    "site_name": _name_of(Site, "site_id"),
    "unit_name": _name_of(Unit, "unit_id"),
}


def placement_list_rows(page: QuerySet[Placement]) -> list[dict]:
    """The rows of a page of the list (`page`: the page's placements, ordered and cut),
    in the page's order: the names are joined to these rows only, not to the whole list."""
    rows = list(
        Placement.objects.filter(pk__in=page)
        .order_by(*page.query.order_by)
        .values(*LIST_FIELDS, **LIST_NAMES)
    )
    for row in rows:
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
        row["model_label"] = MODEL_LABELS.get(row["model"], row["model"])
    return rows


class ListSort:
    """One order of the placements list: the field it sorts by (then by id), the name
    of that value in a row, and how a cursor holds it."""

    def __init__(self, field: str, row_key: str, key: CursorKey):
        self.field, self.row_key, self.key = field, row_key, key

    def order(self, descending: bool) -> tuple[str, str]:
        return (f"-{self.field}", "-id") if descending else (self.field, "id")


# The list's orders by the column headers' names. Each reads one index from the cursor
# on: start placement_start_id_idx (or, for a few sites, placement_site_start_idx);
# status placement_status_id_idx; student the people's names (user_full_name_idx), then
# each student's placements (placement_student_idx); site the sites' names (unique),
# then each site's placements (placement_site_start_idx).
LIST_SORTS = {
    "start": ListSort("start_date", "start_date", DATE_KEY),
    "student": ListSort("student__user__full_name", "student_name", TEXT_KEY),
    "site": ListSort("site__name", "site_name", TEXT_KEY),
    "status": ListSort("status", "status", TEXT_KEY),
}


def placement_list_page(
    placements: QuerySet[Placement],
    *,
    descending: bool,
    params: Mapping,
    per_page: int,
    query: str = "",
    count_limit: int | None = None,
    sort: str = "start",
) -> KeysetPage:
    """The page of `placements` (the visible placements, filtered, in the order of
    `sort` and `descending`) that `params` (request.GET: `after`/`before` a cursor, `n`)
    points at, with the list's count up to `count_limit`. Each row is a dict
    (`placement_list_rows`). Each order reads its index from the cursor (LIST_SORTS),
    so page 200 costs what page 1 costs."""
    order = LIST_SORTS[sort]
    return keyset_page(
        placements,
        field=order.field,
        row_key=order.row_key,
        key=order.key,
        # Counted along the start-date index, whatever the order: counting in the order
        # of people's names would walk the names of everyone who is not a student too.
        count_order=LIST_SORTS["start"].order(True),
        descending=descending,
        params=params,
        per_page=per_page,
        query=query,
        count_limit=count_limit,
        rows=placement_list_rows,
    )


# The CSV export's columns: each header and the field it holds.
EXPORT_COLUMNS = {
    "id": "pk",
    "student": "student__user__full_name",
    "student_email": "student__user__email",
    "student_number": "student__student_number",
    "program": "student__program__name",
    "institution": "student__program__institution__name",
    "profession": "profession__name",
    "site": "site__name",
    "unit": "unit__name",
    "start_date": "start_date",
    "end_date": "end_date",
    "model": "model",
    "status": "status",
    "contact_email": "contact__email",
    "notes": "notes",
}


def placement_export_rows(placements: QuerySet[Placement]) -> Iterator[tuple]:
    """The rows of `placements` as the CSV export's columns (EXPORT_COLUMNS), in the
    queryset's order, read in chunks."""
    return placements.values_list(*EXPORT_COLUMNS.values()).iterator(chunk_size=2000)


# --- The students list (a program coordinator's) --------------------------------------------


def student_list_rows(page: QuerySet[Student]) -> list[dict]:
    """The rows of a page of the students list (`page`: the page's students, ordered and
    cut), in the page's order, each with its number of placements (not cancelled): the
    names and counts are read for these rows only."""
    placements = (
        Placement.objects.filter(student=OuterRef("pk"))
        .exclude(status=PlacementStatus.CANCELLED)
        .order_by()
        .values("student")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return list(
        Student.objects.filter(pk__in=page)
        .order_by(*page.query.order_by)
        .values(
            "pk",
            "student_number",
            "cohort_year",
            "program_id",
            name=F("user__full_name"),
            email=F("user__email"),
            program_name=F("program__name"),
            institution_name=F("program__institution__name"),
            placement_count=Coalesce(Subquery(placements), Value(0)),
        )
    )


def student_list_page(
    students: QuerySet[Student], *, params: Mapping, per_page: int, query: str = ""
) -> KeysetPage:
    """The page of `students` (the person's students, filtered) by name that `params`
    (request.GET: `after`/`before` a cursor, `n`) points at; rows as `student_list_rows`."""
    return keyset_page(
        students,
        field="user__full_name",
        row_key="name",
        key=TEXT_KEY,
        descending=False,
        params=params,
        per_page=per_page,
        query=query,
        rows=student_list_rows,
    )


# --- The list filter's choices -------------------------------------------------------------


def program_choices(programs: QuerySet[Program] | None = None) -> list[tuple[int, str, int, str]]:
    """The programs (`programs`, by default every one) as (id, "name — institution",
    profession id, profession name), by institution and name."""
    programs = Program.objects.all() if programs is None else programs
    return [
        (pk, f"{name} — {institution}", profession_id, profession)
        for pk, name, institution, profession_id, profession in programs.order_by(
            "institution__name", "name"
        ).values_list("pk", "name", "institution__name", "profession_id", "profession__name")
    ]


def unit_choices(site_id: int) -> list[tuple[int, str]]:
    """A site's units as (id, name), by name."""
    return list(Unit.objects.filter(site_id=site_id).order_by("name").values_list("pk", "name"))


# --- The placement calendar ----------------------------------------------------------------

# The statuses the calendar shows: a cancelled placement has left the site.
CALENDAR_STATUSES = (
    PlacementStatus.REQUESTED,
    PlacementStatus.CONFIRMED,
    PlacementStatus.ACTIVE,
    PlacementStatus.COMPLETED,
)


@dataclass(frozen=True)
class CalendarWeek:
    """One column: Monday to Sunday."""

    start: datetime.date
    end: datetime.date


@dataclass
class CalendarCell:
    """One cell of a row: `span` weeks wide. `kind` names what the cell says, for its
    style (the text says it too): a placement's status, or for places "free", "full",
    "over" or "unlimited"; "" for an empty cell. A places cell knows its `week`, which
    labels it when a phone shows the row as a card."""

    span: int = 1
    kind: str = ""
    held: int = 0
    places: int = 0
    week: CalendarWeek | None = None

    @property
    def free(self) -> int:
        return max(self.places - self.held, 0)

    @property
    def over(self) -> int:
        return max(self.held - self.places, 0)


@dataclass
class CalendarPlacement:
    pk: int
    student_name: str
    program_name: str
    start_date: datetime.date
    end_date: datetime.date
    status: str
    status_label: str
    cells: list[CalendarCell]


@dataclass
class CalendarProfession:
    """One profession in one unit (or the whole site): its places per week, when a
    capacity limits them, and its placements."""

    name: str
    places: list[CalendarCell] | None
    placements: list[CalendarPlacement] = field(default_factory=list)
    # No capacity of this unit, but the whole site's places count its placements.
    site_wide: bool = False


@dataclass
class CalendarGroup:
    """A unit, or the whole site (`unit_id` None): the site-wide places and the
    placements in no unit."""

    unit_id: int | None
    name: str
    professions: list[CalendarProfession]


@dataclass
class SiteCalendar:
    weeks: list[CalendarWeek]
    groups: list[CalendarGroup]
    quiet_units: list[str]  # units with neither placement nor capacity in the period

    @property
    def start(self) -> datetime.date:
        return self.weeks[0].start

    @property
    def end(self) -> datetime.date:
        return self.weeks[-1].end

    @property
    def months(self) -> list[tuple[datetime.date, int]]:
        """The column groups of the header: each month (its first day) and how many of
        the weeks fall in it, a week counting in its Monday's month (the first week in
        the first month, though it may begin in the one before)."""
        first_month = self.weeks[0].end.replace(day=1)
        spans: dict[datetime.date, int] = {}
        for week in self.weeks:
            month = max(week.start.replace(day=1), first_month)
            spans[month] = spans.get(month, 0) + 1
        return list(spans.items())


def calendar_weeks(first_month: datetime.date, months: int) -> list[CalendarWeek]:
    """The weeks, Monday to Sunday, that cover `months` months from `first_month`."""
    year, month = divmod(first_month.month - 1 + months, 12)
    last_day = datetime.date(first_month.year + year, month + 1, 1) - datetime.timedelta(days=1)
    monday = first_month - datetime.timedelta(days=first_month.weekday())
    weeks = []
    while monday <= last_day:
        weeks.append(CalendarWeek(monday, monday + datetime.timedelta(days=6)))
        monday += datetime.timedelta(weeks=1)
    return weeks


def _placement_cells(weeks: list[CalendarWeek], start, end, status: str) -> list[CalendarCell]:
    """Empty cells before and after one cell spanning the weeks the placement covers."""
    covered = [i for i, week in enumerate(weeks) if week.start <= end and week.end >= start]
    first, last = covered[0], covered[-1]
    return (
        [CalendarCell() for _ in range(first)]
        + [CalendarCell(span=last - first + 1, kind=status)]
        + [CalendarCell() for _ in range(len(weeks) - last - 1)]
    )


def _places_cells(weeks: list[CalendarWeek], capacities: list[dict]) -> list[CalendarCell]:
    """Each week's places: of the capacities in force that week, the one with the fewest
    places free, as it is the one that would refuse a placement (services._check_capacity).
    A capacity's places are held by every placement overlapping its period, so a week
    shows the held places of the whole period, as confirming counts them."""
    cells = []
    for week in weeks:
        in_force = [
            c for c in capacities if c["period_start"] <= week.end and c["period_end"] >= week.start
        ]
        if not in_force:
            cells.append(CalendarCell(kind="unlimited", week=week))
            continue
        tightest = min(in_force, key=lambda c: (c["places"] - c["used"], c["period_start"]))
        held, places = tightest["used"], tightest["places"]
        kind = "over" if held > places else "full" if held == places else "free"
        cells.append(CalendarCell(kind=kind, held=held, places=places, week=week))
    return cells


def site_calendar(
    *,
    site: Site,
    placements: QuerySet[Placement],
    first_month: datetime.date,
    months: int,
    program_id: int | None = None,
    profession_id: int | None = None,
) -> SiteCalendar:
    """Who is placed where at `site`, week by week over `months` months from
    `first_month`, against the places each capacity offers: grouped by unit (the
    whole site first), then by profession. `placements` are those the person may see
    (ipcop.permissions); `program_id` and `profession_id` narrow both the placements and
    the places (a program's places are its profession's).

    Three reads whatever the number of placements: the site's units, its placements
    overlapping the period (placement_site_start_idx), and its capacities overlapping
    the period with the places each holds (`with_used`, placement_holding_idx)."""
    weeks = calendar_weeks(first_month, months)
    start, end = weeks[0].start, weeks[-1].end
    if program_id is not None and profession_id is None:
        profession_id = (
            Program.objects.filter(pk=program_id).values_list("profession_id", flat=True).first()
        )

    units = dict(Unit.objects.filter(site=site).order_by("name", "pk").values_list("pk", "name"))
    shown = placements.filter(
        site=site, status__in=CALENDAR_STATUSES, start_date__lte=end, end_date__gte=start
    )
    if program_id is not None:
        shown = shown.filter(student__program_id=program_id)
    if profession_id is not None:
        shown = shown.filter(profession_id=profession_id)
    # The names by subqueries, each a lookup by id for the rows shown: joined, the
    # planner may read the whole students table to hash it.
    enrolment = Student.objects.filter(pk=OuterRef("student_id")).order_by()
    rows = shown.values(
        "pk",
        "unit_id",
        "start_date",
        "end_date",
        "status",
        "profession_id",
        student_name=Subquery(enrolment.values("user__full_name")),
        program_name=Subquery(enrolment.values("program__name")),
        profession_name=_name_of(Profession, "profession_id"),
    ).order_by("student_name", "start_date", "pk")
    capacities = Capacity.objects.filter(site=site, period_start__lte=end, period_end__gte=start)
    if profession_id is not None:
        capacities = capacities.filter(profession_id=profession_id)

    # (unit or None, profession id) → the profession's places and placements there.
    blocks: dict[tuple[int | None, int], CalendarProfession] = {}
    limits: dict[tuple[int | None, int], list[dict]] = {}
    names: dict[int, str] = {}
    for capacity in capacities.with_used().values(
        "unit_id",
        "profession_id",
        "period_start",
        "period_end",
        "places",
        "used",
        profession_name=F("profession__name"),
    ):
        key = (capacity["unit_id"], capacity["profession_id"])
        limits.setdefault(key, []).append(capacity)
        names[capacity["profession_id"]] = capacity["profession_name"]
    for key, limiting in limits.items():
        blocks[key] = CalendarProfession(names[key[1]], _places_cells(weeks, limiting))
    for row in rows:
        # A unit of another site (never written by the forms or the import) shows with
        # the whole site rather than not at all.
        key = (row["unit_id"] if row["unit_id"] in units else None, row["profession_id"])
        if key not in blocks:
            blocks[key] = CalendarProfession(row["profession_name"], None)
        blocks[key].placements.append(
            CalendarPlacement(
                pk=row["pk"],
                student_name=row["student_name"],
                program_name=row["program_name"],
                start_date=row["start_date"],
                end_date=row["end_date"],
                status=row["status"],
                status_label=STATUS_LABELS.get(row["status"], row["status"]),
                cells=_placement_cells(weeks, row["start_date"], row["end_date"], row["status"]),
            )
        )

    for (unit, profession), block in blocks.items():
        block.site_wide = unit is not None and block.places is None and (None, profession) in limits
    groups = []
    for unit_id, name in [(None, "Whole site"), *units.items()]:
        professions = sorted(
            (block for (unit, _), block in blocks.items() if unit == unit_id),
            # A placement's profession is unknown only between a load with the triggers
            # off and placements.services.counters_recount(): listed first, not a 500.
            key=lambda block: block.name or "",
        )
        if professions:
            groups.append(CalendarGroup(unit_id, name, professions))
    busy = {unit for unit, _ in blocks}
    quiet = [name for pk, name in units.items() if pk not in busy]
    return SiteCalendar(weeks=weeks, groups=groups, quiet_units=quiet)
