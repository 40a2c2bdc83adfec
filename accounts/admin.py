"""Admin for people and professions: the custom user logs in by email and holds role flags."""

from typing import ClassVar

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ipcop.audit import audit_record

from .models import AuditAction, AuditEvent, Profession, User
from .services import person_erase


@admin.register(Profession)
class ProfessionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "people_count")
    search_fields = ("name", "code")
    prepopulated_fields: ClassVar[dict[str, tuple[str, ...]]] = {"code": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_count=Count("people"))

    @admin.display(description="people", ordering="people_count")
    def people_count(self, obj) -> int:
        return obj.people_count


class UserCreationForm(AdminUserCreationForm):
    """The admin's add form for the email-login user (no username field)."""

    class Meta:
        model = User
        fields = ("email", "full_name", "profession")

    def clean_email(self) -> str:
        # Emails are stored lower-case (see User.clean and the case-insensitive constraint).
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


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
                "fields": ("is_facilitator", "is_preceptor", "is_student", "is_staff"),
                "description": "A person may hold several roles at once.",
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
    list_display = (
        "email",
        "full_name",
        "profession",
        "is_facilitator",
        "is_preceptor",
        "is_student",
        "is_staff",
        "is_active",
    )
    list_filter = (
        "is_facilitator",
        "is_preceptor",
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
    actions = ("erase_personal_data",)

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
