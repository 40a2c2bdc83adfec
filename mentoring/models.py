"""Interprofessional mentoring: mentoring teams, logged sessions, competency frameworks."""

from django.conf import settings
from django.db import models
from django.db.models import Q


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


class MentoringSessionQuerySet(models.QuerySet):
    def at_sites(self, sites):
        return self.filter(site__in=sites)

    def logged_by(self, user):
        return self.filter(logged_by=user)


class MentoringSession(models.Model):
    """A mentoring session logged by a preceptor: who, when, how long, what was practised."""

    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="mentoring_sessions"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_sessions"
    )
    held_on = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=30, choices=Activity.choices)
    domains = models.ManyToManyField(CompetencyDomain, blank=True, related_name="sessions")
    students = models.ManyToManyField(
        "placements.Student", through="SessionStudent", related_name="mentoring_sessions"
    )
    professionals = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SessionProfessional", related_name="sessions_attended"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MentoringSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [
            # A site's sessions newest first; with the id in the index, "the sessions at
            # these sites" (professions present at a site: matrix, learning record gaps) is
            # an index-only scan instead of one heap page per session.
            models.Index(fields=["site", "-held_on", "-id"], name="session_site_held_id_idx"),
            models.Index(fields=["logged_by", "-held_on"], name="session_logger_held_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0) & Q(duration_minutes__lte=720),
                name="session_duration_range",
                violation_error_message="A session lasts more than 0 minutes and at most 12 hours.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_display()} on {self.held_on}"


class SessionStudent(models.Model):
    """A student present at a session, with the placement they were on and their reflection."""

    session = models.ForeignKey(
        MentoringSession, on_delete=models.CASCADE, related_name="attendance"
    )
    student = models.ForeignKey(
        "placements.Student", on_delete=models.PROTECT, related_name="session_attendance"
    )
    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.PROTECT, related_name="session_attendance"
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
        ]

    def __str__(self) -> str:
        return f"{self.student} at session {self.session_id}"


class SessionProfessional(models.Model):
    """A professional present at a session, with their profession at the time."""

    session = models.ForeignKey(
        MentoringSession, on_delete=models.CASCADE, related_name="professional_attendance"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_presence"
    )
    profession = models.ForeignKey("accounts.Profession", on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="session_professional_once")
        ]
        indexes = [
            # The professions present at given sessions (a site's matrix columns, a
            # student's "never worked with" and professions worked with): index-only.
            models.Index(
                fields=["session", "profession", "person"], name="sessionprof_session_prof_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.profession}) at session {self.session_id}"


class SiteProfession(models.Model):
    """How many times people of a profession were present at sessions at a site: the
    professions present at a site (the site matrix's columns, the learning record's
    "never worked with") without reading every session of the site.

    Kept by PostgreSQL triggers on the session and presence tables (migration 0005), so
    every write path keeps it right; rows at zero stay and are filtered out."""

    site = models.ForeignKey(
        "sites.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    profession = models.ForeignKey(
        "accounts.Profession", on_delete=models.CASCADE, related_name="+"
    )
    presences = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "profession"], name="siteprofession_once")
        ]

    def __str__(self) -> str:
        return f"{self.profession_id} at site {self.site_id}: {self.presences}"


class StudentSiteProfession(models.Model):
    """A student's sessions at a site with someone of a profession present (the site
    matrix's "professions met" cells), kept by triggers (migration 0006)."""

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

    def __str__(self) -> str:
        return f"student {self.student_id}, profession {self.profession_id} at site {self.site_id}"


class StudentSiteDomain(models.Model):
    """A student's sessions at a site that practised a competency domain (the site
    matrix's domain cells), kept by triggers (migration 0006)."""

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
