"""Six-month follow-up interviews, their records, the theme codebook and reminders."""

import functools
import operator
import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When

from ipcop.lib.dates import validate_plausible_date


class ThemeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(merged_into__isnull=True, is_active=True)


class Theme(models.Model):
    """A theme of change in the codebook facilitators keep. Merging a theme points it at
    the theme that absorbed it, so coding done with the old name is not lost."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_themes"
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="theme_not_merged_into_itself"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_FOLLOWUP_STATUSES = (FollowUpStatus.PENDING, FollowUpStatus.SCHEDULED)

# False for an open follow-up: the list shows the open ones (the overdue first, by due
# date) before those already closed. The list orders by it and its index is built on it.
# A CASE, not NOT (status IN ...): compared with a cursor's value, the NOT would take
# the comparison as its operand.
FOLLOWUP_CLOSED = Case(
    When(status__in=OPEN_FOLLOWUP_STATUSES, then=Value(False)),
    default=Value(True),
    output_field=models.BooleanField(),
)


class InterviewMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_FOLLOWUP_STATUSES)

    def at_sites(self, sites):
        return self.filter(site__in=sites)

    def due_between(self, start, end):
        return self.open().filter(due_on__gte=start, due_on__lte=end)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)

    def involving(self, user):
        """Those the person takes part in, as the participant or the interviewer."""
        return self.filter(Q(participant=user) | Q(interviewer=user))


# The kept counts of follow-ups per site and status (`FollowUpCount`), moved by each
# statement on follow-ups as a whole: +1 per new row, -1 per old one, added up per (site,
# status), so a bulk insert of 80,000 rows is one grouped upsert and an update that leaves
# the site and status alone changes nothing. The upsert takes the counts' rows in key
# order, so concurrent writers wait for each other instead of deadlocking.
_MOVE_COUNTS = """
    INSERT INTO interviews_followupcount AS c (site_id, status, total)
    SELECT site_id, status, sum(n) FROM (MOVED_ROWS) moved
     GROUP BY site_id, status HAVING sum(n) <> 0 ORDER BY site_id, status
        ON CONFLICT (site_id, status) DO UPDATE SET total = c.total + EXCLUDED.total;
    RETURN NULL;
"""
_NEW_ROWS = "SELECT site_id, status, 1 AS n FROM new_rows"
_OLD_ROWS = "SELECT site_id, status, -1 AS n FROM old_rows"


# The columns of `ipcop.permissions.followups_visible_to`'s rule.
_VISIBILITY = ["site", "participant", "interviewer"]


def _count_trigger(name: str, operation, **referencing) -> pgtrigger.Trigger:
    rows = {"new": _NEW_ROWS, "old": _OLD_ROWS}
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=pgtrigger.Referencing(**referencing),
        func=_MOVE_COUNTS.replace("MOVED_ROWS", " UNION ALL ".join(rows[k] for k in referencing)),
    )


class FollowUp(models.Model):
    """The follow-up interview a CoP member or a placed student is due, six months
    (FOLLOWUP_DELAY_MONTHS) after they joined or started."""

    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    membership = models.OneToOneField(
        "sites.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="followup"
    )
    placement = models.OneToOneField(
        "placements.Placement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup",
    )
    # Denormalised from the membership's CoP or the placement, so lists filter by site
    # with one index.
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="followups")
    due_on = models.DateField(validators=[validate_plausible_date])
    status = models.CharField(
        max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interviews_to_conduct",
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, validators=[validate_plausible_date])
    mode = models.CharField(max_length=20, choices=InterviewMode.choices, blank=True)
    location = models.CharField(
        "place or link", max_length=500, blank=True, help_text="A room, an address or a video link."
    )
    # Calendar invitations: one event per follow-up; updates carry a higher sequence.
    calendar_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    calendar_sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        triggers = [
            _count_trigger("followup_count_insert", pgtrigger.Insert, new="new_rows"),
            _count_trigger(
                "followup_count_update", pgtrigger.Update, old="old_rows", new="new_rows"
            ),
            _count_trigger("followup_count_delete", pgtrigger.Delete, old="old_rows"),
            pgtrigger.Trigger(
                name="followup_count_truncate",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Truncate,
                func="DELETE FROM interviews_followupcount; RETURN NULL;",
            ),
        ]
        indexes = [
            # Follow-ups at a facilitator's sites by status and due date (lists, dashboard).
            models.Index(fields=["site", "status", "due_on"], name="followup_site_status_due_idx"),
            models.Index(fields=["interviewer", "scheduled_at"], name="followup_interviewer_idx"),
            # The follow-ups list in its keyset order (ORDER BY due_on, id LIMIT 51). The
            # columns that decide who sees a row are included, so a person's rows are
            # picked from the index entries as they are read, not from the table.
            models.Index(fields=["due_on", "id"], include=_VISIBILITY, name="followup_due_id_idx"),
            # The unfiltered list: open follow-ups first, each part in due date order
            # (ORDER BY closed, due_on, id LIMIT 51; selectors.followups.followup_page).
            models.Index(
                FOLLOWUP_CLOSED,
                F("due_on"),
                F("id"),
                include=_VISIBILITY,
                name="followup_open_first_due_idx",
            ),
            # The list filtered by status, in the due date order.
            models.Index(
                fields=["status", "due_on", "id"],
                include=_VISIBILITY,
                name="followup_status_due_id_idx",
            ),
            # The list's "due in 30 days" and "overdue" tabs: open follow-ups by due date.
            models.Index(
                fields=["due_on", "id"],
                include=_VISIBILITY,
                condition=Q(status__in=OPEN_FOLLOWUP_STATUSES),
                name="followup_open_due_id_idx",
            ),
            # The list's tab counts and the home panel's of the due windows: open
            # follow-ups at a person's sites due by the end of the next window
            # (selectors.followups), read from the index alone.
            models.Index(
                fields=["site", "due_on"],
                include=["status"],
                condition=Q(status__in=OPEN_FOLLOWUP_STATUSES),
                name="followup_open_site_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(membership__isnull=False) & Q(placement__isnull=True))
                | (Q(membership__isnull=True) & Q(placement__isnull=False)),
                name="followup_follows_one_thing",
                violation_error_message="A follow-up follows either a membership or a placement.",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled")
                | Q(scheduled_at__isnull=False, interviewer__isnull=False),
                name="followup_scheduled_has_time_and_interviewer",
                violation_error_message="A scheduled follow-up needs an interviewer and a time.",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up of {self.participant} due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FOLLOWUP_STATUSES


class FollowUpCount(models.Model):
    """How many follow-ups a site has in a status. The triggers on `FollowUp` keep it,
    whatever writes the follow-ups — services, the admin, bulk_create, COPY — so the
    list's tabs and the home panel add up a few hundred of these rows instead of counting
    a zone's follow-ups one by one. A load that bypasses triggers calls
    `services.counters_recount()` afterwards."""

    site = models.ForeignKey("sites.Site", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=FollowUpStatus.choices)
    # No CHECK (total >= 0): the triggers' upserts propose -1 rows for deletions.
    total = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "status"], name="followupcount_site_status")
        ]

    def __str__(self) -> str:
        return f"{self.total} {self.status} follow-ups at site {self.site_id}"


class InterviewRecord(models.Model):
    """What a follow-up interview found. Confidential: the site's facilitators and admins only."""

    followup = models.OneToOneField(FollowUp, on_delete=models.CASCADE, related_name="record")
    consent_given = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    conducted_on = models.DateField(null=True, blank=True, validators=[validate_plausible_date])
    notes = models.TextField(blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="records")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_given=False) | Q(consent_recorded_at__isnull=False),
                name="record_consent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Interview record for follow-up {self.followup_id}"


class Quote(models.Model):
    record = models.ForeignKey(InterviewRecord, on_delete=models.CASCADE, related_name="quotes")
    text = models.TextField()
    speaker_role = models.CharField(max_length=120, help_text='e.g. "Nurse preceptor".')
    may_publish = models.BooleanField(default=False)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )

    class Meta:
        ordering = ["record", "id"]
        indexes = [
            # Publishable quotes in the outcomes report.
            models.Index(
                fields=["record"], condition=Q(may_publish=True), name="quote_publishable_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"“{self.text[:60]}” – {self.speaker_role}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Follow-up due in 14 days, not scheduled (interviewer)"
    DAY_BEFORE = "day_before", "Interview tomorrow"
    OVERDUE_1 = "overdue_1", "Overdue (1st weekly notice)"
    OVERDUE_2 = "overdue_2", "Overdue (2nd weekly notice)"
    OVERDUE_3 = "overdue_3", "Overdue (3rd weekly notice)"
    # A placement's emails to its student, mentors and site contact (interviews.receivers).
    PLACEMENT_CONFIRMED = "placement_confirmed", "Placement confirmed"
    PLACEMENT_CANCELLED = "placement_cancelled", "Placement cancelled"
    PLACEMENT_TEAM = "placement_team", "Placement's mentoring team changed"
    PLACEMENT_STARTS_SOON = "placement_starts", "Placement starts in a week (student)"
    # An affiliation agreement's expiry, to both sides (interviews.agreement_emails).
    AGREEMENT_EXPIRES_60 = "agreement_60", "Affiliation agreement expires within 60 days"
    AGREEMENT_EXPIRES_14 = "agreement_14", "Affiliation agreement expires within 14 days"
    # A step of a placement request, to the other side (interviews.request_emails).
    REQUEST_STEP = "request_step", "Placement request: a step to answer or to know"
    # A placement's evaluations (interviews.evaluation_emails).
    EVALUATION_DUE = "evaluation_due", "Placement evaluation due (preceptor)"
    EVALUATION_SUBMITTED = "evaluation_submitted", "Evaluation to acknowledge (student)"
    FEEDBACK_DUE = "feedback_due", "Feedback on the placement due (student)"


PLACEMENT_REMINDER_KINDS = (
    ReminderKind.PLACEMENT_CONFIRMED,
    ReminderKind.PLACEMENT_CANCELLED,
    ReminderKind.PLACEMENT_TEAM,
    ReminderKind.PLACEMENT_STARTS_SOON,
)


# The emails of a placement's evaluations: the preceptor's and the student's (about an
# evaluation), and the student's feedback (about the placement).
EVALUATION_REMINDER_KINDS = (
    ReminderKind.EVALUATION_DUE,
    ReminderKind.EVALUATION_SUBMITTED,
    ReminderKind.FEEDBACK_DUE,
)


class ReminderQuerySet(models.QuerySet):
    def unsent(self):
        return self.filter(sent_at__isnull=True)

    def due(self, now):
        return self.unsent().filter(send_at__lte=now)


# What a reminder may be about: exactly one of these foreign keys is set.
REMINDER_SUBJECTS = ("followup", "placement", "agreement", "request_change", "evaluation")


def _exactly_one_of(fields: tuple[str, ...]) -> Q:
    one = [Q(**{f"{other}__isnull": other != field for other in fields}) for field in fields]
    return functools.reduce(operator.or_, one)


class Reminder(models.Model):
    """One email that must go out once. The row is the truth; the broker only wakes the sweep.
    It is about one thing (REMINDER_SUBJECTS): a follow-up, a placement, an affiliation
    agreement, a step of a placement request or a placement's evaluation."""

    followup = models.ForeignKey(
        FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    placement = models.ForeignKey(
        "placements.Placement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    agreement = models.ForeignKey(
        "placements.AffiliationAgreement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # The step of a placement request the email tells of (its request and who took it).
    request_change = models.ForeignKey(
        "placements.PlacementRequestChange",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    # The evaluation the email is about (interviews.evaluation_emails).
    evaluation = models.ForeignKey(
        "mentoring.PlacementEvaluation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["send_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["followup", "recipient", "kind"], name="reminder_once_per_recipient_kind"
            ),
            models.CheckConstraint(
                condition=_exactly_one_of(REMINDER_SUBJECTS),
                name="reminder_of_one_thing",
            ),
            # A request's step is told to each person once.
            models.UniqueConstraint(
                fields=["request_change", "recipient"],
                condition=Q(request_change__isnull=False),
                name="request_reminder_once",
            ),
            # An evaluation is due once and submitted once: one email each per person.
            models.UniqueConstraint(
                fields=["evaluation", "recipient", "kind"],
                condition=Q(evaluation__isnull=False),
                name="evaluation_reminder_once",
            ),
            # Each notice of an agreement's expiry goes to each person once.
            models.UniqueConstraint(
                fields=["agreement", "recipient", "kind"],
                condition=Q(agreement__isnull=False),
                name="agreement_reminder_once",
            ),
            # A placement is confirmed, cancelled and starts once: one email each.
            models.UniqueConstraint(
                fields=["placement", "recipient", "kind"],
                condition=Q(placement__isnull=False) & ~Q(kind="placement_team"),
                name="placement_reminder_once",
            ),
            # Its team may change again and again: one email waits per person at a time,
            # and it shows the team as it is when it goes out.
            models.UniqueConstraint(
                fields=["placement", "recipient"],
                condition=Q(kind="placement_team", sent_at__isnull=True),
                name="placement_team_reminder_pending_once",
            ),
        ]
        indexes = [
            # The sweep's "unsent reminders due now": WHERE sent_at IS NULL AND send_at <= now.
            models.Index(
                fields=["send_at"],
                condition=Q(sent_at__isnull=True),
                name="reminder_due_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} at {self.send_at}"

    @property
    def is_about_placement(self) -> bool:
        return self.kind in PLACEMENT_REMINDER_KINDS

    @property
    def is_about_evaluation(self) -> bool:
        return self.kind in EVALUATION_REMINDER_KINDS

    @property
    def message_id(self) -> str:
        """A stable Message-ID: a second send of the same reminder would be recognisable."""
        return f"<reminder-{self.pk}@ipcop>"


class CalendarFeedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A private calendar feed of the interviews a person conducts. Only a SHA-256 digest
    of its secret token is stored, so a database leak does not expose working feed URLs;
    revoking sets `revoked_at` and the URL stops answering."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        constraints = [
            # One working feed per person: creating a new one revokes the old.
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_feed_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.owner}"
