"""Education programs, students, their placements at sites, and sites' capacity."""

import datetime
from collections.abc import Iterable

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull

from ipcop.lib.dates import validate_plausible_date
from ipcop.lib.uploads import PrivateUploadTo, get_private_storage, validate_private_upload
from sites.models import HealthZone


class Institution(models.Model):
    """A school (a university or college) whose programs send students to placements.
    Its program coordinators ask sites for places; its affiliation agreements with sites
    let those places be confirmed."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """An education program of one profession at an institution."""

    name = models.CharField(max_length=200)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="programs")
    profession = models.ForeignKey(
        "accounts.Profession", on_delete=models.PROTECT, related_name="programs"
    )
    # The competency framework that sessions and reports use for this program's students.
    framework = models.ForeignKey(
        "mentoring.CompetencyFramework",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programs",
        help_text="Leave empty to use the default framework (CIHC 2010).",
    )
    # Each placement ends with a final evaluation; a program may want one at midterm too
    # (mentoring.services.evaluations_for_placements).
    midterm_evaluation = models.BooleanField(
        "midterm evaluation wanted",
        default=False,
        help_text="Its students' preceptors evaluate them at the placement's midpoint too.",
    )
    # The program coordinators who look after this program: they see its students and
    # their placements anywhere, import its students and ask sites for places.
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coordinated_programs",
        limit_choices_to={"is_coordinator": True},
    )

    class Meta:
        ordering = ["institution__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="program_unique")
        ]
        triggers = [
            # Keeps Placement.profession: a program moved to another profession moves its
            # students' placements.
            pgtrigger.Trigger(
                name="program_profession_to_placements",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("profession"),
                func=pgtrigger.Func(
                    "UPDATE placements_placement SET profession_id = NEW.profession_id"
                    " WHERE student_id IN"
                    " (SELECT id FROM placements_student WHERE program_id = NEW.id);"
                    " RETURN NULL;"
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.institution}"


class StudentQuerySet(models.QuerySet):
    def of_profession(self, profession):
        return self.filter(program__profession=profession)

    def matching(self, text: str):
        """Students whose name or email contains `text` (any case), or whose student
        number is `text`: the placements list's student search."""
        return self.filter(
            Q(user__full_name__icontains=text)
            | Q(user__email__icontains=text)
            | Q(student_number=text)
        )


class Student(models.Model):
    """A person enrolled in a program."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="students")
    student_number = models.CharField(max_length=40, blank=True)
    cohort_year = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"], name="student_one_enrolment_per_program"
            ),
            models.UniqueConstraint(
                fields=["program", "student_number"],
                condition=~Q(student_number=""),
                name="student_number_unique_per_program",
            ),
        ]
        triggers = [
            # Keeps Placement.profession: an enrolment moved to another program moves its
            # placements to that program's profession.
            pgtrigger.Trigger(
                name="student_program_to_placements",
                when=pgtrigger.After,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("program"),
                func=pgtrigger.Func(
                    "UPDATE placements_placement SET profession_id = program.profession_id"
                    " FROM placements_program program"
                    " WHERE program.id = NEW.program_id"
                    " AND placements_placement.student_id = NEW.id;"
                    " RETURN NULL;"
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.program.profession})"

    @property
    def profession(self):
        return self.program.profession


class PlacementModel(models.TextChoices):
    TRADITIONAL = "traditional", "Traditional preceptorship"
    IP_MENTORING = "ip_mentoring", "IP mentoring"


class PlacementStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PLACEMENT_STATUSES = (
    PlacementStatus.REQUESTED,
    PlacementStatus.CONFIRMED,
    PlacementStatus.ACTIVE,
)

# The statuses that hold one of a capacity's places: a requested placement holds nothing
# yet, a cancelled one gave its place back, a completed one used its place in that period.
HOLDING_STATUSES = (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE, PlacementStatus.COMPLETED)

# requested → confirmed → active → completed, or cancelled from any open state.
PLACEMENT_TRANSITIONS: dict[str, set[str]] = {
    PlacementStatus.REQUESTED: {PlacementStatus.CONFIRMED, PlacementStatus.CANCELLED},
    PlacementStatus.CONFIRMED: {PlacementStatus.ACTIVE, PlacementStatus.CANCELLED},
    PlacementStatus.ACTIVE: {PlacementStatus.COMPLETED, PlacementStatus.CANCELLED},
    PlacementStatus.COMPLETED: set(),
    PlacementStatus.CANCELLED: set(),
}


class PlacementQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_PLACEMENT_STATUSES)

    def active(self):
        return self.filter(status=PlacementStatus.ACTIVE)

    def at_sites(self, sites):
        return self.filter(site__in=sites)

    def covering(self, day):
        """Placements whose period includes `day`."""
        return self.filter(start_date__lte=day, end_date__gte=day)

    def overlapping(self, start, end):
        return self.filter(start_date__lte=end, end_date__gte=start)

    def matching(
        self,
        *,
        q: str | None = None,
        site: int | None = None,
        unit: int | None = None,
        program: int | None = None,
        profession: int | None = None,
        status: str | None = None,
        model: str | None = None,
        start_from=None,
        start_to=None,
    ):
        """The placements list's filters (placements.forms.PlacementFilterForm), by the
        form's field names; an empty value filters nothing."""
        lookups = {
            "site_id": site,
            "unit_id": unit,
            "student__program_id": program,
            "profession_id": profession,
            "status": status,
            "model": model,
            "start_date__gte": start_from,
            "start_date__lte": start_to,
        }
        placements = self.filter(**{k: v for k, v in lookups.items() if v not in (None, "")})
        if q:
            placements = placements.filter(student__in=Student.objects.matching(q))
        return placements

    def holding(self, *, site, unit, profession, start, end):
        """The placements that take one of the places a capacity offers `profession`
        students at `site` over `start`..`end`: in `unit`, or anywhere at the site when
        `unit` is None; overlapping the period; confirmed, active or completed. The
        arguments are values, or a capacity's columns (`OuterRef`) in a subquery."""
        placements = self.filter(
            site=site,
            profession=profession,
            status__in=HOLDING_STATUSES,
            start_date__lte=end,
            end_date__gte=start,
        )
        if hasattr(unit, "resolve_expression"):
            # A capacity row's unit: NULL is the whole site.
            return placements.filter(Q(IsNull(unit, True)) | Q(unit=unit))
        return placements if unit is None else placements.filter(unit=unit)


# The profession of a placement's student, set on the row being written. FOR SHARE waits
# for a concurrent change of the student's program to commit, and keeps the program from
# changing until this placement is committed, so neither trigger misses the other's row.
_PROFESSION_OF_STUDENT = """
    SELECT program.profession_id INTO NEW.profession_id
      FROM placements_student student
      JOIN placements_program program ON program.id = student.program_id
     WHERE student.id = NEW.student_id
       FOR SHARE OF student;
    RETURN NEW;
"""


class Placement(models.Model):
    """A student at a site for a period, under one placement model."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="placements")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="placements")
    unit = models.ForeignKey(
        "sites.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="placements"
    )
    # The student's profession (their program's), copied here by the triggers below so
    # that a capacity's places are counted from one index of the site's placements,
    # without reading each placement's student and program. db_default: Django leaves
    # the column to the database on insert and reads back what the trigger wrote. NULL
    # only after a bulk load with the triggers off, until placement_professions_refill.
    profession = models.ForeignKey(  # type: ignore[misc]  # django-stubs infers the type from db_default=None
        "accounts.Profession",
        null=True,
        blank=True,
        editable=False,
        db_default=None,
        on_delete=models.PROTECT,
        related_name="+",
    )
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(validators=[validate_plausible_date])
    model = models.CharField(
        max_length=20, choices=PlacementModel.choices, default=PlacementModel.IP_MENTORING
    )
    status = models.CharField(
        max_length=20, choices=PlacementStatus.choices, default=PlacementStatus.REQUESTED
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placement_contacts",
        help_text="Whom the student contacts at the site.",
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            # The placements list filtered by site and status, sorted by start date.
            models.Index(fields=["site", "status", "start_date"], name="placement_site_status_idx"),
            # A student's own placements (student home) and the overlap check.
            models.Index(fields=["student", "start_date"], name="placement_student_idx"),
            # The placements list in its keyset order, of everyone's placements or of many
            # sites': the page and its capped count walk it from the cursor, and the site,
            # status and profession it holds answer the scope and those filters without
            # reading the table.
            models.Index(
                fields=["-start_date", "-id"],
                include=["site", "status", "profession"],
                name="placement_start_id_idx",
            ),
            # The placements list sorted by status, in its keyset order (status, id); the
            # site and profession answer the scope and those filters from the index.
            models.Index(
                fields=["status", "id"],
                include=["site", "profession"],
                name="placement_status_id_idx",
            ),
            # The placements list of a few sites (a local facilitator's): each site's rows
            # in the list's order, read from the index alone.
            models.Index(fields=["site", "-start_date", "-id"], name="placement_site_start_idx"),
            # The places a capacity's period holds (capacity list, site page, confirming):
            # the site's placements of the profession from the period's start on,
            # whatever the site's history before it.
            models.Index(
                fields=["site", "profession", "end_date"],
                include=["start_date", "unit"],
                condition=Q(status__in=HOLDING_STATUSES),
                name="placement_holding_idx",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="placement_profession_on_insert",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                func=pgtrigger.Func(_PROFESSION_OF_STUDENT),
            ),
            pgtrigger.Trigger(
                name="placement_profession_on_update",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("student", "profession"),
                func=pgtrigger.Func(_PROFESSION_OF_STUDENT),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="placement_end_after_start",
                violation_error_message="A placement cannot end before it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student.user} at {self.site} from {self.start_date}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PLACEMENT_STATUSES


class PlacementStatusChange(models.Model):
    """One step of a placement's lifecycle: who moved it, from what, to what, when."""

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=PlacementStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PlacementStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        # The id breaks ties: the import records a placement's steps in one statement.
        ordering = ["placement", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.placement_id}: {self.from_status or '—'} → {self.to_status}"


class CapacityQuerySet(models.QuerySet):
    def with_used(self):
        """Each capacity with `used`, the places its placements hold (Placement.holding)."""
        holding = Placement.objects.holding(
            site=OuterRef("site_id"),
            unit=OuterRef("unit_id"),
            profession=OuterRef("profession_id"),
            start=OuterRef("period_start"),
            end=OuterRef("period_end"),
        )
        used = holding.order_by().values("site").annotate(n=Count("pk")).values("n")
        return self.annotate(used=Coalesce(Subquery(used, output_field=IntegerField()), 0))

    def over_held(self):
        """Capacities held by more placements than they offer places (lowered since, or
        from before the rule), with `used`."""
        return self.with_used().filter(used__gt=F("places"))


class Capacity(models.Model):
    """The places a site (or one of its units) offers one profession over a period."""

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="capacities")
    unit = models.ForeignKey(
        "sites.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="capacities"
    )
    profession = models.ForeignKey("accounts.Profession", on_delete=models.PROTECT)
    period_start = models.DateField(validators=[validate_plausible_date])
    period_end = models.DateField(validators=[validate_plausible_date])
    places = models.PositiveSmallIntegerField()

    objects = CapacityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "capacities"
        ordering = ["site", "period_start", "profession"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="capacity_end_after_start",
                violation_error_message="A capacity period cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["site", "profession", "period_start"],
                condition=Q(unit__isnull=True),
                name="capacity_unique_site_period",
            ),
            models.UniqueConstraint(
                fields=["unit", "profession", "period_start"],
                condition=Q(unit__isnull=False),
                name="capacity_unique_unit_period",
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.name if self.unit is not None else self.site.name
        return (
            f"{self.places} × {self.profession} at {where} ({self.period_start}–{self.period_end})"
        )

    # The two questions below are the queries placements.selectors.capacities_for and
    # Placement.objects.holding ask, answered in Python for a placement in memory: the
    # import judges thousands of placements against capacity rows it read once.
    # placements/tests/test_import_bulk.py checks that both ways agree.

    def limits(self, placement: "Placement") -> bool:
        """Whether this capacity counts `placement` against its places: same site and
        profession, its unit or the whole site, periods overlapping."""
        return (
            self.site_id == placement.site_id
            and self.profession_id == placement.profession_id
            and (self.unit_id is None or self.unit_id == placement.unit_id)
            and self.period_start <= placement.end_date
            and self.period_end >= placement.start_date
        )

    def held_by(self, placement: "Placement") -> bool:
        """Whether `placement` takes one of this capacity's places."""
        return placement.status in HOLDING_STATUSES and self.limits(placement)


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be checked"
    CHECKING = "checking", "Checking the rows"
    READY = "ready", "Awaiting confirmation"
    REJECTED = "rejected", "Cannot be imported"
    CONFIRMED = "confirmed", "Waiting to be imported"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Nothing was imported"


# A job whose work is under way or waits for the worker; a job in any other status is
# settled (READY waits for its owner, not for the worker).
IMPORT_JOB_WORKING = (
    ImportJobStatus.QUEUED,
    ImportJobStatus.CHECKING,
    ImportJobStatus.CONFIRMED,
    ImportJobStatus.IMPORTING,
)


class ImportJobQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def awaiting_confirmation(self):
        """Checked files whose owner has not confirmed them yet (the facilitator's home)."""
        return self.filter(status=ImportJobStatus.READY)

    def working(self):
        return self.filter(status__in=IMPORT_JOB_WORKING)


class ImportJob(models.Model):
    """One uploaded students or placements file, from its check (the preview) to its
    import. A file up to the in-request limit is checked and imported within its
    requests; a larger one by the Celery tasks of placements.tasks, while its page shows
    the progress. The file itself is kept (`content`) only until it is imported or
    refused: it holds personal data."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(
        max_length=20, choices=[("students", "Students"), ("placements", "Placements")]
    )
    filename = models.CharField(max_length=200)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        max_length=20, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    in_background = models.BooleanField(default=False)
    # Progress, for the job's page: the rows of the file, and how many were checked.
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # What the check found: {"create": n, "update": n, "unchanged": n} ...
    counts = models.JSONField(default=dict, blank=True)
    # ... and the rows to show: [{"line", "action", "summary", "errors"}], the bad rows
    # first, at most importers.SHOWN_ROWS of them.
    rows = models.JSONField(default=list, blank=True)
    bad_rows = models.PositiveIntegerField(default=0)
    # Why the file as a whole cannot be used, or why the import stopped.
    error = models.TextField(blank=True)
    # Chosen when confirming: invite the people the import adds to set a password.
    invite = models.BooleanField(default=False)
    new_people = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A person's imports by status (their imports awaiting confirmation).
            models.Index(
                fields=["owner", "status", "-created_at"], name="importjob_owner_status_idx"
            ),
            # The sweep that wakes jobs whose message was lost: the few working ones.
            models.Index(
                fields=["updated_at"],
                condition=Q(status__in=IMPORT_JOB_WORKING),
                name="importjob_working_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("rows_total")), name="importjob_done_within_total"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename} ({self.get_status_display()})"

    @property
    def is_working(self) -> bool:
        return self.status in IMPORT_JOB_WORKING

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "In force"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


# "Expiring soon": the facilitator's to-do line and the agreements list's filter.
AGREEMENTS_EXPIRING_DAYS = 60


class AffiliationAgreementQuerySet(models.QuerySet):
    def in_force(self):
        """Agreements that count (signed and neither expired nor terminated); whether one
        covers a day is a matter of its dates (`overlapping`, `agreements_cover`)."""
        return self.filter(status=AgreementStatus.ACTIVE)

    def with_party_at(self, site):
        """Agreements whose party is `site` itself or the health zone it lies in."""
        return self.filter(Q(site=site) | Q(zone=site.zone))

    def overlapping(self, start: datetime.date, end: datetime.date):
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start), starts_on__lte=end)

    def ending_between(self, first: datetime.date, last: datetime.date):
        return self.filter(ends_on__gte=first, ends_on__lte=last)


class AffiliationAgreement(models.Model):
    """The contract that lets an institution's students be placed with a party: one
    clinical site, or every site of a health zone (a health authority's zone). A placement
    is confirmed only while an agreement in force covers its site and its whole period
    (placements.services); an admin may override that, and the override is audited."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="agreements"
    )
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text="The site, for an agreement with one site. Leave empty for a zone.",
    )
    zone = models.CharField(
        "health zone",
        max_length=20,
        choices=HealthZone.choices,
        blank=True,
        help_text="The health authority's zone, for an agreement covering all its sites.",
    )
    starts_on = models.DateField(validators=[validate_plausible_date])
    # Empty: open-ended (an evergreen agreement that runs until one side terminates it).
    ends_on = models.DateField(
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text="Leave empty for an open-ended agreement.",
    )
    status = models.CharField(
        max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    document = models.FileField(
        storage=get_private_storage,
        upload_to=PrivateUploadTo("agreements", "document"),
        validators=[validate_private_upload],
        blank=True,
        max_length=200,
        help_text="The signed agreement: a PDF, PNG or JPEG file.",
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AffiliationAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["institution__name", "starts_on", "id"]
        indexes = [
            # The gate: an institution's agreements with a site or with its zone.
            models.Index(fields=["institution", "site"], name="agreement_institution_site_idx"),
            models.Index(fields=["institution", "zone"], name="agreement_institution_zone_idx"),
            # The daily expiry sweep: agreements in force by their end.
            models.Index(
                fields=["ends_on"],
                condition=Q(status="active"),
                name="agreement_active_ends_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, zone="") | Q(site__isnull=True) & ~Q(zone=""),
                name="agreement_one_party",
                violation_error_message="An agreement is with one site or with one health "
                "zone: choose exactly one of them.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="agreement_end_after_start",
                violation_error_message="An agreement cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} — {self.party_label}"

    @property
    def party_label(self) -> str:
        if self.site_id is not None:
            return str(self.site)
        return f"{self.get_zone_display()} zone"

    def status_on(self, day: datetime.date) -> str:
        """The status a person reads on `day`: an agreement in force past its end reads
        as expired before the daily sweep marks it so."""
        if self.status == AgreementStatus.ACTIVE and self.ends_on and self.ends_on < day:
            return AgreementStatus.EXPIRED.label
        return self.get_status_display()


def agreements_cover(
    agreements: Iterable[AffiliationAgreement], start: datetime.date, end: datetime.date
) -> bool:
    """Whether `agreements` (in force, with the right parties) cover every day from `start`
    to `end`, one after another: a renewal that starts the day after the old one ends
    carries a placement across."""
    day = start
    for agreement in sorted(agreements, key=lambda a: a.starts_on):
        if agreement.starts_on > day:
            break
        if agreement.ends_on is None:
            return True
        day = max(day, agreement.ends_on + datetime.timedelta(days=1))
        if day > end:
            return True
    return day > end


# --- Placement requests and offers (the school's side) ------------------------------------


class PlacementRequestStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting the site's answer"
    PROPOSED = "proposed", "Other dates or unit proposed"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A request waits on one side: the site's facilitators (requested) or the program's
# coordinators (proposed).
OPEN_REQUEST_STATUSES = (PlacementRequestStatus.REQUESTED, PlacementRequestStatus.PROPOSED)

# requested → accepted | declined | proposed | withdrawn; proposed → requested (the
# coordinator takes the site's proposal) | withdrawn.
REQUEST_TRANSITIONS: dict[str, set[str]] = {
    PlacementRequestStatus.REQUESTED: {
        PlacementRequestStatus.ACCEPTED,
        PlacementRequestStatus.DECLINED,
        PlacementRequestStatus.PROPOSED,
        PlacementRequestStatus.WITHDRAWN,
    },
    PlacementRequestStatus.PROPOSED: {
        PlacementRequestStatus.REQUESTED,
        PlacementRequestStatus.WITHDRAWN,
    },
    PlacementRequestStatus.ACCEPTED: set(),
    PlacementRequestStatus.DECLINED: set(),
    PlacementRequestStatus.WITHDRAWN: set(),
}


class PlacementOfferQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def with_taken(self):
        """Each offer with `taken`: the places its claims hold (an accepted claim whose
        placement was cancelled gives its place back)."""
        taken = (
            PlacementRequest.objects.filter(
                offer=OuterRef("pk"),
                status=PlacementRequestStatus.ACCEPTED,
                placement__status__in=HOLDING_STATUSES,
            )
            .order_by()
            .values("offer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(taken=Coalesce(Subquery(taken, output_field=IntegerField()), 0))


class PlacementOffer(models.Model):
    """A site's call for offers: places for students of one profession over a period, in
    one unit or anywhere at the site, which program coordinators claim for their
    students. A claim is a request accepted at once (PlacementRequest.offer)."""

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="offers")
    unit = models.ForeignKey(
        "sites.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="offers"
    )
    profession = models.ForeignKey(
        "accounts.Profession", on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(validators=[validate_plausible_date])
    places = models.PositiveSmallIntegerField()
    model = models.CharField(
        max_length=20, choices=PlacementModel.choices, default=PlacementModel.IP_MENTORING
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a facilitator closes the offer: no more claims.
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = PlacementOfferQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            # The coordinators' list of open offers, by start.
            models.Index(
                fields=["start_date", "id"],
                condition=Q(closed_at__isnull=True),
                name="offer_open_start_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="offer_end_after_start",
                violation_error_message="An offer cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(places__gte=1),
                name="offer_at_least_one_place",
                violation_error_message="An offer has at least one place.",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.name + (f", {self.unit.name}" if self.unit is not None else "")
        return f"{self.places} × {self.profession} at {where} from {self.start_date}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PlacementRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_REQUEST_STATUSES)

    def awaiting_site(self):
        return self.filter(status=PlacementRequestStatus.REQUESTED)

    def awaiting_program(self):
        return self.filter(status=PlacementRequestStatus.PROPOSED)


class PlacementRequest(models.Model):
    """A program coordinator's request for a placement of one of their program's students
    at a site. A cohort's requests are made together and share a `batch`. The site's
    facilitator accepts it (the placement is created, confirmed), declines it with a
    reason, or proposes other dates or another unit, which the coordinator takes (the
    request waits on the site again) or withdraws."""

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="placement_requests"
    )
    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="placement_requests"
    )
    unit = models.ForeignKey(
        "sites.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(validators=[validate_plausible_date])
    end_date = models.DateField(validators=[validate_plausible_date])
    # The student's profession when the request was made (their program's).
    profession = models.ForeignKey(
        "accounts.Profession", on_delete=models.PROTECT, related_name="+"
    )
    model = models.CharField(
        max_length=20, choices=PlacementModel.choices, default=PlacementModel.IP_MENTORING
    )
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=20,
        choices=PlacementRequestStatus.choices,
        default=PlacementRequestStatus.REQUESTED,
    )
    # The requests of one cohort, made in one go.
    batch = models.UUIDField(null=True, blank=True)
    # The offer a claim took its place from.
    offer = models.ForeignKey(
        PlacementOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    decline_reason = models.CharField(max_length=255, blank=True)
    # The site's counter-proposal, while the request is proposed (kept after, as history).
    proposed_start = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    proposed_end = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    proposed_unit = models.ForeignKey(
        "sites.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placement = models.OneToOneField(
        Placement, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlacementRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A facilitator's inbox: their sites' requests by status, newest first.
            models.Index(fields=["site", "status", "-created_at"], name="request_site_status_idx"),
            # The open requests of a student (the overlap check) and a program's list.
            models.Index(fields=["student", "status"], name="request_student_status_idx"),
            models.Index(
                fields=["batch"], condition=Q(batch__isnull=False), name="request_batch_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="request_end_after_start",
                violation_error_message="A placement cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(proposed_end__isnull=True)
                | Q(proposed_start__isnull=True)
                | Q(proposed_end__gte=F("proposed_start")),
                name="request_proposal_end_after_start",
                violation_error_message="The proposed period cannot end before it starts.",
            ),
            # An accepted request has its placement; a declined one its reason.
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(placement__isnull=False),
                name="request_accepted_has_placement",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="request_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Request for {self.student.user} at {self.site} from {self.start_date}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class PlacementRequestChange(models.Model):
    """One step of a request: who moved it, from what, to what, when, and why."""

    request = models.ForeignKey(PlacementRequest, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(
        max_length=20, choices=PlacementRequestStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=PlacementRequestStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["request", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '—'} → {self.to_status}"
