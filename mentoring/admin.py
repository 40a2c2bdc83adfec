"""Admin for competency frameworks, mentoring teams, logged mentoring sessions, placement
evaluations and students' feedback."""

from collections.abc import Sequence
from typing import ClassVar

from django.contrib import admin
from django.db.models import Count

from ipcop.admin import ModelAdmin, TabularInline, TriggerKeptAdmin
from mentoring.cache import evaluations_changed, sessions_changed

from .models import (
    CompetencyDomain,
    CompetencyFramework,
    EvaluationRating,
    MentorAssignment,
    MentoringSession,
    PlacementEvaluation,
    SessionProfessional,
    SessionStudent,
    StudentPlacementFeedback,
    StudentSiteDomain,
    StudentSiteProfession,
)


class CompetencyDomainInline(TabularInline):
    model = CompetencyDomain
    extra = 0
    fields = ("order", "name", "code")
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"code": ("name",)}


@admin.register(CompetencyFramework)
class CompetencyFrameworkAdmin(ModelAdmin):
    list_display = ("name", "code", "year", "is_default", "domain_count")
    list_filter = ("is_default",)
    search_fields = ("name", "code")
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"code": ("name",)}
    inlines = (CompetencyDomainInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(domain_count=Count("domains"))

    @admin.display(description="domains", ordering="domain_count")
    def domain_count(self, obj) -> int:
        return obj.domain_count


@admin.register(CompetencyDomain)
class CompetencyDomainAdmin(ModelAdmin):
    list_display = ("name", "code", "framework", "order")
    list_filter = ("framework",)
    list_select_related = ("framework",)
    search_fields = ("name", "code", "framework__name")
    ordering = ("framework", "order", "name")


@admin.register(MentorAssignment)
class MentorAssignmentAdmin(ModelAdmin):
    list_display = ("mentor", "role", "profession", "student", "site", "assigned_at")
    list_filter = ("role", "profession", "placement__site__zone")
    list_select_related = (
        "mentor",
        "profession",
        "placement__student__user",
        "placement__student__program__profession",
        "placement__site",
    )
    search_fields = (
        "mentor__full_name",
        "mentor__email",
        "placement__student__user__full_name",
        "placement__site__name",
    )
    autocomplete_fields = ("placement", "mentor")
    readonly_fields = ("assigned_at",)
    date_hierarchy = "assigned_at"

    @admin.display(description="student", ordering="placement__student__user__full_name")
    def student(self, obj):
        return obj.placement.student

    @admin.display(description="site", ordering="placement__site__name")
    def site(self, obj):
        return obj.placement.site


class SessionStudentInline(TabularInline):
    model = SessionStudent
    extra = 0
    fields = ("student", "placement", "reflection", "reflected_at")
    autocomplete_fields = ("student", "placement")


class SessionProfessionalInline(TabularInline):
    model = SessionProfessional
    extra = 0
    fields = ("person", "profession")
    autocomplete_fields = ("person",)


@admin.register(MentoringSession)
class MentoringSessionAdmin(ModelAdmin):
    data_versions = (sessions_changed,)
    list_display = ("held_on", "activity", "site", "logged_by", "duration_minutes")
    list_filter = ("activity", "site__zone")
    list_select_related = ("site", "logged_by")
    search_fields = ("site__name", "logged_by__full_name", "logged_by__email", "notes")
    autocomplete_fields = ("site", "logged_by")
    filter_horizontal = ("domains",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "held_on"
    # A million sessions: don't count the whole table on every filtered page.
    show_full_result_count = False
    inlines = (SessionStudentInline, SessionProfessionalInline)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "domains":
            # Domain names repeat across frameworks; label them with their framework.
            kwargs["queryset"] = CompetencyDomain.objects.select_related("framework")
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "domains":
            formfield.label_from_instance = lambda d: f"{d.name} ({d.framework.code})"
        return formfield


@admin.register(SessionStudent)
class SessionStudentAdmin(ModelAdmin):
    data_versions = (sessions_changed,)
    list_display = ("student", "session", "held_on", "site", "reflected_at")
    list_filter = ("session__activity", "session__site__zone")
    list_select_related = (
        "student__user",
        "student__program__profession",
        "session__site",
    )
    search_fields = ("student__user__full_name", "student__user__email", "session__site__name")
    autocomplete_fields = ("session", "student", "placement")
    show_full_result_count = False

    @admin.display(description="held on", ordering="session__held_on")
    def held_on(self, obj):
        return obj.session.held_on

    @admin.display(description="site", ordering="session__site__name")
    def site(self, obj):
        return obj.session.site


@admin.register(SessionProfessional)
class SessionProfessionalAdmin(ModelAdmin):
    data_versions = (sessions_changed,)
    list_display = ("person", "profession", "session", "held_on", "site")
    list_filter = ("profession", "session__activity", "session__site__zone")
    list_select_related = ("person", "profession", "session__site")
    search_fields = ("person__full_name", "person__email", "session__site__name")
    autocomplete_fields = ("session", "person")
    show_full_result_count = False

    @admin.display(description="held on", ordering="session__held_on")
    def held_on(self, obj):
        return obj.session.held_on

    @admin.display(description="site", ordering="session__site__name")
    def site(self, obj):
        return obj.session.site


@admin.register(StudentSiteProfession)
class StudentSiteProfessionAdmin(TriggerKeptAdmin):
    list_display = ("student", "site", "profession", "sessions")
    list_select_related = ("student__user", "student__program__profession", "site", "profession")
    list_filter = ("profession",)
    search_fields = ("site__name", "student__user__full_name")


@admin.register(StudentSiteDomain)
class StudentSiteDomainAdmin(TriggerKeptAdmin):
    list_display = ("student", "site", "domain", "sessions")
    list_select_related = ("student__user", "student__program__profession", "site", "domain")
    search_fields = ("site__name", "student__user__full_name")


class EvaluationRatingInline(TabularInline):
    model = EvaluationRating
    extra = 0
    fields = ("domain", "rating", "comment")
    autocomplete_fields = ("domain",)


@admin.register(PlacementEvaluation)
class PlacementEvaluationAdmin(ModelAdmin):
    """Evaluations are made when placements are confirmed and written by preceptors; an
    admin fixes a record here (a wrong status, a comment to remove)."""

    data_versions = (evaluations_changed,)
    list_display = ("placement", "kind", "due_on", "status", "evaluator", "submitted_at")
    list_filter = ("kind", "status", "placement__site__zone")
    list_select_related = ("placement__student__user", "placement__site", "evaluator")
    search_fields = (
        "placement__student__user__full_name",
        "placement__student__user__email",
        "placement__site__name",
    )
    autocomplete_fields = ("placement", "evaluator")
    inlines = (EvaluationRatingInline,)
    show_full_result_count = False


@admin.register(EvaluationRating)
class EvaluationRatingAdmin(ModelAdmin):
    list_display = ("evaluation", "domain", "rating")
    list_filter = ("rating", "domain__framework")
    list_select_related = ("evaluation", "domain")
    autocomplete_fields = ("evaluation", "domain")
    show_full_result_count = False


@admin.register(StudentPlacementFeedback)
class StudentPlacementFeedbackAdmin(ModelAdmin):
    list_display = ("placement", "site", "submitted_at")
    list_filter = ("site__zone",)
    list_select_related = ("placement__student__user", "placement__site", "site")
    search_fields = ("site__name",)
    autocomplete_fields = ("placement", "site")
    show_full_result_count = False
