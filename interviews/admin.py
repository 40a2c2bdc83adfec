"""Admin for the theme codebook, follow-ups, interview records, quotes and reminders."""

from django.contrib import admin
from django.db.models import Count

from interviews.cache import followups_changed, records_changed
from ipcop.admin import ModelAdmin, StackedInline, TabularInline, TriggerKeptAdmin

from .models import (
    CalendarFeed,
    FollowUp,
    FollowUpCount,
    InterviewRecord,
    Quote,
    Reminder,
    Theme,
)


@admin.register(Theme)
class ThemeAdmin(ModelAdmin):
    data_versions = (records_changed,)
    list_display = ("name", "order", "is_active", "merged_into", "record_count")
    list_filter = ("is_active", ("merged_into", admin.EmptyFieldListFilter))
    list_select_related = ("merged_into",)
    list_editable = ("order",)
    search_fields = ("name", "description")
    autocomplete_fields = ("merged_into",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(record_count=Count("records"))

    @admin.display(description="records", ordering="record_count")
    def record_count(self, obj) -> int:
        return obj.record_count


class ReminderInline(TabularInline):
    """Reminders are written by the scheduling service and sent by the sweep; an admin
    may only move an unsent one's time or delete it."""

    model = Reminder
    extra = 0
    fields = ("kind", "recipient", "send_at", "sent_at", "attempts", "last_error")
    readonly_fields = ("kind", "recipient", "sent_at", "attempts", "last_error")
    ordering = ("send_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class InterviewRecordInline(StackedInline):
    model = InterviewRecord
    extra = 0
    max_num = 1
    fields = (
        ("consent_given", "consent_recorded_at"),
        "conducted_on",
        "notes",
        "themes",
        "recorded_by",
    )
    autocomplete_fields = ("recorded_by",)
    filter_horizontal = ("themes",)
    show_change_link = True


@admin.register(FollowUp)
class FollowUpAdmin(ModelAdmin):
    list_display = (
        "participant",
        "follows",
        "site",
        "due_on",
        "status",
        "interviewer",
        "scheduled_at",
        "mode",
    )
    list_filter = ("status", "mode", "site__zone", ("placement", admin.EmptyFieldListFilter))
    list_select_related = ("participant", "site", "interviewer")
    search_fields = (
        "participant__full_name",
        "participant__email",
        "interviewer__full_name",
        "site__name",
    )
    autocomplete_fields = ("participant", "membership", "placement", "site", "interviewer")
    readonly_fields = ("calendar_uid", "calendar_sequence", "created_at", "updated_at")
    # Scheduling and closing go through the follow-up services on the app's pages, which
    # recompute reminders and send calendar updates; the admin shows those fields only.
    lifecycle_fields = ("due_on", "status", "interviewer", "scheduled_at", "mode", "location")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return self.readonly_fields + self.lifecycle_fields

    date_hierarchy = "due_on"
    show_full_result_count = False
    inlines = (InterviewRecordInline, ReminderInline)
    fieldsets = (
        (
            None,
            {
                "fields": ("participant", "membership", "placement", "site", "due_on", "status"),
                "description": "A follow-up follows either a CoP membership or a placement.",
            },
        ),
        ("Interview", {"fields": ("interviewer", "scheduled_at", "mode", "location")}),
        (
            "Calendar",
            {
                "classes": ("collapse",),
                "fields": ("calendar_uid", "calendar_sequence", "created_at", "updated_at"),
            },
        ),
    )

    # The lists' cached counts and the report (interviews.cache) follow the admin's changes.
    data_versions = (followups_changed, records_changed)

    @admin.display(description="follows")
    def follows(self, obj) -> str:
        # Reads the ids only, so the changelist needs no join to memberships or placements.
        return "membership" if obj.membership_id else "placement"


class QuoteInline(TabularInline):
    model = Quote
    extra = 0
    fields = ("text", "speaker_role", "theme", "may_publish")


@admin.register(InterviewRecord)
class InterviewRecordAdmin(ModelAdmin):
    data_versions = (records_changed,)
    list_display = (
        "__str__",
        "participant",
        "site",
        "conducted_on",
        "consent_given",
        "quote_count",
    )
    list_filter = ("consent_given", "themes", "followup__site__zone")
    list_select_related = ("followup__participant", "followup__site")
    search_fields = (
        "followup__participant__full_name",
        "followup__participant__email",
        "followup__site__name",
        "notes",
    )
    autocomplete_fields = ("followup", "recorded_by")
    filter_horizontal = ("themes",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "conducted_on"
    inlines = (QuoteInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(quote_count=Count("quotes", distinct=True))

    @admin.display(description="participant", ordering="followup__participant__full_name")
    def participant(self, obj):
        return obj.followup.participant

    @admin.display(description="site", ordering="followup__site__name")
    def site(self, obj):
        return obj.followup.site

    @admin.display(description="quotes", ordering="quote_count")
    def quote_count(self, obj) -> int:
        return obj.quote_count


@admin.register(Quote)
class QuoteAdmin(ModelAdmin):
    data_versions = (records_changed,)
    list_display = ("__str__", "speaker_role", "theme", "may_publish", "site")
    list_filter = ("may_publish", "theme", "record__followup__site__zone")
    list_select_related = ("theme", "record__followup__site")
    search_fields = ("text", "speaker_role", "record__followup__site__name")
    autocomplete_fields = ("record", "theme")

    @admin.display(description="site", ordering="record__followup__site__name")
    def site(self, obj):
        return obj.record.followup.site


@admin.register(Reminder)
class ReminderAdmin(ModelAdmin):
    list_display = (
        "kind",
        "recipient",
        "followup",
        "placement",
        "agreement",
        "send_at",
        "sent_at",
        "attempts",
    )
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    list_select_related = (
        "recipient",
        "followup__participant",
        "placement__student__user",
        "placement__site",
        "agreement__institution",
        "agreement__site",
    )
    search_fields = (
        "recipient__full_name",
        "recipient__email",
        "followup__participant__full_name",
        "placement__student__user__full_name",
    )
    autocomplete_fields = ("followup", "placement", "agreement", "recipient")
    readonly_fields = ("created_at",)
    date_hierarchy = "send_at"
    show_full_result_count = False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ModelAdmin):
    """Feeds are created by their owner (only a digest of the token is stored, so an admin
    could not hand one out); an admin may revoke one by setting `revoked_at`."""

    list_display = ("owner", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("owner",)
    search_fields = ("owner__full_name", "owner__email")
    fields = ("owner", "created_at", "revoked_at")
    readonly_fields = ("owner", "created_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(FollowUpCount)
class FollowUpCountAdmin(TriggerKeptAdmin):
    list_display = ("site", "status", "total")
    list_select_related = ("site",)
    list_filter = ("status",)
    search_fields = ("site__name",)
