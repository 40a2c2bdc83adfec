"""The writes of the placements app: enrolling students, creating and editing placements,
and moving them along their lifecycle within the sites' capacity.

Views, the CSV import and the admin call these, so each rule lives here once.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import math
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.audit import audit_by
from accounts.identifiers import normalise_email
from accounts.models import AuditAction
from ipcop.lib.formats import human_date
from placements.cache import placements_changed
from placements.models import (
    HOLDING_STATUSES,
    PLACEMENT_TRANSITIONS,
    REQUEST_TRANSITIONS,
    AffiliationAgreement,
    AgreementStatus,
    Capacity,
    Placement,
    PlacementModel,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestChange,
    PlacementRequestStatus,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
    agreements_cover,
)
from placements.selectors import capacities_for, placements_holding
from placements.signals import (
    placement_activated,
    placement_cancelled,
    placement_confirmed,
    placement_dates_changed,
    placement_requests_changed,
    placements_activated,
)

if TYPE_CHECKING:
    from accounts.models import User
    from sites.models import Site, Unit


# Rows per statement of a batch's writes.
BATCH_SIZE = 1000


def _clean_in_batch(instance: models.Model, relations: tuple[str, ...]) -> None:
    """`full_clean()` without its queries, for rows judged by the thousand: the
    `relations` are rows the batch read or made itself, uniqueness is judged by the
    batch's own index (`_Enrolments`), and the caller checks what the check constraints
    say; the constraints in the database back all of it up."""
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


# --- Students ---------------------------------------------------------------------------


class _Enrolments:
    """Which people each program has enrolled and which student numbers it has given:
    what the enrolment rules judge against. Read for one enrolment by the services
    below, or for a whole file by `StudentBatch`, which adds its own enrolments as it
    makes them so that each sees those before it."""

    def __init__(self, students: Iterable[Student]):
        self.people: dict[tuple[int, object], object] = {}
        self.numbers: dict[tuple[int, object], object] = {}
        for student in students:
            self.add(student)

    @classmethod
    def around(cls, student: Student) -> _Enrolments:
        """The stored enrolments that one enrolment could clash with."""
        clash = Q(user_id=student.user_id) if student.user_id else Q(pk__in=[])
        if student.student_number:
            clash |= Q(student_number=student.student_number)
        return cls(
            Student.objects.filter(clash, program_id=student.program_id)
            .exclude(pk=student.pk)
            .only("pk", "program_id", "user_id", "student_number")
        )

    @staticmethod
    def _key(student: Student) -> object:
        # A stored enrolment is known by its id; one made in this batch by itself.
        return student.pk or id(student)

    @staticmethod
    def person(student: Student) -> object:
        # An account made in this batch has no id yet: its address stands for it.
        return student.user_id or student.user.email

    def add(self, student: Student) -> None:
        self.people[(student.program_id, self.person(student))] = self._key(student)
        if student.student_number:
            self.numbers[(student.program_id, student.student_number)] = self._key(student)

    def remove(self, student: Student) -> None:
        for index, key in (
            (self.people, (student.program_id, self.person(student))),
            (self.numbers, (student.program_id, student.student_number)),
        ):
            if index.get(key) == self._key(student):
                del index[key]


def _check_enrolment_unique(student: Student, enrolments: _Enrolments | None = None) -> None:
    """Say in words which rule a duplicate enrolment breaks (the constraints back it up)."""
    enrolments = enrolments if enrolments is not None else _Enrolments.around(student)
    mine = _Enrolments._key(student)
    holder = enrolments.people.get((student.program_id, _Enrolments.person(student)))
    if holder is not None and holder != mine:
        raise ValidationError(f"{student.user} is already enrolled in {student.program.name}.")
    holder = enrolments.numbers.get((student.program_id, student.student_number))
    if student.student_number and holder is not None and holder != mine:
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


class StudentBatch:
    """Many enrolments made and changed at once (the import): the rules of
    `student_enrol` and `student_update`, judged against what a few queries read up
    front (the accounts of `emails`, the enrolments in `programs` of those people or with
    those `student_numbers`) and kept up to date as the batch goes, so that each
    enrolment sees those before it as one call after another would. Nothing is written
    before `save()`, which writes them all in a few statements. With `lock`, the
    enrolments read stay locked until the transaction ends."""

    def __init__(
        self,
        *,
        emails: Collection[str],
        programs: Collection[Program],
        student_numbers: Collection[str] = (),
        lock: bool = False,
    ):
        emails = {normalise_email(email) for email in emails}
        numbers = {number.strip() for number in student_numbers if number.strip()}
        self.accounts: dict[str, User] = {
            user.email: user for user in get_user_model().objects.filter(email__in=emails)
        }
        stored = (
            Student.objects.filter(program__in=programs)
            .filter(Q(user__email__in=emails) | Q(student_number__in=numbers))
            .select_related("user")
        )
        if lock:
            stored = stored.select_for_update(of=("self",)).order_by("pk")
        students = list(stored)
        self.enrolments = {(s.program_id, s.user.email): s for s in students}
        self.taken = _Enrolments(students)
        self.new_accounts: list[User] = []
        self.changed_accounts: dict[str, User] = {}
        self.new_students: list[Student] = []
        self.changed_students: dict[int, Student] = {}

    def account(self, email: str) -> User | None:
        """The account of `email`: stored, or made earlier in this batch."""
        return self.accounts.get(normalise_email(email))

    def enrolment(self, email: str, program: Program) -> Student | None:
        return self.enrolments.get((program.pk, normalise_email(email)))

    def enrol(
        self,
        *,
        email: str,
        full_name: str,
        program: Program,
        student_number: str = "",
        cohort_year: int | None = None,
    ) -> Student:
        """`student_enrol`, within the batch."""
        email = normalise_email(email)
        user = self.accounts.get(email)
        new_account = user is None
        if user is None:
            user = get_user_model()(
                email=email,
                full_name=full_name.strip(),
                profession=program.profession,
                is_student=True,
            )
            user.set_unusable_password()
            # Not unique-checked by query: the address is neither stored (read above)
            # nor made earlier in the batch (the accounts it made are in self.accounts).
            user.full_clean(exclude=["profession"], validate_unique=False)
        student = Student(
            user=user,
            program=program,
            student_number=student_number.strip(),
            cohort_year=cohort_year,
        )
        _check_enrolment_unique(student, self.taken)
        _clean_in_batch(student, ("user", "program"))
        if new_account:
            self.accounts[email] = user
            self.new_accounts.append(user)
        elif not user.is_student or user.profession_id is None:
            user.is_student = True
            if user.profession_id is None:
                user.profession = program.profession
            if user.pk:
                self.changed_accounts[email] = user
        self.taken.add(student)
        self.enrolments[(program.pk, email)] = student
        self.new_students.append(student)
        return student

    def update(self, *, student: Student, student_number: str, cohort_year: int | None) -> Student:
        """`student_update`, within the batch."""
        before = (student.student_number, student.cohort_year)
        self.taken.remove(student)
        student.student_number = student_number.strip()
        student.cohort_year = cohort_year
        try:
            _check_enrolment_unique(student, self.taken)
            _clean_in_batch(student, ("user", "program"))
        except ValidationError:
            student.student_number, student.cohort_year = before
            raise
        finally:
            self.taken.add(student)
        if student.pk:
            self.changed_students[student.pk] = student
        return student

    @property
    def new_people(self) -> list[User]:
        return self.new_accounts

    def save(self) -> None:
        """Write what the batch made and changed. Changed student numbers go first, so
        that a number one enrolment gave up is free for a new one."""
        UserModel = get_user_model()
        UserModel.objects.bulk_create(self.new_accounts, batch_size=BATCH_SIZE)
        UserModel.objects.bulk_update(
            self.changed_accounts.values(), ["is_student", "profession"], batch_size=BATCH_SIZE
        )
        Student.objects.bulk_update(
            self.changed_students.values(),
            ["student_number", "cohort_year"],
            batch_size=BATCH_SIZE,
        )
        Student.objects.bulk_create(self.new_students, batch_size=BATCH_SIZE)


# --- Placements -------------------------------------------------------------------------


def _lock_student(student: Student) -> None:
    # Serialises writes for one student so two requests cannot both pass the overlap check.
    Student.objects.select_for_update().filter(pk=student.pk).first()


def _check_unit_at_site(placement: Placement) -> None:
    if placement.unit is not None and placement.unit.site_id != placement.site_id:
        raise ValidationError({"unit": f"{placement.unit.name} is not a unit of {placement.site}."})


def _overlap_error(clash: Placement) -> ValidationError:
    status = clash.get_status_display().lower()
    article = "an" if status[:1] in "aeiou" else "a"  # "an active placement"
    return ValidationError(
        f"The student already has {article} {status} placement at "
        f"{clash.site} from {human_date(clash.start_date)} to {human_date(clash.end_date)}; "
        "the dates overlap."
    )


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
        raise _overlap_error(clash)


def _no_place_left(capacity: Capacity, holders: list[Placement]) -> ValidationError:
    where = f"{capacity.site}" + (f", {capacity.unit.name}" if capacity.unit is not None else "")
    held_by = "; ".join(
        f"{h.student.user} ({human_date(h.start_date)} to {human_date(h.end_date)}, "
        f"{h.get_status_display().lower()})"
        for h in holders
    )
    return ValidationError(
        f"No place left: {where} offers {capacity.places} "
        f"place{'s' if capacity.places != 1 else ''} for {capacity.profession} students "
        f"from {human_date(capacity.period_start)} to {human_date(capacity.period_end)}, "
        f"held by {held_by or 'nobody'}."
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
            raise _no_place_left(capacity, holders)


def _no_agreement(
    placement: Placement, institution, agreements, *, moving: bool = False
) -> ValidationError:
    site = placement.site
    known = sorted(agreements, key=lambda a: a.starts_on)
    hint = ""
    if known:
        spans = "; ".join(
            f"{human_date(a.starts_on)} to {human_date(a.ends_on) if a.ends_on else 'open-ended'}"
            f" ({a.party_label})"
            for a in known
        )
        hint = f" The agreements in force cover {spans}."
    return ValidationError(
        f"No affiliation agreement between {institution} and {site} (or the "
        f"{site.get_zone_display()} zone) is in force for the whole placement, from "
        f"{human_date(placement.start_date)} to {human_date(placement.end_date)}.{hint} "
        + (
            "Keep it where and when an agreement covers it."
            if moving
            else "An admin may confirm it by overriding the agreement check, with a reason."
        ),
        code="no_agreement",
    )


def agreements_for_placement(placement: Placement) -> list[AffiliationAgreement]:
    """The agreements in force between the placement's student's institution and its site
    (or the site's zone) that overlap its period."""
    return list(
        AffiliationAgreement.objects.in_force()
        .filter(institution_id=placement.student.program.institution_id)
        .with_party_at(placement.site)
        .overlapping(placement.start_date, placement.end_date)
        .select_related("site")
    )


def placement_has_agreement(placement: Placement) -> bool:
    """Whether agreements in force cover the placement's site and whole period."""
    return agreements_cover(
        agreements_for_placement(placement), placement.start_date, placement.end_date
    )


def _check_agreement(placement: Placement, *, changed_by: User | None, override_reason: str) -> str:
    """Refuse to confirm a placement that no agreement in force covers, unless an admin
    overrides the check with a reason: then the override is audited and the note for the
    placement's history is returned ("" when the agreements cover it)."""
    agreements = agreements_for_placement(placement)
    if agreements_cover(agreements, placement.start_date, placement.end_date):
        return ""
    if not override_reason:
        raise _no_agreement(placement, placement.student.program.institution, agreements)
    if changed_by is None or not changed_by.is_admin:
        raise ValidationError(
            {"override_reason": "Only an admin may override the agreement check."}
        )
    audit_by(changed_by, AuditAction.OVERRIDE, placement)
    return f"Agreement check overridden: {override_reason}"


def _check_agreement_when_moving(placement: Placement) -> None:
    """A confirmed or active placement moved to another site or other dates must stay
    covered by agreements in force, as confirming it needed (no override here)."""
    agreements = agreements_for_placement(placement)
    if not agreements_cover(agreements, placement.start_date, placement.end_date):
        raise _no_agreement(
            placement, placement.student.program.institution, agreements, moving=True
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
        # Moved to another site or other dates, it must be covered again, as when confirmed.
        if (placement.site_id, placement.start_date, placement.end_date) != (
            before["site_id"],
            before["start_date"],
            before["end_date"],
        ):
            _check_agreement_when_moving(placement)
        _check_capacity(placement)
    placement.save()
    dates = (before["start_date"], before["end_date"]) != (start_date, end_date)
    if dates and placement.status in (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE):
        placement_dates_changed.send(sender=Placement, placement=placement)
    placements_changed()
    return placement


def _check_transition(from_status: str, to_status: str) -> None:
    if to_status not in PLACEMENT_TRANSITIONS.get(from_status, set()):
        allowed = ", ".join(
            sorted(PlacementStatus(s).label.lower() for s in PLACEMENT_TRANSITIONS[from_status])
        )
        raise ValidationError(
            f"A {PlacementStatus(from_status).label.lower()} placement cannot become "
            f"{PlacementStatus(to_status).label.lower() if to_status in PlacementStatus.values else to_status}"
            + (f"; it can become {allowed}." if allowed else "; its lifecycle is over.")
        )


@transaction.atomic
def placement_transition(
    *,
    placement: Placement,
    to_status: str,
    changed_by: User | None,
    note: str = "",
    override_reason: str = "",
) -> Placement:
    """Move a placement one step along its lifecycle (PLACEMENT_TRANSITIONS) and record
    who did it and when. Confirming needs an affiliation agreement in force for the
    student's institution at the site over the whole period (an admin may override that
    with `override_reason`, which is audited and kept in the history) and takes a place
    within the site's capacity; becoming active creates the student's follow-up interview
    in the same transaction. Confirming and cancelling (with `note` as the reason) are
    announced in the transaction too, so the emails they cause are queued with the change
    or not at all."""
    # Lock the row: two people pressing "confirm" and "cancel" at once apply one after the
    # other, and the second sees the status the first left.
    current = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("student__program__institution", "site")
        .get(pk=placement.pk)
    )
    from_status = current.status
    _check_transition(from_status, to_status)
    override_reason = override_reason.strip()
    if to_status == PlacementStatus.CONFIRMED:
        overridden = _check_agreement(
            current, changed_by=changed_by, override_reason=override_reason
        )
        _check_capacity(current)
        if overridden:
            note = f"{note} — {overridden}" if note else overridden
    current.status = to_status
    current.save(update_fields=["status", "updated_at"])
    _record_change(
        current, from_status=from_status, to_status=to_status, changed_by=changed_by, note=note
    )
    if to_status == PlacementStatus.ACTIVE:
        placement_activated.send(sender=Placement, placement=current)
    elif to_status == PlacementStatus.CONFIRMED:
        placement_confirmed.send(sender=Placement, placement=current)
    elif to_status == PlacementStatus.CANCELLED:
        placement_cancelled.send(sender=Placement, placement=current, reason=note)
    placement.status = current.status
    placement.updated_at = current.updated_at
    placements_changed()
    return current


def placement_confirm(
    *, placement: Placement, changed_by: User | None, note: str = "", override_reason: str = ""
) -> Placement:
    """Requested → confirmed, under an affiliation agreement in force (or an admin's
    override) and within the capacity of the site, period and profession."""
    return placement_transition(
        placement=placement,
        to_status=PlacementStatus.CONFIRMED,
        changed_by=changed_by,
        note=note,
        override_reason=override_reason,
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


class PlacementBatch:
    """Many placements requested, changed and moved along their lifecycle at once (the
    import): the rules of `placement_create`, `placement_update` and
    `placement_advance_to`, judged against what a few queries read up front (the
    students' placements, the capacity of `sites` for the students' professions and the
    places held there) and kept up to date as the batch goes, so that each placement
    sees those before it (two rows of a file competing for a site's last place) as one
    call after another would. Nothing is written before `save()`, which writes them in
    a few statements and announces the placements that became active
    (`placements_activated`). With `lock`, the rows read are locked in the services'
    order: the students, their placements, then the capacity rows."""

    def __init__(
        self,
        *,
        students: Collection[Student],
        sites: Collection[Site],
        changed_by: User | None,
        note: str = "",
        lock: bool = False,
        period: tuple[datetime.date, datetime.date] | None = None,
    ):
        """`period`, when given, holds the days of every placement the batch will judge:
        placements and capacity outside it can neither clash with them nor limit them,
        and are not read."""
        self.changed_by = changed_by
        within = Q()
        if period is not None:
            within = Q(start_date__lte=period[1], end_date__gte=period[0])
        self.note = note[:255]
        by_id = {student.pk: student for student in students}
        if lock:
            list(
                Student.objects.select_for_update()
                .filter(pk__in=by_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        stored = (
            Placement.objects.filter(within, student__in=by_id)
            .exclude(status=PlacementStatus.CANCELLED)
            .select_related("site")
        )
        if lock:
            stored = stored.select_for_update(of=("self",)).order_by("pk")
        self.placements_of: dict[int, list[Placement]] = collections.defaultdict(list)
        known: dict[int, Placement] = {}
        for placement in stored:
            placement.student = by_id[placement.student_id]
            self.placements_of[placement.student_id].append(placement)
            known[placement.pk] = placement
        professions = {student.program.profession_id for student in students}
        capacities = Capacity.objects.filter(
            site__in=[site.pk for site in sites], profession_id__in=professions
        ).select_related("site", "unit", "profession")
        if period is not None:
            capacities = capacities.filter(period_start__lte=period[1], period_end__gte=period[0])
        if lock:
            capacities = capacities.select_for_update(of=("self",))
        self.capacities: dict[tuple[int, int | None], list[Capacity]] = collections.defaultdict(
            list
        )
        for capacity in capacities.order_by("pk"):
            self.capacities[(capacity.site_id, capacity.profession_id)].append(capacity)
        # Every placement that may hold a place of those capacities, by site and
        # profession: the stored ones, then this batch's.
        self.at_site: dict[tuple[int | None, int | None], list[Placement]] = (
            collections.defaultdict(list)
        )
        limits = [capacity for rows in self.capacities.values() for capacity in rows]
        if limits:
            holders = Placement.objects.filter(
                site__in={capacity.site_id for capacity in limits},
                profession__in=professions,
                status__in=HOLDING_STATUSES,
                start_date__lte=max(capacity.period_end for capacity in limits),
                end_date__gte=min(capacity.period_start for capacity in limits),
            ).select_related("student__user")
            for holder in holders:
                placement = known.setdefault(holder.pk, holder)
                self.at_site[(placement.site_id, placement.profession_id)].append(placement)
        seen = {id(p) for rows in self.at_site.values() for p in rows}
        for placement in known.values():
            if id(placement) not in seen:
                self.at_site[(placement.site_id, placement.profession_id)].append(placement)
        # The agreements in force of the students' institutions with these sites or their
        # zones, by institution: what confirming a placement of the batch needs.
        institutions = {student.program.institution_id for student in students}
        agreements = (
            AffiliationAgreement.objects.in_force()
            .filter(institution_id__in=institutions)
            .filter(
                Q(site__in=[site.pk for site in sites]) | Q(zone__in={site.zone for site in sites})
            )
            .select_related("site")
        )
        if period is not None:
            agreements = agreements.overlapping(*period)
        self.agreements: dict[int, list[AffiliationAgreement]] = collections.defaultdict(list)
        for agreement in agreements:
            self.agreements[agreement.institution_id].append(agreement)
        self.new: list[Placement] = []
        self.changed: dict[int, Placement] = {}
        self.changes: list[PlacementStatusChange] = []
        self.activated: list[Placement] = []

    def find(self, *, student: Student, site: Site, start_date: datetime.date) -> Placement | None:
        """The student's placement at `site` starting on `start_date`, not cancelled."""
        found = [
            placement
            for placement in self.placements_of[student.pk]
            if placement.site_id == site.pk
            and placement.start_date == start_date
            and placement.status != PlacementStatus.CANCELLED
        ]
        return max(found, key=lambda p: p.pk or 0, default=None)

    def _check_no_overlap(self, placement: Placement) -> None:
        """`_check_no_overlap`, within the batch."""
        if not placement.is_open:
            return
        clashes = [
            other
            for other in self.placements_of[placement.student_id]
            if other is not placement
            and other.is_open
            and other.start_date <= placement.end_date
            and other.end_date >= placement.start_date
        ]
        if clashes:
            raise _overlap_error(min(clashes, key=lambda p: p.start_date))

    def _check_capacity(self, placement: Placement) -> None:
        """`_check_capacity`, within the batch."""
        key = (placement.site_id, placement.profession_id)
        for capacity in self.capacities.get(key, []):
            if not capacity.limits(placement):
                continue
            holders = sorted(
                (p for p in self.at_site[key] if p is not placement and capacity.held_by(p)),
                key=lambda p: (p.start_date, p.pk or math.inf),
            )
            if len(holders) >= capacity.places:
                raise _no_place_left(capacity, holders)

    def _check_agreement(self, placement: Placement, *, moving: bool = False) -> None:
        """`_check_agreement` (or, `moving`, `_check_agreement_when_moving`) within the
        batch; no override: an admin overrides one placement at a time, on its page."""
        site = placement.site
        student = placement.student
        agreements = [
            agreement
            for agreement in self.agreements.get(student.program.institution_id, [])
            if (agreement.site_id == site.pk or agreement.zone == site.zone)
            and agreement.starts_on <= placement.end_date
            and (agreement.ends_on is None or agreement.ends_on >= placement.start_date)
        ]
        if not agreements_cover(agreements, placement.start_date, placement.end_date):
            raise _no_agreement(placement, student.program.institution, agreements, moving=moving)

    def _advance(self, placement: Placement, to_status: str) -> list[tuple[str, str]]:
        """The steps `placement_advance_to` would take, each checked as
        `placement_transition` checks it; the placement's status is left as it was."""
        if to_status not in LIFECYCLE_PATH:
            raise ValidationError(f"Unknown status {to_status!r}.")
        steps: list[tuple[str, str]] = []
        original, target = placement.status, LIFECYCLE_PATH.index(to_status)
        status = original
        try:
            while status in LIFECYCLE_PATH and LIFECYCLE_PATH.index(status) < target:
                next_status = LIFECYCLE_PATH[LIFECYCLE_PATH.index(status) + 1]
                _check_transition(status, next_status)
                # Counted as it would be once confirmed (it never counts against itself).
                placement.status = next_status
                if next_status == PlacementStatus.CONFIRMED:
                    self._check_agreement(placement)
                    self._check_capacity(placement)
                steps.append((status, next_status))
                status = next_status
        finally:
            placement.status = original
        return steps

    def _record(self, placement: Placement, steps: list[tuple[str, str]]) -> None:
        for from_status, to_status in steps:
            self.changes.append(
                PlacementStatusChange(
                    placement=placement,
                    from_status=from_status,
                    to_status=to_status,
                    changed_by=self.changed_by,
                    note=self.note,
                )
            )
            if to_status == PlacementStatus.ACTIVE:
                self.activated.append(placement)
        if steps:
            placement.status = steps[-1][1]

    def create(
        self,
        *,
        student: Student,
        site: Site,
        start_date: datetime.date,
        end_date: datetime.date,
        unit: Unit | None = None,
        model: str = PlacementModel.IP_MENTORING,
        contact: User | None = None,
        notes: str = "",
        to_status: str = PlacementStatus.REQUESTED,
    ) -> Placement:
        """`placement_create`, then `placement_advance_to` up to `to_status`."""
        placement = Placement(
            student=student,
            site=site,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            model=model,
            contact=contact,
            notes=notes,
            created_by=self.changed_by,
            status=PlacementStatus.REQUESTED,
        )
        # What the insert trigger will write; the capacity rules count by it.
        placement.profession_id = student.program.profession_id
        _clean_placement_in_batch(placement)
        _check_unit_at_site(placement)
        self._check_no_overlap(placement)
        steps = self._advance(placement, to_status)
        self.changes.append(
            PlacementStatusChange(
                placement=placement,
                from_status="",
                to_status=PlacementStatus.REQUESTED,
                changed_by=self.changed_by,
            )
        )
        self._record(placement, steps)
        self.new.append(placement)
        self.placements_of[student.pk].append(placement)
        self.at_site[(site.pk, placement.profession_id)].append(placement)
        return placement

    def update(
        self,
        *,
        placement: Placement,
        unit: Unit | None,
        end_date: datetime.date,
        model: str,
        contact: User | None,
        notes: str,
        to_status: str,
    ) -> Placement:
        """`placement_update` (when anything changes; the site and start, which identify
        the placement in a file, stay), then `placement_advance_to` up to `to_status`."""
        if not placement.is_open:
            raise ValidationError(
                f"A {placement.get_status_display().lower()} placement cannot be edited."
            )
        wanted = {
            "unit_id": unit.pk if unit else None,
            "end_date": end_date,
            "model": model,
            "contact_id": contact.pk if contact else None,
            "notes": notes,
        }
        before = {name: getattr(placement, name) for name in wanted}
        changed = wanted != before
        moved = (wanted["unit_id"], end_date) != (before["unit_id"], before["end_date"])
        try:
            if changed:
                placement.unit, placement.contact = unit, contact
                placement.end_date, placement.model, placement.notes = end_date, model, notes
                _clean_placement_in_batch(placement)
                _check_unit_at_site(placement)
                self._check_no_overlap(placement)
                if moved and placement.status in (
                    PlacementStatus.CONFIRMED,
                    PlacementStatus.ACTIVE,
                ):
                    if end_date != before["end_date"]:
                        self._check_agreement(placement, moving=True)
                    self._check_capacity(placement)
            steps = self._advance(placement, to_status)
        except ValidationError:
            for name, value in before.items():
                setattr(placement, name, value)
            raise
        self._record(placement, steps)
        if changed or steps:
            self.changed[placement.pk] = placement
        return placement

    def save(self) -> None:
        """Write the batch's placements and their lifecycle steps, then announce the
        placements that became active."""
        Placement.objects.bulk_create(self.new, batch_size=BATCH_SIZE)
        now = timezone.now()
        for placement in self.changed.values():
            placement.updated_at = now
        Placement.objects.bulk_update(
            self.changed.values(),
            ["unit", "end_date", "model", "contact", "notes", "status", "updated_at"],
            batch_size=BATCH_SIZE,
        )
        PlacementStatusChange.objects.bulk_create(self.changes, batch_size=BATCH_SIZE)
        if self.activated:
            placements_activated.send(sender=Placement, placements=self.activated)
        if self.new or self.changed:
            placements_changed()


def _clean_placement_in_batch(placement: Placement) -> None:
    _clean_in_batch(placement, ("student", "site", "unit", "contact", "created_by", "profession"))
    if placement.end_date < placement.start_date:
        raise ValidationError("A placement cannot end before it starts.")


# --- Capacity ---------------------------------------------------------------------------


def placement_professions_refill() -> int:
    """Copy each placement's student's profession onto it where it differs (triggers keep
    Placement.profession; a bulk load with them off, or a check, calls this). Returns
    the number of placements corrected."""
    profession = _student_profession()
    return Placement.objects.exclude(profession_id=profession).update(profession_id=profession)


def _student_profession() -> Subquery:
    return Subquery(
        Student.objects.filter(pk=OuterRef("student_id"))
        .order_by()
        .values("program__profession_id")
    )


def counters_recount() -> None:
    """Put right what the placements app keeps denormalised (each placement's profession),
    e.g. after a bulk load with the triggers off."""
    placement_professions_refill()
    placements_changed()


def counters_check() -> list[str]:
    """A line for each placement whose profession is not its student's (none when all
    agree)."""
    wrong = (
        Placement.objects.annotate(expected=_student_profession())
        .filter(~Q(profession_id=F("expected")) | Q(profession_id__isnull=True))
        .order_by("pk")
        .values_list("pk", "profession_id", "expected")
    )
    return [
        f"Placement {pk}: profession is {actual}, its student's program gives {expected}"
        for pk, actual, expected in wrong
    ]


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
    # The facilitator's to-do list counts over-held capacities under this version.
    placements_changed()
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
    # The facilitator's to-do list counts over-held capacities under this version.
    placements_changed()
    return capacity


# --- Many placements at once (the list's bulk actions) -------------------------------------

# The status a bulk action moves each placement to, by the action's name.
BULK_ACTIONS: dict[str, str] = {
    "confirm": PlacementStatus.CONFIRMED,
    "cancel": PlacementStatus.CANCELLED,
}
MAX_BULK = 100  # placements per bulk action: four pages of the list
NOT_YOURS = "No such placement among those you manage."


@dataclasses.dataclass
class BulkRow:
    """One selected placement in a bulk action's plan: the placement (None for an id
    outside the person's placements) and why it is refused ("" when it is accepted)."""

    pk: int
    placement: Placement | None
    refusal: str = ""

    @property
    def accepted(self) -> bool:
        return not self.refusal


def _bulk_order(placement: Placement) -> tuple[datetime.date, int]:
    # Earlier placements take places first, as a facilitator confirming them one by one
    # down the calendar would.
    return (placement.start_date, placement.pk)


def _bulk_confirm_refusals(selected: list[Placement], changed_by: User | None) -> dict[int, str]:
    """Why each of `selected` (requested placements, in the order they would be
    confirmed) could not be confirmed, judged by a PlacementBatch: each sees the places
    the ones before it take."""
    batch = PlacementBatch(
        students=[p.student for p in selected],
        sites=[p.site for p in selected],
        changed_by=changed_by,
        period=(min(p.start_date for p in selected), max(p.end_date for p in selected)),
    )
    in_batch = {p.pk: p for rows in batch.placements_of.values() for p in rows}
    refusals: dict[int, str] = {}
    for placement in selected:
        judged = in_batch[placement.pk]
        try:
            batch._check_no_overlap(judged)
            batch._record(judged, batch._advance(judged, PlacementStatus.CONFIRMED))
        except ValidationError as error:
            refusals[placement.pk] = " ".join(error.messages)
    return refusals


def placements_bulk_plan(
    *,
    placements: QuerySet[Placement],
    ids: Collection[int],
    action: str,
    changed_by: User | None = None,
) -> list[BulkRow]:
    """What `placements_bulk_apply` would do to each of `ids`, changing nothing: each
    row accepted, or refused with the reason (not found, wrong status, overlapping
    another placement of the student, no place left). `placements` are those the person
    may change: an id outside them is refused as not found, whether or not it exists.
    The rows come in the order they would be applied (by start date), then the ids not
    found; confirmations are judged in that order, each seeing the places the ones
    before it take, against state read in a few queries (`PlacementBatch`)."""
    to_status = BULK_ACTIONS[action]
    found = sorted(
        placements.filter(pk__in=list(ids)).select_related(
            "student__user", "student__program__institution", "site", "unit"
        ),
        key=_bulk_order,
    )
    rows, movable = [], []
    for placement in found:
        row = BulkRow(pk=placement.pk, placement=placement)
        try:
            _check_transition(placement.status, to_status)
        except ValidationError as error:
            row.refusal = " ".join(error.messages)
        else:
            movable.append(placement)
        rows.append(row)
    if to_status == PlacementStatus.CONFIRMED and movable:
        refusals = _bulk_confirm_refusals(movable, changed_by)
        for row in rows:
            row.refusal = row.refusal or refusals.get(row.pk, "")
    known = {row.pk for row in rows}
    rows += [BulkRow(pk=pk, placement=None, refusal=NOT_YOURS) for pk in ids if pk not in known]
    return rows


class BulkRefused(ValidationError):
    """A bulk action that cannot be applied as a whole: `pk` names the placement."""

    def __init__(self, message: str, *, pk: int):
        super().__init__(message)
        self.pk = pk


@transaction.atomic
def placements_bulk_apply(
    *,
    placements: QuerySet[Placement],
    ids: Collection[int],
    action: str,
    changed_by: User | None,
    note: str = "",
) -> list[Placement]:
    """Confirm or cancel each of `ids` (`BULK_ACTIONS`) through `placement_confirm` or
    `placement_cancel`, with `note` on each one's history, all or nothing. The order is
    the plan's (by start date). Any placement outside `placements` (those the person may
    change) or that its service refuses (it changed since the plan was shown) raises
    BulkRefused and nothing is changed. A cancellation needs its reason in `note`."""
    to_status = BULK_ACTIONS.get(action)
    if to_status is None:
        raise ValidationError(f"Unknown action {action!r}.")
    note = note.strip()
    if to_status == PlacementStatus.CANCELLED and not note:
        raise ValidationError({"note": "Give the reason for cancelling."})
    wanted = set(ids)
    # Locked in id order, so two bulk actions over the same rows queue rather than deadlock.
    selected = list(placements.filter(pk__in=wanted).select_for_update(of=("self",)).order_by("pk"))
    missing = wanted - {p.pk for p in selected}
    if missing:
        raise BulkRefused(NOT_YOURS, pk=min(missing))
    service = placement_confirm if to_status == PlacementStatus.CONFIRMED else placement_cancel
    done = []
    for placement in sorted(selected, key=_bulk_order):
        try:
            done.append(service(placement=placement, changed_by=changed_by, note=note))
        except ValidationError as error:
            raise BulkRefused(" ".join(error.messages), pk=placement.pk) from error
    return done


# --- Affiliation agreements -----------------------------------------------------------------

AGREEMENT_FIELDS = ("institution", "site", "zone", "starts_on", "ends_on", "status", "notes")


def _save_agreement(agreement: AffiliationAgreement, document, *, remove_document: bool) -> None:
    if document is not None:
        agreement.document = document
    elif remove_document:
        agreement.document = None
    # Checks the document's size and kind by its content (the field's validator), the one
    # party and the dates (the check constraints).
    agreement.full_clean()
    agreement.save()
    # The facilitator's to-do list counts agreements expiring soon under this version.
    placements_changed()


@transaction.atomic
def agreement_create(
    *,
    institution,
    starts_on: datetime.date,
    site: Site | None = None,
    zone: str = "",
    ends_on: datetime.date | None = None,
    status: str = AgreementStatus.DRAFT,
    document=None,
    notes: str = "",
    created_by: User | None = None,
) -> AffiliationAgreement:
    """Record an affiliation agreement between an institution and a site or a health zone.
    Its document (the signed text) is a PDF, PNG or JPEG, checked by its content; an
    open-ended agreement has no end date."""
    agreement = AffiliationAgreement(
        institution=institution,
        site=site,
        zone=zone or "",
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        notes=notes,
        created_by=created_by,
    )
    _save_agreement(agreement, document, remove_document=False)
    return agreement


@transaction.atomic
def agreement_update(
    *,
    agreement: AffiliationAgreement,
    institution,
    starts_on: datetime.date,
    site: Site | None = None,
    zone: str = "",
    ends_on: datetime.date | None = None,
    status: str,
    document=None,
    remove_document: bool = False,
    notes: str = "",
) -> AffiliationAgreement:
    """Change an agreement. Placements confirmed under it stay confirmed; what it covers
    from now on decides the placements confirmed next. A new `document` replaces the
    stored one (the old file is deleted once the change is committed)."""
    AffiliationAgreement.objects.select_for_update().filter(pk=agreement.pk).first()
    old_name = agreement.document.name if agreement.document else ""
    agreement.institution, agreement.site, agreement.zone = institution, site, zone or ""
    agreement.starts_on, agreement.ends_on = starts_on, ends_on
    agreement.status, agreement.notes = status, notes
    _save_agreement(agreement, document, remove_document=remove_document)
    new_name = agreement.document.name if agreement.document else ""
    if old_name and old_name != new_name:
        storage = agreement.document.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return agreement


def agreements_expire(*, today: datetime.date | None = None) -> int:
    """Mark the agreements in force whose end has passed as expired (the daily task).
    Returns how many."""
    today = today or timezone.localdate()
    expired = (
        AffiliationAgreement.objects.in_force()
        .filter(ends_on__lt=today)
        .update(status=AgreementStatus.EXPIRED, updated_at=timezone.now())
    )
    if expired:
        placements_changed()
    return expired


# --- Placement requests and offers ---------------------------------------------------------
#
# A program coordinator asks a site for a placement of a student; the site's facilitator
# answers. Each step is a PlacementRequestChange row, and is announced
# (`placement_requests_changed`, in the step's transaction) so that the interviews app
# queues the email to the other side. Who may take which step is decided by the views,
# through ipcop.permissions (requests_visible_to, requests_answerable_by, ...).


def _record_request_change(
    request: PlacementRequest, *, from_status: str, to_status: str, changed_by, note: str = ""
) -> PlacementRequestChange:
    return PlacementRequestChange.objects.create(
        request=request,
        from_status=from_status,
        to_status=to_status,
        changed_by=changed_by,
        note=note[:255],
    )


def _announce(changes: list[PlacementRequestChange]) -> None:
    # The facilitators' to-do counts the requests awaiting them (placements.panels).
    placements_changed()
    if changes:
        placement_requests_changed.send(sender=PlacementRequest, changes=changes)


def _lock_request(request: PlacementRequest, to_status: str) -> PlacementRequest:
    """The request's row, locked, once its status may move to `to_status`: two people
    answering at once apply one after the other, and the second is refused in words."""
    current = PlacementRequest.objects.select_for_update().get(pk=request.pk)
    if to_status not in REQUEST_TRANSITIONS[current.status]:
        raise ValidationError(
            f"This request is {current.get_status_display().lower()}: it cannot become "
            f"{PlacementRequestStatus(to_status).label.lower()}."
        )
    return current


def _check_period(start_date, end_date, field_prefix: str = "") -> None:
    if start_date and end_date and end_date < start_date:
        raise ValidationError(
            {f"{field_prefix}end_date": "The period cannot end before it starts."}
        )


def _check_request_unit(site: Site, unit: Unit | None, field: str = "unit") -> None:
    if unit is not None and unit.site_id != site.pk:
        raise ValidationError({field: f"{unit.name} is not a unit of {site.name}."})


def _check_student_free(
    student: Student, start_date, end_date, *, exclude_request: int | None = None
) -> None:
    """A student asked for twice over the same days, or already placed then, is refused:
    the site would accept a placement that cannot be."""
    probe = Placement(
        student=student, start_date=start_date, end_date=end_date, status=PlacementStatus.REQUESTED
    )
    try:
        _check_no_overlap(probe)
    except ValidationError as error:
        raise ValidationError(f"{student.user}: {' '.join(error.messages)}") from None
    clash = (
        PlacementRequest.objects.open()
        .filter(student=student, start_date__lte=end_date, end_date__gte=start_date)
        .exclude(pk=exclude_request)
        .select_related("site")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            f"{student.user} already has an open request at {clash.site.name} from "
            f"{human_date(clash.start_date)} to {human_date(clash.end_date)}; the dates overlap."
        )


def _request_new(
    *,
    student: Student,
    site: Site,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
    model: str,
    notes: str,
    requested_by: User | None,
    batch: uuid.UUID | None,
    offer: PlacementOffer | None = None,
) -> tuple[PlacementRequest, PlacementRequestChange]:
    _lock_student(student)
    request = PlacementRequest(
        student=student,
        site=site,
        unit=unit,
        start_date=start_date,
        end_date=end_date,
        profession_id=student.program.profession_id,
        model=model,
        notes=notes,
        batch=batch,
        offer=offer,
        requested_by=requested_by,
        status=PlacementRequestStatus.REQUESTED,
    )
    request.full_clean(exclude=["student", "site", "unit", "profession", "offer", "requested_by"])
    _check_student_free(student, start_date, end_date)
    request.save()
    change = _record_request_change(
        request, from_status="", to_status=PlacementRequestStatus.REQUESTED, changed_by=requested_by
    )
    return request, change


@transaction.atomic
def request_create(
    *,
    students: Sequence[Student],
    site: Site,
    start_date: datetime.date,
    end_date: datetime.date,
    unit: Unit | None = None,
    model: str = PlacementModel.IP_MENTORING,
    notes: str = "",
    requested_by: User | None = None,
) -> list[PlacementRequest]:
    """Ask `site` for a placement of each of `students` over one period: one request
    each; several (a cohort) share a batch id and are announced as one step. All or
    none: a student already placed or asked for on those days refuses the whole cohort,
    naming them."""
    if not students:
        raise ValidationError({"students": "Choose at least one student."})
    _check_period(start_date, end_date)
    _check_request_unit(site, unit)
    batch = uuid.uuid4() if len(students) > 1 else None
    requests, changes = [], []
    # A fixed lock order: two cohorts sharing students cannot deadlock.
    for student in sorted(students, key=lambda s: s.pk):
        request, change = _request_new(
            student=student,
            site=site,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            model=model,
            notes=notes,
            requested_by=requested_by,
            batch=batch,
        )
        requests.append(request)
        changes.append(change)
    _announce(changes)
    return requests


def _request_accept(
    current: PlacementRequest, *, by: User | None, note: str
) -> PlacementRequestChange:
    """Create the request's placement and confirm it through the placements' lifecycle
    (overlap and capacity checked, the confirmation's emails and signals as for any)."""
    placement = placement_create(
        student=current.student,
        site=current.site,
        unit=current.unit,
        start_date=current.start_date,
        end_date=current.end_date,
        model=current.model,
        notes=current.notes,
        created_by=by,
    )
    placement_transition(
        placement=placement,
        to_status=PlacementStatus.CONFIRMED,
        changed_by=by,
        note=note or "Placement request accepted.",
    )
    current.placement = placement
    current.status = PlacementRequestStatus.ACCEPTED
    current.save(update_fields=["placement", "status", "updated_at"])
    return _record_request_change(
        current,
        from_status=PlacementRequestStatus.REQUESTED,
        to_status=PlacementRequestStatus.ACCEPTED,
        changed_by=by,
        note=note,
    )


@transaction.atomic
def request_accept(
    *, request: PlacementRequest, by: User | None, note: str = ""
) -> PlacementRequest:
    """The site accepts: the placement is created and confirmed (within the site's
    capacity), and the request points at it. A full site refuses, saying who holds the
    places; nothing changes then."""
    current = _lock_request(request, PlacementRequestStatus.ACCEPTED)
    change = _request_accept(current, by=by, note=note)
    _announce([change])
    return current


@transaction.atomic
def request_decline(*, request: PlacementRequest, by: User | None, reason: str) -> PlacementRequest:
    """The site declines, saying why (required: the program plans around it)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for declining."})
    current = _lock_request(request, PlacementRequestStatus.DECLINED)
    current.status = PlacementRequestStatus.DECLINED
    current.decline_reason = reason[:255]
    current.save(update_fields=["status", "decline_reason", "updated_at"])
    change = _record_request_change(
        current,
        from_status=PlacementRequestStatus.REQUESTED,
        to_status=PlacementRequestStatus.DECLINED,
        changed_by=by,
        note=reason,
    )
    _announce([change])
    return current


@transaction.atomic
def request_propose(
    *,
    request: PlacementRequest,
    by: User | None,
    start_date: datetime.date,
    end_date: datetime.date,
    unit: Unit | None,
    note: str = "",
) -> PlacementRequest:
    """The site proposes another period or unit; the request waits on the program."""
    current = _lock_request(request, PlacementRequestStatus.PROPOSED)
    _check_period(start_date, end_date)
    _check_request_unit(current.site, unit)
    if (start_date, end_date, unit and unit.pk) == (
        current.start_date,
        current.end_date,
        current.unit_id,
    ):
        raise ValidationError("Propose other dates or another unit than those requested.")
    current.proposed_start, current.proposed_end, current.proposed_unit = start_date, end_date, unit
    current.status = PlacementRequestStatus.PROPOSED
    current.full_clean(exclude=["student", "site", "unit", "profession", "offer", "requested_by"])
    current.save(
        update_fields=["proposed_start", "proposed_end", "proposed_unit", "status", "updated_at"]
    )
    where = f", {unit.name}" if unit is not None else ""
    summary = f"Proposed {human_date(start_date)} to {human_date(end_date)}{where}."
    change = _record_request_change(
        current,
        from_status=PlacementRequestStatus.REQUESTED,
        to_status=PlacementRequestStatus.PROPOSED,
        changed_by=by,
        note=f"{summary} {note.strip()}".strip(),
    )
    _announce([change])
    return current


@transaction.atomic
def request_accept_proposal(
    *, request: PlacementRequest, by: User | None, note: str = ""
) -> PlacementRequest:
    """The program takes the site's proposal: the request now asks for the proposed
    period and unit, and waits on the site again."""
    current = _lock_request(request, PlacementRequestStatus.REQUESTED)
    assert current.proposed_start is not None and current.proposed_end is not None
    _lock_student(current.student)
    _check_student_free(
        current.student, current.proposed_start, current.proposed_end, exclude_request=current.pk
    )
    current.start_date, current.end_date = current.proposed_start, current.proposed_end
    current.unit = current.proposed_unit
    current.status = PlacementRequestStatus.REQUESTED
    current.save(update_fields=["start_date", "end_date", "unit", "status", "updated_at"])
    change = _record_request_change(
        current,
        from_status=PlacementRequestStatus.PROPOSED,
        to_status=PlacementRequestStatus.REQUESTED,
        changed_by=by,
        note=note or "The proposal was taken.",
    )
    _announce([change])
    return current


@transaction.atomic
def request_withdraw(
    *, request: PlacementRequest, by: User | None, note: str = ""
) -> PlacementRequest:
    """The program withdraws an open request (waiting on the site, or a proposal it
    does not take)."""
    current = _lock_request(request, PlacementRequestStatus.WITHDRAWN)
    from_status = current.status
    current.status = PlacementRequestStatus.WITHDRAWN
    current.save(update_fields=["status", "updated_at"])
    change = _record_request_change(
        current,
        from_status=from_status,
        to_status=PlacementRequestStatus.WITHDRAWN,
        changed_by=by,
        note=note,
    )
    _announce([change])
    return current


@transaction.atomic
def offer_create(
    *,
    site: Site,
    profession,
    start_date: datetime.date,
    end_date: datetime.date,
    places: int,
    unit: Unit | None = None,
    model: str = PlacementModel.IP_MENTORING,
    notes: str = "",
    created_by: User | None = None,
) -> PlacementOffer:
    """Publish places for students of `profession` over a period, for coordinators to
    claim."""
    _check_period(start_date, end_date)
    _check_request_unit(site, unit)
    offer = PlacementOffer(
        site=site,
        unit=unit,
        profession=profession,
        start_date=start_date,
        end_date=end_date,
        places=places,
        model=model,
        notes=notes,
        created_by=created_by,
    )
    offer.full_clean()
    offer.save()
    return offer


@transaction.atomic
def offer_close(*, offer: PlacementOffer) -> PlacementOffer:
    """No more claims; the places claimed stay."""
    current = PlacementOffer.objects.select_for_update().get(pk=offer.pk)
    if current.closed_at is None:
        current.closed_at = timezone.now()
        current.save(update_fields=["closed_at"])
    return current


@transaction.atomic
def offer_claim(
    *, offer: PlacementOffer, students: Sequence[Student], claimed_by: User | None
) -> list[PlacementRequest]:
    """Claim places of an open offer for `students`: each gets a request accepted at
    once and its placement, confirmed. All or none, within the offer's free places: the
    offer's row is locked, so two coordinators claiming its last place apply one after
    the other and the second is told it is full."""
    if not students:
        raise ValidationError({"students": "Choose at least one student."})
    current = (
        PlacementOffer.objects.select_for_update(of=("self",))
        .select_related("site", "unit", "profession")
        .get(pk=offer.pk)
    )
    if current.closed_at is not None:
        raise ValidationError("This offer is closed: its places can no longer be claimed.")
    others = [s for s in students if s.program.profession_id != current.profession_id]
    if others:
        names = ", ".join(str(s.user) for s in others)
        raise ValidationError(
            {"students": f"This offer is for {current.profession} students; {names} are not."}
        )
    taken = PlacementOffer.objects.with_taken().get(pk=current.pk).taken
    free = max(current.places - taken, 0)
    if len(students) > free:
        chose = f"you chose {len(students)} student{'s' * (len(students) != 1)}"
        if free == 0:
            plural = "s" * (current.places != 1)
            message = (
                f"This offer is full: {current.places} place{plural}, {taken} taken, 0 left; "
                f"{chose}."
            )
        else:
            message = (
                f"Not enough places: {current.places} offered, {taken} taken, {free} left; {chose}."
            )
        raise ValidationError({"students": message})
    batch = uuid.uuid4()
    requests, changes = [], []
    for student in sorted(students, key=lambda s: s.pk):
        request, _ = _request_new(
            student=student,
            site=current.site,
            unit=current.unit,
            start_date=current.start_date,
            end_date=current.end_date,
            model=current.model,
            notes=current.notes,
            requested_by=claimed_by,
            batch=batch,
            offer=current,
        )
        changes.append(
            _request_accept(request, by=claimed_by, note="Claimed from the site's offer.")
        )
        requests.append(request)
    _announce(changes)
    return requests
