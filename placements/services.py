"""The writes of the placements app: enrolling students, creating and editing placements,
and moving them along their lifecycle within the sites' capacity.

Views, the CSV import and the admin call these, so each rule lives here once.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from accounts.identifiers import normalise_email
from placements.cache import placements_changed
from placements.models import (
    PLACEMENT_TRANSITIONS,
    Capacity,
    Placement,
    PlacementModel,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
)
from placements.selectors import capacities_for, placements_holding
from placements.signals import placement_activated

if TYPE_CHECKING:
    from accounts.models import User
    from sites.models import Site, Unit


# --- Students ---------------------------------------------------------------------------


def _check_enrolment_unique(student: Student) -> None:
    """Say in words which rule a duplicate enrolment breaks (the constraints back it up)."""
    others = Student.objects.filter(program=student.program).exclude(pk=student.pk)
    if student.user_id and others.filter(user_id=student.user_id).exists():
        raise ValidationError(f"{student.user} is already enrolled in {student.program.name}.")
    if student.student_number and others.filter(student_number=student.student_number).exists():
        raise ValidationError(
            {
                "student_number": f"Student number {student.student_number} is already used in "
                f"{student.program.name}."
            }
        )


@transaction.atomic
def student_enrol(
    *,
    email: str,
    full_name: str,
    program: Program,
    student_number: str = "",
    cohort_year: int | None = None,
) -> Student:
    """Enrol a person in a program, creating their account (without a usable password:
    an invitation lets them set one) when the email is new. An existing account keeps its
    name; it gains the student role."""
    UserModel = get_user_model()
    email = normalise_email(email)
    user = UserModel.objects.filter(email=email).first()
    if user is None:
        user = UserModel(
            email=email,
            full_name=full_name.strip(),
            profession=program.profession,
            is_student=True,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
    elif not user.is_student or user.profession_id is None:
        user.is_student = True
        if user.profession_id is None:
            user.profession = program.profession
        user.save(update_fields=["is_student", "profession"])
    student = Student(
        user=user, program=program, student_number=student_number.strip(), cohort_year=cohort_year
    )
    _check_enrolment_unique(student)
    student.full_clean()
    student.save()
    return student


@transaction.atomic
def student_update(*, student: Student, student_number: str, cohort_year: int | None) -> Student:
    """Change an enrolment's student number and cohort year."""
    student.student_number = student_number.strip()
    student.cohort_year = cohort_year
    _check_enrolment_unique(student)
    student.full_clean()
    student.save(update_fields=["student_number", "cohort_year"])
    return student


# --- Placements -------------------------------------------------------------------------


def _lock_student(student: Student) -> None:
    # Serialises writes for one student so two requests cannot both pass the overlap check.
    Student.objects.select_for_update().filter(pk=student.pk).first()


def _check_unit_at_site(placement: Placement) -> None:
    if placement.unit is not None and placement.unit.site_id != placement.site_id:
        raise ValidationError({"unit": f"{placement.unit.name} is not a unit of {placement.site}."})


def _check_no_overlap(placement: Placement) -> None:
    """An open placement may not share a day with another open placement of the student."""
    if not placement.is_open:
        return
    clash = (
        Placement.objects.open()
        .filter(student_id=placement.student_id)
        .overlapping(placement.start_date, placement.end_date)
        .exclude(pk=placement.pk)
        .select_related("site")
        .order_by("start_date")
        .first()
    )
    if clash:
        raise ValidationError(
            f"The student already has a {clash.get_status_display().lower()} placement at "
            f"{clash.site} from {clash.start_date:%Y-%m-%d} to {clash.end_date:%Y-%m-%d}; "
            "the dates overlap."
        )


def _check_capacity(placement: Placement) -> None:
    """Refuse to hold a place when a capacity limiting `placement` is full.

    The capacity rows are locked (SELECT … FOR UPDATE) before the places are counted, so
    two confirmations of the last place run one after the other: the second one counts
    the first once it has committed and is refused. With no capacity recorded for the
    site, period and profession, the site is not limited.
    """
    capacities = (
        capacities_for(
            site_id=placement.site_id,
            unit_id=placement.unit_id,
            profession_id=placement.student.program.profession_id,
            start=placement.start_date,
            end=placement.end_date,
        )
        .select_related("site", "unit", "profession")
        .select_for_update(of=("self",))
        # A fixed lock order: two transactions locking the same rows cannot deadlock.
        .order_by("pk")
    )
    for capacity in capacities:
        holders = list(
            placements_holding(capacity)
            .exclude(pk=placement.pk)
            .select_related("student__user")
            .order_by("start_date", "id")
        )
        if len(holders) >= capacity.places:
            where = f"{capacity.site}" + (f", {capacity.unit.name}" if capacity.unit_id else "")
            held_by = "; ".join(
                f"{h.student.user} ({h.start_date:%Y-%m-%d} to {h.end_date:%Y-%m-%d}, "
                f"{h.get_status_display().lower()})"
                for h in holders
            )
            raise ValidationError(
                f"No place left: {where} offers {capacity.places} "
                f"place{'s' if capacity.places != 1 else ''} for {capacity.profession} students "
                f"from {capacity.period_start:%Y-%m-%d} to {capacity.period_end:%Y-%m-%d}, "
                f"held by {held_by or 'nobody'}."
            )


def _record_change(
    placement: Placement, *, from_status: str, to_status: str, changed_by, note: str = ""
) -> PlacementStatusChange:
    return PlacementStatusChange.objects.create(
        placement=placement,
        from_status=from_status,
        to_status=to_status,
        changed_by=changed_by,
        note=note[:255],
    )


@transaction.atomic
def placement_create(
    *,
    student: Student,
    site: Site,
    start_date: datetime.date,
    end_date: datetime.date,
    unit: Unit | None = None,
    model: str = PlacementModel.IP_MENTORING,
    contact: User | None = None,
    notes: str = "",
    created_by: User | None = None,
) -> Placement:
    """Request a placement for a student. It starts as requested (holding no place yet)
    and may not overlap another open placement of the student."""
    _lock_student(student)
    placement = Placement(
        student=student,
        site=site,
        unit=unit,
        start_date=start_date,
        end_date=end_date,
        model=model,
        contact=contact,
        notes=notes,
        created_by=created_by,
        status=PlacementStatus.REQUESTED,
    )
    placement.full_clean()
    _check_unit_at_site(placement)
    _check_no_overlap(placement)
    placement.save()
    _record_change(
        placement, from_status="", to_status=PlacementStatus.REQUESTED, changed_by=created_by
    )
    placements_changed()
    return placement


EDITABLE_FIELDS = ("site", "unit", "start_date", "end_date", "model", "contact", "notes")
# Changing these moves the placement to other places; a held place is then re-checked.
_WHERE_AND_WHEN = ("site_id", "unit_id", "start_date", "end_date")


@transaction.atomic
def placement_update(
    *,
    placement: Placement,
    site: Site,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
    model: str,
    contact: User | None,
    notes: str,
    changed_by: User | None = None,
) -> Placement:
    """Edit an open placement. A placement that holds a place (confirmed or active) and
    moves in time or place must find a place again. Completed and cancelled placements
    are history and cannot be edited."""
    _lock_student(placement.student)
    current = Placement.objects.select_for_update().get(pk=placement.pk)
    if not current.is_open:
        raise ValidationError(
            f"A {current.get_status_display().lower()} placement cannot be edited."
        )
    before = {name: getattr(current, name) for name in _WHERE_AND_WHEN}
    placement.status = current.status
    placement.site = site
    placement.unit = unit
    placement.start_date = start_date
    placement.end_date = end_date
    placement.model = model
    placement.contact = contact
    placement.notes = notes
    placement.full_clean()
    _check_unit_at_site(placement)
    _check_no_overlap(placement)
    moved = any(getattr(placement, name) != before[name] for name in _WHERE_AND_WHEN)
    if moved and placement.status in (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE):
        _check_capacity(placement)
    placement.save()
    placements_changed()
    return placement


@transaction.atomic
def placement_transition(
    *, placement: Placement, to_status: str, changed_by: User | None, note: str = ""
) -> Placement:
    """Move a placement one step along its lifecycle (PLACEMENT_TRANSITIONS) and record
    who did it and when. Confirming takes a place within the site's capacity; becoming
    active creates the student's follow-up interview in the same transaction."""
    # Lock the row: two people pressing "confirm" and "cancel" at once apply one after the
    # other, and the second sees the status the first left.
    current = Placement.objects.select_for_update().get(pk=placement.pk)
    from_status = current.status
    if to_status not in PLACEMENT_TRANSITIONS.get(from_status, set()):
        allowed = ", ".join(
            sorted(PlacementStatus(s).label.lower() for s in PLACEMENT_TRANSITIONS[from_status])
        )
        raise ValidationError(
            f"A {PlacementStatus(from_status).label.lower()} placement cannot become "
            f"{PlacementStatus(to_status).label.lower() if to_status in PlacementStatus.values else to_status}"
            + (f"; it can become {allowed}." if allowed else "; its lifecycle is over.")
        )
    if to_status == PlacementStatus.CONFIRMED:
        _check_capacity(current)
    current.status = to_status
    current.save(update_fields=["status", "updated_at"])
    _record_change(
        current, from_status=from_status, to_status=to_status, changed_by=changed_by, note=note
    )
    if to_status == PlacementStatus.ACTIVE:
        placement_activated.send(sender=Placement, placement=current)
    placement.status = current.status
    placement.updated_at = current.updated_at
    placements_changed()
    return current


def placement_confirm(
    *, placement: Placement, changed_by: User | None, note: str = ""
) -> Placement:
    """Requested → confirmed, within the capacity of the site, period and profession."""
    return placement_transition(
        placement=placement, to_status=PlacementStatus.CONFIRMED, changed_by=changed_by, note=note
    )


def placement_activate(
    *, placement: Placement, changed_by: User | None, note: str = ""
) -> Placement:
    """Confirmed → active; the student becomes due a follow-up interview."""
    return placement_transition(
        placement=placement, to_status=PlacementStatus.ACTIVE, changed_by=changed_by, note=note
    )


def placement_complete(
    *, placement: Placement, changed_by: User | None, note: str = ""
) -> Placement:
    """Active → completed."""
    return placement_transition(
        placement=placement, to_status=PlacementStatus.COMPLETED, changed_by=changed_by, note=note
    )


def placement_cancel(*, placement: Placement, changed_by: User | None, note: str = "") -> Placement:
    """Any open status → cancelled; a held place is given back."""
    return placement_transition(
        placement=placement, to_status=PlacementStatus.CANCELLED, changed_by=changed_by, note=note
    )


# The path from requested to a target status, for the import ("confirmed" = confirm once).
LIFECYCLE_PATH = (PlacementStatus.REQUESTED, PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE)


def placement_advance_to(
    *, placement: Placement, to_status: str, changed_by: User | None, note: str = ""
) -> Placement:
    """Take every step from the placement's status up to `to_status` along the path
    requested → confirmed → active (used by the import). Never moves backwards."""
    if to_status not in LIFECYCLE_PATH:
        raise ValidationError(f"Unknown status {to_status!r}.")
    target = LIFECYCLE_PATH.index(to_status)
    while placement.status in LIFECYCLE_PATH and LIFECYCLE_PATH.index(placement.status) < target:
        next_status = LIFECYCLE_PATH[LIFECYCLE_PATH.index(placement.status) + 1]
        placement = placement_transition(
            placement=placement, to_status=next_status, changed_by=changed_by, note=note
        )
    return placement


# --- Capacity ---------------------------------------------------------------------------


def placement_professions_refill() -> int:
    """Copy each placement's student's profession onto it where it differs (triggers keep
    Placement.profession; a bulk load with them off, or a check, calls this). Returns
    the number of placements corrected."""
    profession = Subquery(
        Student.objects.filter(pk=OuterRef("student_id"))
        .order_by()
        .values("program__profession_id")
    )
    return Placement.objects.exclude(profession_id=profession).update(profession_id=profession)


def _check_places_cover_holders(capacity: Capacity) -> None:
    held = placements_holding(capacity).count()
    if held > capacity.places:
        raise ValidationError(
            {
                "places": f"{held} placements already hold a place in this period; offer at least {held}."
            }
        )


@transaction.atomic
def capacity_create(
    *,
    site: Site,
    profession,
    period_start: datetime.date,
    period_end: datetime.date,
    places: int,
    unit: Unit | None = None,
) -> Capacity:
    """Offer `places` places to one profession at a site (or one of its units) over a
    period. Fewer places than placements already holding one are refused."""
    capacity = Capacity(
        site=site,
        unit=unit,
        profession=profession,
        period_start=period_start,
        period_end=period_end,
        places=places,
    )
    capacity.full_clean()
    if unit is not None and unit.site_id != site.pk:
        raise ValidationError({"unit": f"{unit.name} is not a unit of {site}."})
    _check_places_cover_holders(capacity)
    capacity.save()
    return capacity


@transaction.atomic
def capacity_update(
    *,
    capacity: Capacity,
    site: Site,
    profession,
    period_start: datetime.date,
    period_end: datetime.date,
    places: int,
    unit: Unit | None = None,
) -> Capacity:
    """Change a capacity; its row is locked so no confirmation counts against a stale one."""
    Capacity.objects.select_for_update().filter(pk=capacity.pk).first()
    capacity.site, capacity.unit, capacity.profession = site, unit, profession
    capacity.period_start, capacity.period_end, capacity.places = period_start, period_end, places
    capacity.full_clean()
    if unit is not None and unit.site_id != site.pk:
        raise ValidationError({"unit": f"{unit.name} is not a unit of {site}."})
    _check_places_cover_holders(capacity)
    capacity.save()
    return capacity
