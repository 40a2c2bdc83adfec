"""People: one account per person, logging in by email, with a profession and roles."""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone

from accounts.identifiers import clean_header_text, normalise_email, validate_email_identifier


class Profession(models.Model):
    """A regulated health profession; "interprofessional" means between two of these."""

    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def facilitators(self):
        return self.filter(is_facilitator=True, is_active=True)

    def preceptors(self):
        return self.filter(is_preceptor=True, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]  # the plugin types from_queryset() bases of Manager only
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        # Django's own paths (createsuperuser, the admin) normalise through here too.
        return normalise_email(email)

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # The login look-up: the normalised form, compared exactly (the unique index).
        return self.get(email=normalise_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Roles are flags because one person may hold several at once
    (a nurse can be a preceptor and a CoP member); the admin role is Django's staff flag.
    The student role is held by people with a `placements.Student` enrolment."""

    # Stored normalised (accounts.identifiers.normalise_email): the unique index is on
    # the one form every look-up uses.
    email = models.EmailField(unique=True, validators=[validate_email_identifier])
    full_name = models.CharField(max_length=150)
    profession = models.ForeignKey(
        Profession, null=True, blank=True, on_delete=models.PROTECT, related_name="people"
    )
    phone = models.CharField(max_length=40, blank=True)
    is_facilitator = models.BooleanField(
        default=False, help_text="Supports communities of practice at their sites."
    )
    is_preceptor = models.BooleanField(
        default=False, help_text="Clinician who mentors students and logs mentoring sessions."
    )
    is_student = models.BooleanField(
        default=False, help_text="Set when the person is enrolled in a program."
    )
    is_coordinator = models.BooleanField(
        "program coordinator",
        default=False,
        help_text="Looks after programs at a school: their students, and requests for places.",
    )
    is_staff = models.BooleanField(
        "admin", default=False, help_text="May log into Django admin (the admin role)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        indexes = [
            # The placements list sorted by student: people by name, then each one's
            # placements, from the cursor on.
            models.Index(fields=["full_name", "id"], name="user_full_name_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def _normalise(self) -> None:
        self.email = normalise_email(self.email)
        self.full_name = clean_header_text(self.full_name)
        self.phone = clean_header_text(self.phone)

    def clean_fields(self, exclude=None):
        # Before the validators, so they judge the form that will be stored.
        self._normalise()
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        # Every write, forms or not (services, factories, the shell), stores one form.
        self._normalise()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.is_staff or self.is_superuser)

    @property
    def role_names(self) -> list[str]:
        roles = []
        if self.is_admin:
            roles.append("admin")
        if self.is_facilitator:
            roles.append("facilitator")
        if self.is_preceptor:
            roles.append("preceptor")
        if self.is_coordinator:
            roles.append("coordinator")
        if self.is_student:
            roles.append("student")
        return roles


class InvitationQuerySet(models.QuerySet):
    def open(self, *, now=None):
        """Not used and not expired (the person may still be unable to accept: see
        `Invitation.refusal`)."""
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """A single-use link that lets a person without a usable password (an imported
    student, someone an admin added) set one. Only a hash of the link's token is stored:
    the token is derived from the row and the SECRET_KEY when the email is built
    (`accounts.services.invitation_token`), so it never sits in the database or on the
    broker."""

    # No index of its own: invitation_person_recent_idx leads with the person.
    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The resend limits count a person's recent invitations (invitation_send).
            models.Index(fields=["person", "-created_at"], name="invitation_person_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.person} on {self.created_at:%Y-%m-%d %H:%M}"

    def refusal(self, *, now=None) -> str | None:
        """Why this invitation can no longer be accepted, or None."""
        now = now or timezone.now()
        if self.used_at is not None:
            return "used"
        if self.expires_at <= now:
            return "expired"
        person = self.person
        if not person.is_active:
            return "inactive"
        # The person got in another way since (a later invitation, a reset): this older
        # link must not become a second way to set their password.
        if person.last_login is not None and person.last_login > self.created_at:
            return "used"
        return None


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    DENIED = "denied", "Access denied"
    # A rule set aside by someone allowed to (an admin confirming a placement that no
    # affiliation agreement covers); the reason is in the object's own history.
    OVERRIDE = "override", "Overrode a check"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")

    def anonymise_person(self, person) -> int:
        """The one change allowed: erasing a person's personal data (a privacy request)
        replaces their name in the log; the events themselves stay."""
        return super().update(
            person=None, person_label=f"erased person #{person.pk}", ip_address=None
        )


class AuditEvent(models.Model):
    """Who viewed, created, changed or deleted a confidential record, or was refused.

    Append-only: rows are never updated or deleted through the app. It names the object,
    never its confidential content. `person_label` keeps who it was readable after the
    person's account is erased (it is then anonymised too)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    person = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_label = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    site_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Admins filter the log by object ("who saw this record?") and by person.
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["person", "-at"], name="audit_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.person_label} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
