"""Admin for people and professions: the custom user logs in by email and holds role flags."""

from collections.abc import Sequence
from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record

from .forms import UserCreationForm, UserEditForm
from .models import AuditAction, AuditEvent, Invitation, Profession, User
from .services import invitation_send, person_erase


@admin.register(Profession)
class ProfessionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "people_count")
    search_fields = ("name", "code")
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"code": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_count=Count("people"))

    @admin.display(description="people", ordering="people_count")
    def people_count(self, obj) -> int:
        return obj.people_count


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "profession", "phone")}),
        (
            _("Roles"),
            {
                "fields": (
                    "is_facilitator",
                    "is_preceptor",
                    "is_coordinator",
                    "is_student",
                    "is_staff",
                ),
                "description": "A person may hold several roles at once. A program "
                "coordinator's programs are chosen on each program's page.",
            },
        ),
        (
            _("Permissions"),
            {
                "classes": ("collapse",),
                "fields": ("is_active", "is_superuser", "groups", "user_permissions"),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "profession",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "profession", "roles", "is_active")
    list_filter = (
        "is_facilitator",
        "is_preceptor",
        "is_coordinator",
        "is_student",
        "is_staff",
        "is_superuser",
        "is_active",
        "profession",
    )
    list_select_related = ("profession",)
    search_fields = ("email", "full_name")
    ordering = ("full_name", "email")
    date_hierarchy = "date_joined"
    # A province's thousands of users: the changelist must not count the table twice.
    show_full_result_count = False
    actions = ("send_invitation", "erase_personal_data")

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        # One column for the roles a person holds: four columns of ticks were most of
        # the list's width.
        return ", ".join(obj.role_names) or "—"

    @admin.action(description="Send invitation (a link to choose a password)")
    def send_invitation(self, request, queryset):
        """Invite each chosen person (accounts.services.invitation_send); the ones that
        may not be invited now are named with the reason."""
        sent = 0
        for person in queryset:
            try:
                invitation_send(person=person, sent_by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent {sent} invitation(s).", messages.SUCCESS)

    @admin.action(description="Erase personal data (privacy request)")
    def erase_personal_data(self, request, queryset):
        """Asks for confirmation, then erases each chosen person's personal data
        (accounts.services.person_erase). An admin cannot erase their own account."""
        people = list(queryset.exclude(pk=request.user.pk))
        if len(people) < queryset.count():
            self.message_user(request, "You cannot erase your own account.", messages.ERROR)
            return None
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/accounts/user/erase_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase personal data",
                    "people": people,
                    "opts": self.model._meta,
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        for person in people:
            person_erase(person=person)
            audit_record(request, AuditAction.CHANGE, person)
        self.message_user(
            request,
            f"Erased the personal data of {len(people)} person(s); their anonymous records stay.",
            messages.SUCCESS,
        )
        return None


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the people list (action "Send invitation") or the app;
    here admins see who was invited, by whom, and whether the link was used."""

    list_display = ("person", "created_by", "created_at", "expires_at", "used_at")
    list_select_related = ("person", "created_by")
    search_fields = ("person__email", "person__full_name")
    date_hierarchy = "created_at"
    readonly_fields = ("person", "created_by", "created_at", "expires_at", "used_at")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is append-only: admins read it, nobody adds, edits or deletes."""

    list_display = (
        "at",
        "person_label",
        "role",
        "action",
        "object_type",
        "object_id",
        "site_id",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("person_label", "object_id", "path")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
