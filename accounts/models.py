"""People: one account per person, logging in by email, with a profession and roles."""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
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
        return self.get(email__iexact=username)


def user_label_sql(alias: str) -> str:
    """SQL naming a person as `User.__str__` does: the full name, or the email without one
    (for hand-written statements; `alias` is the user table's alias there)."""
    return f"CASE WHEN {alias}.full_name = '' THEN {alias}.email ELSE {alias}.full_name END"


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Roles are flags because one person may hold several at once
    (a nurse can be a preceptor and a CoP member); the admin role is Django's staff flag.
    The student role is held by people with a `placements.Student` enrolment."""

    email = models.EmailField(unique=True)
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
        constraints = [
            # Emails are stored lower-case; this guards against a second account by case.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

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
        if self.is_student:
            roles.append("student")
        return roles


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    DENIED = "denied", "Access denied"


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
