"""Clinical sites and their communities of practice (CoPs)."""

import datetime

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Lower

from ipcop.lib.dates import validate_plausible_date

# A CoP with no meeting in this many days is flagged on its page and on the dashboard.
MEETING_ATTENTION_DAYS = 60


def count_subquery(queryset, outer_field: str):
    """The rows of `queryset` whose `outer_field` is the outer row, counted in a correlated
    subquery: several counts on one row never multiply each other the way JOIN-based
    Count() annotations do, and on a sliced list only the rows shown are counted."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class HealthZone(models.TextChoices):
    SOUTH = "south", "South"
    CALGARY = "calgary", "Calgary"
    CENTRAL = "central", "Central"
    EDMONTON = "edmonton", "Edmonton"
    NORTH = "north", "North"


class SiteKind(models.TextChoices):
    HOSPITAL_UNIT = "hospital", "Hospital unit"
    REHABILITATION = "rehab", "Rehabilitation centre"
    LONG_TERM_CARE = "ltc", "Long-term care home"
    COMMUNITY_CLINIC = "community", "Community clinic"
    PRIMARY_CARE = "primary", "Primary care network"
    MENTAL_HEALTH = "mental_health", "Mental health service"
    HOME_CARE = "home_care", "Home care"


class SiteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def facilitated_by(self, user):
        return self.filter(facilitators=user)

    def search(self, *, q: str = "", zone: str = "", kind: str = ""):
        """The site list's filters; unknown zone or kind values are ignored by the caller."""
        sites = self
        if q:
            sites = sites.filter(name__icontains=q)
        if zone:
            sites = sites.filter(zone=zone)
        if kind:
            sites = sites.filter(kind=kind)
        return sites

    def with_open_community_count(self):
        """`community_count`: the site's open CoPs, for lists."""
        return self.annotate(
            community_count=count_subquery(CommunityOfPractice.objects.open(), "site")
        )


class Site(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SiteKind.choices)
    zone = models.CharField("health zone", max_length=20, choices=HealthZone.choices)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="facilitated_sites",
        limit_choices_to={"is_facilitator": True},
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["zone", "kind"], name="site_zone_kind_idx")]
        constraints = [
            # "Red Deer Rehab" and "Red deer rehab" would be one site to the people who
            # type it, and to the import, which matches site names without case.
            models.UniqueConstraint(
                Lower("name"),
                name="site_name_unique_ignoring_case",
                violation_error_message="A site of this name already exists (names are "
                "compared without regard to case).",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A ward, floor or programme within a site (e.g. "4 West medicine")."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=150)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="unit_unique_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"


class CoPStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    DORMANT = "dormant", "Dormant"
    CLOSED = "closed", "Closed"


class CommunityOfPracticeQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=CoPStatus.CLOSED)

    def at_sites(self, sites):
        return self.filter(site__in=sites)

    def needing_attention(self, today: datetime.date):
        """Open CoPs with no meeting in the last MEETING_ATTENTION_DAYS days or no active
        initiative."""
        return self.open().filter(needs_attention_q(today))

    def with_no_recent_meeting(self, today: datetime.date):
        """`no_recent_meeting`: whether `no_recent_meeting_q` holds (for the badge)."""
        return self.annotate(
            no_recent_meeting=models.Case(
                models.When(no_recent_meeting_q(today), then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def with_member_count(self):
        """`member_count`: members who have not left (counted from the partial unique index
        of current memberships; only for the CoPs a page shows)."""
        return self.annotate(member_count=count_subquery(Membership.objects.current(), "community"))


def no_recent_meeting_q(today: datetime.date) -> Q:
    """No meeting in the last MEETING_ATTENTION_DAYS days, of a CoP started at least that
    long ago: a new CoP has until then to hold its first meeting."""
    since = today - datetime.timedelta(days=MEETING_ATTENTION_DAYS)
    return Q(started_on__lte=since) & (
        Q(last_meeting_on__isnull=True) | Q(last_meeting_on__lt=since)
    )


def needs_attention_q(today: datetime.date) -> Q:
    """The attention rule over a CoP's activity columns: no recent meeting
    (`no_recent_meeting_q`), or no active initiative."""
    return no_recent_meeting_q(today) | Q(active_initiative_count=0)


class CommunityOfPractice(models.Model):
    """A group at one site that meets to improve how its professions work together."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(max_length=200)
    focus = models.TextField(blank=True, help_text="What the community wants to improve.")
    started_on = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(max_length=20, choices=CoPStatus.choices, default=CoPStatus.ACTIVE)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="facilitated_communities",
        limit_choices_to={"is_facilitator": True},
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The two facts the attention rule needs, kept by triggers on meetings and initiatives
    # (declared on those models) so that every write path (services, the admin, plain ORM
    # writes) keeps them right: the dashboard applies the rule to every CoP of a zone or of
    # the province, which would otherwise aggregate those tables for thousands of CoPs.
    # `sites.services.counters_recount()` recomputes them (e.g. after a bulk load).
    last_meeting_on = models.DateField(null=True, editable=False)
    active_initiative_count = models.PositiveIntegerField(
        "active initiatives",
        default=0,
        editable=False,
        help_text="Initiatives planned, in progress or implemented.",
    )

    objects = CommunityOfPracticeQuerySet.as_manager()

    class Meta:
        verbose_name = "community of practice"
        verbose_name_plural = "communities of practice"
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="cop_unique_per_site")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A form or the admin saves the copy it loaded: writing its counters back would undo
        # what the triggers did meanwhile, so a saved CoP leaves them to the triggers.
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in COP_COUNTERS
                and field.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def has_no_recent_meeting(self, today: datetime.date) -> bool:
        """`no_recent_meeting_q` for this CoP."""
        since = today - datetime.timedelta(days=MEETING_ATTENTION_DAYS)
        return self.started_on <= since and (
            self.last_meeting_on is None or self.last_meeting_on < since
        )


# The columns of a CoP that only the triggers (and counters_recount) write.
COP_COUNTERS = ("last_meeting_on", "active_initiative_count")


def _cop_counter_triggers(column: str, value_sql: str, changes: tuple[str, ...]):
    """Triggers on a model with a `community` that keep the CoP column `column` equal to
    `value_sql`, an aggregate over the CoP's rows `r`, when a row is added, deleted or
    changes one of the fields `changes`. The CoPs the row belonged to before and after
    are locked in id order, so that two transactions never wait for each other crosswise;
    the UPDATE that follows is a new statement, which sees what every earlier holder of
    those locks committed, so no concurrent write is lost."""
    cops = CommunityOfPractice._meta.db_table
    # Table and column names from the models, not values: nothing to inject.
    func = pgtrigger.Func(
        f"PERFORM 1 FROM {cops} WHERE id IN (OLD.community_id, NEW.community_id)"  # noqa: S608  # nosec B608
        " ORDER BY id FOR UPDATE;"
        f" UPDATE {cops} c SET {column} ="
        f" (SELECT {value_sql} FROM {{meta.db_table}} r WHERE r.community_id = c.id)"
        " WHERE c.id IN (OLD.community_id, NEW.community_id);"
        " RETURN NULL;"
    )
    return [
        pgtrigger.Trigger(
            name=f"{column}_insert_delete",
            when=pgtrigger.After,
            operation=pgtrigger.Insert | pgtrigger.Delete,
            func=func,
        ),
        pgtrigger.Trigger(
            name=f"{column}_update",
            when=pgtrigger.After,
            operation=pgtrigger.Update,
            condition=pgtrigger.AnyChange(*changes),
            func=func,
        ),
    ]


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    CHAMPION = "champion", "Champion / lead"
    PRECEPTOR = "preceptor", "Preceptor"
    MANAGER = "manager", "Manager"
    FACILITATOR = "facilitator", "Facilitator"
    STUDENT = "student", "Student"


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(left_on__isnull=True)


class Membership(models.Model):
    """A person's membership of a CoP. Ending it sets `left_on`, keeping the history; a
    person who rejoins has one membership per period."""

    community = models.ForeignKey(
        CommunityOfPractice, on_delete=models.CASCADE, related_name="memberships"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    # The profession the person practised in this CoP (copied from the person on joining).
    profession = models.ForeignKey("accounts.Profession", on_delete=models.PROTECT)
    role = models.CharField(
        max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    joined_on = models.DateField(validators=[validate_plausible_date])
    left_on = models.DateField(null=True, blank=True, validators=[validate_plausible_date])

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["community", "person__full_name"]
        indexes = [
            # "Recent activity" on the facilitator's dashboard: newest joins first, walked
            # backwards until eight belong to the facilitator's CoPs.
            models.Index(fields=["-joined_on", "-id"], name="membership_joined_idx"),
        ]
        constraints = [
            # One current membership per person per CoP; a former member who rejoins gets
            # a new membership (and follow-up), the old one stays as history.
            models.UniqueConstraint(
                fields=["community", "person"],
                condition=Q(left_on__isnull=True),
                name="membership_one_current_per_person_per_cop",
                violation_error_message="This person is already a current member of this community.",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
                violation_error_message="A membership cannot end before it started.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.community}"

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    def was_member_on(self, day: datetime.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or self.left_on >= day)


class Meeting(models.Model):
    community = models.ForeignKey(
        CommunityOfPractice, on_delete=models.CASCADE, related_name="meetings"
    )
    held_on = models.DateField(validators=[validate_plausible_date])
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    attendees = models.ManyToManyField(Membership, blank=True, related_name="meetings_attended")
    topics = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    action_items = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on"]
        indexes = [
            # "Last meeting of each CoP" (attention flags on the dashboard and CoP page).
            models.Index(fields=["community", "-held_on"], name="meeting_cop_held_idx"),
            # "Recent activity" on the facilitator's dashboard: the newest meetings anywhere.
            models.Index(fields=["-held_on", "-id"], name="meeting_held_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0) & Q(duration_minutes__lte=720),
                name="meeting_duration_range",
                violation_error_message="A meeting lasts between 1 minute and 12 hours.",
            )
        ]
        triggers = _cop_counter_triggers(
            "last_meeting_on", "max(r.held_on)", changes=("community", "held_on")
        )

    def __str__(self) -> str:
        return f"{self.community} meeting on {self.held_on}"


class InitiativeTheme(models.TextChoices):
    COMMUNICATION = "communication", "Communication"
    ADMISSION_INTAKE = "admission_intake", "Admission & intake"
    DISCHARGE = "discharge", "Discharge"
    ROLES_SCOPE = "roles_scope", "Roles & scope"
    PATIENT_CENTRED = "patient_centred", "Patient-centred care"
    OTHER = "other", "Other"


class InitiativeStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    SUSTAINED = "sustained", "Sustained"
    DROPPED = "dropped", "Dropped"


# The workflow an initiative may move along; services refuse any other jump.
INITIATIVE_TRANSITIONS: dict[str, set[str]] = {
    InitiativeStatus.IDEA: {InitiativeStatus.PLANNED, InitiativeStatus.DROPPED},
    InitiativeStatus.PLANNED: {InitiativeStatus.IN_PROGRESS, InitiativeStatus.DROPPED},
    InitiativeStatus.IN_PROGRESS: {InitiativeStatus.IMPLEMENTED, InitiativeStatus.DROPPED},
    InitiativeStatus.IMPLEMENTED: {InitiativeStatus.SUSTAINED, InitiativeStatus.DROPPED},
    InitiativeStatus.SUSTAINED: {InitiativeStatus.DROPPED},
    InitiativeStatus.DROPPED: set(),
}

ACTIVE_INITIATIVE_STATUSES = (
    InitiativeStatus.PLANNED,
    InitiativeStatus.IN_PROGRESS,
    InitiativeStatus.IMPLEMENTED,
)


class InitiativeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_INITIATIVE_STATUSES)


class Initiative(models.Model):
    """A change a CoP works on, e.g. joint meetings of all professionals on a unit."""

    community = models.ForeignKey(
        CommunityOfPractice, on_delete=models.CASCADE, related_name="initiatives"
    )
    title = models.CharField(max_length=200)
    theme = models.CharField(max_length=30, choices=InitiativeTheme.choices)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=InitiativeStatus.choices, default=InitiativeStatus.IDEA
    )
    started_on = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    ended_on = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    outcome = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["community", "title"]
        indexes = [
            # Initiatives by theme and status across a facilitator's sites (dashboard, report).
            models.Index(fields=["theme", "status"], name="initiative_theme_status_idx"),
            # The same counted over a zone's CoPs (the dashboard): read from the index alone.
            models.Index(
                fields=["community"], include=["theme", "status"], name="initiative_cop_theme_idx"
            ),
            # "Recent activity" on the facilitator's dashboard: the latest changed first.
            models.Index(fields=["-updated_at", "-id"], name="initiative_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="initiative_end_after_start",
                violation_error_message="An initiative cannot end before it started.",
            )
        ]
        triggers = _cop_counter_triggers(
            "active_initiative_count",
            "count(*) FILTER (WHERE r.status IN ({}))".format(
                ", ".join(f"'{status}'" for status in ACTIVE_INITIATIVE_STATUSES)
            ),
            changes=("community", "status"),
        )

    def __str__(self) -> str:
        return self.title
