"""Admin for programs, students, placements (with their mentors and lifecycle) and capacity."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from ipcop.admin import ModelAdmin, TabularInline
from mentoring.models import MentorAssignment
from placements.cache import placements_changed

from .models import (
    AffiliationAgreement,
    Capacity,
    ImportJob,
    Institution,
    Placement,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestChange,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
)
from .services import placement_transition


@admin.register(Institution)
class InstitutionAdmin(ModelAdmin):
    list_display = ("name", "program_count")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(program_count=Count("programs"))

    @admin.display(description="programs", ordering="program_count")
    def program_count(self, obj) -> int:
        return obj.program_count


@admin.register(AffiliationAgreement)
class AffiliationAgreementAdmin(ModelAdmin):
    """Agreements are reference data kept by admins (the app's own pages do the same
    through placements.services); the document is checked by its content either way, by
    the field's validator."""

    list_display = ("institution", "party", "starts_on", "ends_on", "status", "has_document")
    list_filter = ("status", "zone", "institution")
    list_select_related = ("institution", "site")
    search_fields = ("institution__name", "site__name", "notes")
    autocomplete_fields = ("institution", "site")
    readonly_fields = ("created_by", "created_at", "updated_at")
    date_hierarchy = "ends_on"
    # The facilitator's to-do list counts agreements expiring soon under this version.
    data_versions = (placements_changed,)

    @admin.display(description="with")
    def party(self, obj) -> str:
        return obj.party_label

    @admin.display(description="document", boolean=True)
    def has_document(self, obj) -> bool:
        return bool(obj.document)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Program)
class ProgramAdmin(ModelAdmin):
    list_display = (
        "name",
        "institution",
        "profession",
        "framework",
        "midterm_evaluation",
        "student_count",
    )
    list_filter = ("profession", "framework", "midterm_evaluation", "institution")
    list_select_related = ("institution", "profession", "framework")
    search_fields = ("name", "institution__name", "profession__name")
    ordering = ("institution__name", "name")
    autocomplete_fields = ("institution",)
    filter_horizontal = ("coordinators",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # Also for the autocomplete, whose labels name the institution (and a
            # queryset already joined is not joined again by list_select_related).
            .select_related("institution", "profession", "framework")
            .annotate(student_count=Count("students"))
        )

    @admin.display(description="students", ordering="student_count")
    def student_count(self, obj) -> int:
        return obj.student_count


@admin.register(Student)
class StudentAdmin(ModelAdmin):
    list_display = ("user", "email", "program", "profession", "student_number", "cohort_year")
    list_filter = ("program__profession", "cohort_year", "program__institution")
    list_select_related = ("user", "program__institution", "program__profession")
    search_fields = (
        "user__full_name",
        "user__email",
        "student_number",
        "program__name",
        "program__institution__name",
    )
    autocomplete_fields = ("user", "program")
    # Tens of thousands of students a year.
    show_full_result_count = False

    @admin.display(description="email", ordering="user__email")
    def email(self, obj) -> str:
        return obj.user.email

    @admin.display(description="profession", ordering="program__profession__name")
    def profession(self, obj):
        return obj.program.profession


class MentorAssignmentInline(TabularInline):
    model = MentorAssignment
    extra = 0
    fields = ("mentor", "profession", "role", "assigned_at")
    readonly_fields = ("assigned_at",)
    autocomplete_fields = ("mentor",)


class PlacementStatusChangeInline(TabularInline):
    """The lifecycle as recorded by the services: history, never edited by hand."""

    model = PlacementStatusChange
    extra = 0
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    can_delete = False
    ordering = ("changed_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Placement)
class PlacementAdmin(ModelAdmin):
    data_versions = (placements_changed,)
    list_display = (
        "student",
        "profession",
        "site",
        "unit",
        "start_date",
        "end_date",
        "model",
        "status",
    )
    list_filter = ("status", "model", "site__zone", "student__program__profession")
    list_select_related = (
        "student__user",
        "student__program__profession",
        "profession",
        "site",
        "unit__site",
    )
    search_fields = (
        "student__user__full_name",
        "student__user__email",
        "student__student_number",
        "site__name",
        "unit__name",
    )
    autocomplete_fields = ("student", "site", "unit", "contact", "created_by")
    # Status moves only through the lifecycle service (history, capacity, follow-up):
    # read-only here, changed with the actions below.
    readonly_fields = ("status", "created_at", "updated_at")
    date_hierarchy = "start_date"
    show_full_result_count = False
    inlines = (MentorAssignmentInline, PlacementStatusChangeInline)
    actions = ("confirm_selected", "activate_selected", "complete_selected", "cancel_selected")

    def _transition(self, request, queryset, to_status: str) -> None:
        moved, refused = 0, []
        for placement in queryset.select_related("student__user", "site"):
            try:
                placement_transition(
                    placement=placement, to_status=to_status, changed_by=request.user
                )
                moved += 1
            except ValidationError as error:
                refused.append(f"{placement}: {' '.join(error.messages)}")
        if moved:
            self.message_user(
                request, f"{moved} placement(s) moved to {to_status}.", messages.SUCCESS
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    @admin.action(description="Confirm selected placements (within capacity)")
    def confirm_selected(self, request, queryset):
        self._transition(request, queryset, PlacementStatus.CONFIRMED)

    @admin.action(description="Activate selected placements")
    def activate_selected(self, request, queryset):
        self._transition(request, queryset, PlacementStatus.ACTIVE)

    @admin.action(description="Complete selected placements")
    def complete_selected(self, request, queryset):
        self._transition(request, queryset, PlacementStatus.COMPLETED)

    @admin.action(description="Cancel selected placements")
    def cancel_selected(self, request, queryset):
        self._transition(request, queryset, PlacementStatus.CANCELLED)

    fieldsets = (
        (
            None,
            {"fields": ("student", "site", "unit", "start_date", "end_date", "model", "status")},
        ),
        ("Contact and notes", {"fields": ("contact", "notes")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
    )


@admin.register(PlacementStatusChange)
class PlacementStatusChangeAdmin(ModelAdmin):
    list_display = ("placement", "from_status", "to_status", "changed_by", "changed_at", "note")
    list_filter = ("to_status", "from_status")
    list_select_related = ("placement__student__user", "placement__site", "changed_by")
    search_fields = (
        "placement__student__user__full_name",
        "placement__student__user__email",
        "placement__site__name",
        "note",
    )
    autocomplete_fields = ("placement", "changed_by")
    readonly_fields = ("changed_at",)
    date_hierarchy = "changed_at"
    show_full_result_count = False


@admin.register(Capacity)
class CapacityAdmin(ModelAdmin):
    list_display = ("site", "unit", "profession", "period_start", "period_end", "places")
    list_filter = ("profession", "site__zone")
    list_select_related = ("site", "unit__site", "profession")
    search_fields = ("site__name", "unit__name", "profession__name")
    autocomplete_fields = ("site", "unit")
    date_hierarchy = "period_start"


@admin.register(ImportJob)
class ImportJobAdmin(ModelAdmin):
    """Imports are made and run by their pages and the worker: here they are shown for
    support, and an admin may delete one (its file and rows with it). The file's content
    and its rows are personal data, left out of the page."""

    list_display = ("__str__", "owner", "kind", "status", "rows_done", "rows_total", "created_at")
    list_filter = ("kind", "status", "in_background")
    list_select_related = ("owner",)
    search_fields = ("filename", "owner__email")
    date_hierarchy = "created_at"
    exclude = ("content", "rows")
    readonly_fields = (
        "owner", "kind", "filename", "status", "in_background", "rows_total", "rows_done",
        "counts", "bad_rows", "error", "invite", "new_people", "invited", "created_at",
        "updated_at", "finished_at",
    )  # fmt: skip

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PlacementRequestChangeInline(TabularInline):
    """A request's steps as the services recorded them: history, never edited by hand."""

    model = PlacementRequestChange
    extra = 0
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    can_delete = False
    ordering = ("changed_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PlacementRequest)
class PlacementRequestAdmin(ModelAdmin):
    """Requests move through their services (the pages); the admin reads them and may fix
    a note, not their status."""

    list_display = ("student", "site", "start_date", "end_date", "status", "created_at")
    list_filter = ("status", "model")
    list_select_related = ("student__user", "student__program__profession", "site")
    search_fields = ("student__user__full_name", "student__user__email", "site__name")
    autocomplete_fields = ("student", "site", "unit", "proposed_unit", "placement", "requested_by")
    readonly_fields = ("status", "placement", "batch", "offer", "created_at", "updated_at")
    date_hierarchy = "start_date"
    inlines = (PlacementRequestChangeInline,)


@admin.register(PlacementRequestChange)
class PlacementRequestChangeAdmin(ModelAdmin):
    list_display = ("request", "from_status", "to_status", "changed_by", "changed_at", "note")
    list_filter = ("to_status",)
    list_select_related = ("request__student__user", "request__site", "changed_by")
    search_fields = ("request__student__user__full_name", "request__site__name", "note")
    autocomplete_fields = ("request", "changed_by")
    readonly_fields = ("changed_at",)
    show_full_result_count = False


@admin.register(PlacementOffer)
class PlacementOfferAdmin(ModelAdmin):
    list_display = ("site", "unit", "profession", "start_date", "end_date", "places", "closed_at")
    list_filter = ("profession",)
    list_select_related = ("site", "unit__site", "profession")
    search_fields = ("site__name", "unit__name", "profession__name")
    autocomplete_fields = ("site", "unit", "created_by")
    date_hierarchy = "start_date"
