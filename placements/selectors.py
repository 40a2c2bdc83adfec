"""Reads of the placements app that span several models (capacity, the student's home)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from mentoring.models import MentorAssignment
from placements.models import Capacity, Placement, PlacementStatus

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


def placements_for_display(queryset: QuerySet[Placement]) -> QuerySet[Placement]:
    """What a placement row on a page shows: the student, program, site, unit, contact."""
    return queryset.select_related(
        "student__user", "student__program__profession", "site", "unit", "contact"
    )


CLOSED = (PlacementStatus.COMPLETED, PlacementStatus.CANCELLED)


@dataclass
class StudentPlacements:
    current: list[Placement] = field(default_factory=list)
    upcoming: list[Placement] = field(default_factory=list)
    past: list[Placement] = field(default_factory=list)


def student_placements(user, *, today: datetime.date | None = None) -> StudentPlacements:
    """A student's own placements split into current, upcoming and past, with their
    mentors: three queries however many placements there are."""
    today = today or datetime.date.today()
    placements = (
        placements_for_display(Placement.objects.filter(student__user=user))
        .prefetch_related(
            Prefetch(
                "mentors",
                queryset=MentorAssignment.objects.select_related("mentor", "profession"),
            )
        )
        .order_by("start_date", "id")
    )
    result = StudentPlacements()
    for placement in placements:
        if placement.status in CLOSED or placement.end_date < today:
            result.past.append(placement)
        elif placement.start_date > today:
            result.upcoming.append(placement)
        else:
            result.current.append(placement)
    # Most recent first: the past list grows, the latest matters most.
    result.past.reverse()
    return result
