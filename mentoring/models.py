"""Interprofessional mentoring: mentoring teams, logged sessions, competency frameworks."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import models
from django.db.models import Q

from ipcop.lib.dates import validate_plausible_date

from .triggers import counts_triggers

if TYPE_CHECKING:
    from accounts.models import User
    from placements.models import Student
    from sites.models import Site


class CompetencyFramework(models.Model):
    """A set of IP competency domains (CIHC 2010 by default, CIHC 2024, IPEC 2023)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_framework"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CompetencyDomain(models.Model):
    framework = models.ForeignKey(
        CompetencyFramework, on_delete=models.CASCADE, related_name="domains"
    )
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="domain_code_per_framework"),
            models.UniqueConstraint(fields=["framework", "name"], name="domain_name_per_framework"),
        ]

    def __str__(self) -> str:
        return self.name


class MentorRole(models.TextChoices):
    PRIMARY = "primary", "Primary preceptor"
    IP_MENTOR = "ip_mentor", "IP mentor"


class MentorAssignment(models.Model):
    """One clinician on a placed student's mentoring team."""

    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.CASCADE, related_name="mentors"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor_assignments"
    )
    # The mentor's profession when assigned; the IP rule compares it to the student's.
    profession = models.ForeignKey("accounts.Profession", on_delete=models.PROTECT)
    role = models.CharField(max_length=20, choices=MentorRole.choices, default=MentorRole.IP_MENTOR)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["placement", "role", "mentor__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "mentor"], name="mentor_once_per_placement"
            ),
            models.UniqueConstraint(
                fields=["placement"],
                condition=Q(role="primary"),
                name="one_primary_preceptor_per_placement",
            ),
        ]
        indexes = [
            # "The students I mentor" on a preceptor's home page.
            models.Index(fields=["mentor", "placement"], name="mentor_placement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} ({self.get_role_display()}) for placement {self.placement_id}"


class Activity(models.TextChoices):
    SHADOWING = "shadowing", "Shadowing"
    JOINT_ASSESSMENT = "joint_assessment", "Joint assessment or care planning"
    IP_ROUNDS = "ip_rounds", "IP rounds or team meeting"
    CASE_DISCUSSION = "case_discussion", "Case discussion"
    ROLE_INTERVIEW = "role_interview", "Role-exploration interview"
    DEBRIEF = "debrief", "Debrief"


# The notes as words (English stemming: "assessed" finds "assessment"). The sessions
# list's search reads them through session_notes_search_idx, built on this expression.
NOTES_SEARCH = SearchVector("notes", config="english")


class MentoringSessionQuerySet(models.QuerySet):
    def at_sites(self, sites):
        return self.filter(site__in=sites)

    def matching(
        self,
        *,
        q: str = "",
        site: Site | None = None,
        student: Student | None = None,
        activity: str = "",
        held_from: datetime.date | None = None,
        held_to: datetime.date | None = None,
    ):
        """The sessions list's filters (mentoring.forms.SessionFilterForm, by the same
        names): words of the notes (`q`, as a web search engine reads them: "quoted
        phrase", or, -word), a site, a student present, an activity, a date range."""
        sessions = self
        if site is not None:
            sessions = sessions.filter(site=site)
        if student is not None:
            sessions = sessions.filter(
                pk__in=SessionStudent.objects.filter(student=student).values("session")
            )
        if activity:
            sessions = sessions.filter(activity=activity)
        if held_from is not None:
            sessions = sessions.filter(held_on__gte=held_from)
        if held_to is not None:
            sessions = sessions.filter(held_on__lte=held_to)
        if q:
            words = SearchQuery(q, config="english", search_type="websearch")
            sessions = sessions.alias(notes_search=NOTES_SEARCH).filter(notes_search=words)
        return sessions

    def logged_by(self, user):
        return self.filter(logged_by=user)


class MentoringSession(models.Model):
    """A mentoring session logged by a preceptor: who, when, how long, what was practised."""

    # Both foreign keys are served by the composite indexes below.
    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="mentoring_sessions", db_index=False
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="logged_sessions",
        db_index=False,
    )
    held_on = models.DateField(validators=[validate_plausible_date])
    duration_minutes = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=30, choices=Activity.choices)
    domains = models.ManyToManyField(CompetencyDomain, blank=True, related_name="sessions")
    students: models.ManyToManyField[Student, SessionStudent] = models.ManyToManyField(
        "placements.Student", through="SessionStudent", related_name="mentoring_sessions"
    )
    professionals: models.ManyToManyField[User, SessionProfessional] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SessionProfessional", related_name="sessions_attended"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MentoringSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [
            # The sessions list, newest first, a keyset page at a time: for an admin, and
            # for a facilitator of many sites, whose sites' sessions are picked from the
            # index entries (the site is in them) as it is read in order.
            models.Index(fields=["-held_on", "-id"], name="session_held_id_idx", include=["site"]),
            # A site's sessions newest first (the sessions list filtered by site).
            models.Index(fields=["site", "-held_on", "-id"], name="session_site_held_id_idx"),
            # The sessions a person logged: their part of the sessions list (ids from the
            # index alone) and the preceptor's recent sessions on the home page.
            models.Index(
                fields=["logged_by", "-held_on", "-id"], name="session_logger_held_id_idx"
            ),
            # The sessions list's search of the notes (MentoringSessionQuerySet.matching).
            GinIndex(NOTES_SEARCH, name="session_notes_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0) & Q(duration_minutes__lte=720),
                name="session_duration_range",
                violation_error_message="A session lasts more than 0 minutes and at most 12 hours.",
            )
        ]
        triggers = counts_triggers("session")

    def __str__(self) -> str:
        return f"{self.get_activity_display()} on {self.held_on}"


class SessionStudent(models.Model):
    """A student present at a session, with the placement they were on and their reflection."""

    # Each foreign key is served by a composite index below or the unique constraint.
    session = models.ForeignKey(
        MentoringSession, on_delete=models.CASCADE, related_name="attendance", db_index=False
    )
    student = models.ForeignKey(
        "placements.Student",
        on_delete=models.PROTECT,
        related_name="session_attendance",
        db_index=False,
    )
    placement = models.ForeignKey(
        "placements.Placement",
        on_delete=models.PROTECT,
        related_name="session_attendance",
        db_index=False,
    )
    reflection = models.TextField(blank=True, max_length=2000)
    reflected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="session_student_once")
        ]
        indexes = [
            # A student's learning record.
            models.Index(fields=["student", "session"], name="sessionstudent_student_idx"),
            # The sessions of the students a preceptor mentors (their sessions list) and
            # a placement's last session (their home page): ids from the index alone.
            models.Index(fields=["placement", "session"], name="sessionstudent_placement_idx"),
        ]
        triggers = counts_triggers("attendance")

    def __str__(self) -> str:
        return f"{self.student} at session {self.session_id}"


class SessionProfessional(models.Model):
    """A professional present at a session, with their profession at the time."""

    # Each foreign key but the profession's is served by a composite index below or the
    # unique constraint.
    session = models.ForeignKey(
        MentoringSession,
        on_delete=models.CASCADE,
        related_name="professional_attendance",
        db_index=False,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="session_presence",
        db_index=False,
    )
    profession = models.ForeignKey("accounts.Profession", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="session_professional_once")
        ]
        indexes = [
            # The professions and people present at a student's sessions (the learning
            # record's professions worked with): index-only.
            models.Index(
                fields=["session", "profession", "person"], name="sessionprof_session_prof_idx"
            ),
            # The sessions a person attended: their part of the sessions list.
            models.Index(fields=["person", "session"], name="sessionprof_person_idx"),
        ]
        triggers = counts_triggers("presence")

    def __str__(self) -> str:
        return f"{self.person} ({self.profession}) at session {self.session_id}"


class SessionDomainCounts(MentoringSession.domains.through):  # type: ignore[name-defined]  # Django makes the through model at runtime
    """The sessions' domains (the `domains` table Django makes), as a proxy that carries
    the triggers keeping the counts below."""

    class Meta:
        proxy = True
        triggers = counts_triggers("domain")


class StudentSiteProfession(models.Model):
    """A student's sessions at a site with someone of a profession present: the site
    matrix's "professions met" cells, and which professions were met at a site at all
    (its columns; the learning record's "never worked with"), without reading every
    session of the site or of the page's students.

    Kept by statement-level triggers on the session, attendance, presence and domain
    tables (mentoring/triggers.py), whatever writes them; `services.counters_recount()`
    counts them afresh (after a bulk load with triggers off), `services.counters_check()`
    compares them with a recount. A pair (site, student) has no rows when it has nothing
    to count."""

    site = models.ForeignKey(
        "sites.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    student = models.ForeignKey("placements.Student", on_delete=models.CASCADE, related_name="+")
    profession = models.ForeignKey(
        "accounts.Profession", on_delete=models.CASCADE, related_name="+"
    )
    sessions = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "student", "profession"], name="studentsiteprofession_once"
            )
        ]
        indexes = [
            # The professions met at a site: one probe per profession.
            models.Index(fields=["site", "profession"], name="studentsiteprof_site_prof_idx"),
        ]

    def __str__(self) -> str:
        return f"student {self.student_id}, profession {self.profession_id} at site {self.site_id}"


class StudentSiteDomain(models.Model):
    """A student's sessions at a site that practised a competency domain (the site
    matrix's domain cells), kept like StudentSiteProfession."""

    site = models.ForeignKey(
        "sites.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    student = models.ForeignKey("placements.Student", on_delete=models.CASCADE, related_name="+")
    domain = models.ForeignKey(CompetencyDomain, on_delete=models.CASCADE, related_name="+")
    sessions = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "student", "domain"], name="studentsitedomain_once"
            )
        ]

    def __str__(self) -> str:
        return f"student {self.student_id}, domain {self.domain_id} at site {self.site_id}"


# --- Placement evaluations and students' feedback -------------------------------------


class EvaluationKind(models.TextChoices):
    MIDTERM = "midterm", "Midterm evaluation"
    FINAL = "final", "Final evaluation"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Not submitted"
    SUBMITTED = "submitted", "Submitted, awaiting the student's acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the student"


class Rating(models.IntegerChoices):
    """The preceptor's rating of a student in one competency domain: four levels, and
    "not observed" for a domain the placement gave no chance to see."""

    NOT_OBSERVED = 0, "Not observed"
    NOT_YET = 1, "1 — Not yet meeting expectations"
    PROGRESSING = 2, "2 — Progressing toward expectations"
    MEETING = 3, "3 — Meeting expectations"
    EXCEEDING = 4, "4 — Exceeding expectations"


class PlacementEvaluationQuerySet(models.QuerySet):
    def open(self):
        """Not submitted yet, on a placement that holds its place (a cancelled
        placement's evaluation is not awaited)."""
        return self.filter(status=EvaluationStatus.DRAFT).exclude(placement__status="cancelled")

    def overdue(self, today: datetime.date):
        return self.open().filter(due_on__lt=today)

    def due(self, today: datetime.date):
        return self.open().filter(due_on__gte=today)

    def done(self):
        return self.exclude(status=EvaluationStatus.DRAFT)


class PlacementEvaluation(models.Model):
    """The preceptor's evaluation of a placed student at midterm or at the end, against
    the competency domains of the student's program's framework. Made (as a draft with
    nothing in it) when the placement is confirmed; its primary preceptor fills it in,
    submits it, and the student acknowledges it."""

    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.CASCADE, related_name="evaluations"
    )
    kind = models.CharField(max_length=10, choices=EvaluationKind.choices)
    # From the placement's dates (services.evaluation_due_on); moves with them until
    # the evaluation is submitted.
    due_on = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(
        max_length=15, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    # The preceptor who wrote it: empty until a draft is first saved.
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluations_written",
    )
    overall_comments = models.TextField(blank=True, max_length=4000)
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    student_comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlacementEvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "kind"], name="evaluation_once_per_kind"),
            # A submitted evaluation has its author and time; an acknowledged one was
            # submitted first; a draft carries neither time.
            models.CheckConstraint(
                condition=(
                    Q(status="draft", submitted_at__isnull=True, acknowledged_at__isnull=True)
                    | Q(
                        status="submitted",
                        submitted_at__isnull=False,
                        evaluator__isnull=False,
                        acknowledged_at__isnull=True,
                    )
                    | Q(
                        status="acknowledged",
                        submitted_at__isnull=False,
                        evaluator__isnull=False,
                        acknowledged_at__isnull=False,
                    )
                ),
                name="evaluation_status_times",
            ),
        ]
        indexes = [
            # The open evaluations by due date (overdue counts, the evaluations list).
            models.Index(
                fields=["due_on"],
                condition=Q(status="draft"),
                include=["placement"],
                name="evaluation_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of placement {self.placement_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == EvaluationStatus.DRAFT

    @property
    def is_started(self) -> bool:
        return self.evaluator_id is not None


class EvaluationRating(models.Model):
    """The rating of one competency domain in an evaluation, with an optional comment."""

    evaluation = models.ForeignKey(
        PlacementEvaluation, on_delete=models.CASCADE, related_name="ratings"
    )
    domain = models.ForeignKey(CompetencyDomain, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    comment = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["evaluation", "domain__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "domain"], name="evaluation_rating_once_per_domain"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=0) & Q(rating__lte=4), name="evaluation_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.get_rating_display()}"


class Agreement(models.IntegerChoices):
    """The student's feedback: how far they agree with each statement."""

    STRONGLY_DISAGREE = 1, "Strongly disagree"
    DISAGREE = 2, "Disagree"
    NEUTRAL = 3, "Neither agree nor disagree"
    AGREE = 4, "Agree"
    STRONGLY_AGREE = 5, "Strongly agree"


# The statements of the student's feedback, by field, in the groups the form shows.
FEEDBACK_ITEMS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "The site",
        (
            ("site_welcome", "The site welcomed me and prepared me for the placement."),
            ("site_learning", "The site offered the learning opportunities I needed."),
        ),
    ),
    (
        "The mentoring",
        (
            ("mentoring_support", "My mentors supported my learning."),
            ("mentoring_feedback", "I received timely and useful feedback."),
        ),
    ),
    (
        "Interprofessional learning",
        (
            ("ip_roles", "I learned about the roles of other professions."),
            ("ip_collaboration", "I took part in collaboration with other professions."),
        ),
    ),
)
FEEDBACK_FIELDS = tuple(name for _, items in FEEDBACK_ITEMS for name, _ in items)


def _agreement_field(statement: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(choices=Agreement.choices, verbose_name=statement)


class StudentPlacementFeedback(models.Model):
    """A student's evaluation of their placement: the site, the mentoring and their IP
    learning, each on a five-point agreement scale, and comments. Sent once. Facilitators
    read it only aggregated per site (selectors.site_feedback_summary)."""

    placement = models.OneToOneField(
        "placements.Placement", on_delete=models.CASCADE, related_name="student_feedback"
    )
    # Kept with the row: the aggregate per site reads no placement.
    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="+")
    site_welcome = _agreement_field(FEEDBACK_ITEMS[0][1][0][1])
    site_learning = _agreement_field(FEEDBACK_ITEMS[0][1][1][1])
    mentoring_support = _agreement_field(FEEDBACK_ITEMS[1][1][0][1])
    mentoring_feedback = _agreement_field(FEEDBACK_ITEMS[1][1][1][1])
    ip_roles = _agreement_field(FEEDBACK_ITEMS[2][1][0][1])
    ip_collaboration = _agreement_field(FEEDBACK_ITEMS[2][1][1][1])
    comments = models.TextField(blank=True, max_length=2000)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "student placement feedback"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    *(
                        Q(**{f"{name}__gte": 1}) & Q(**{f"{name}__lte": 5})
                        for name in FEEDBACK_FIELDS
                    )
                ),
                name="feedback_answers_range",
            ),
        ]
        indexes = [
            # A site's feedback, aggregated.
            models.Index(fields=["site"], name="feedback_site_idx"),
        ]

    def __str__(self) -> str:
        return f"Student feedback on placement {self.placement_id}"
