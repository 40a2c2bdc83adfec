"""Admin for sites, their units, and communities of practice with members and initiatives."""

from django.contrib import admin
from django.db.models import Count

from ipcop.admin import ModelAdmin, TabularInline

from .cache import activity_changed
from .models import CommunityOfPractice, Initiative, Meeting, Membership, Site, Unit, count_subquery


class SitesDataAdmin(ModelAdmin):
    """An admin change to the sites data shows on the home panels at once, as a service's
    does (sites.cache): the panels' cached part is read again."""

    data_versions = (activity_changed,)


class UnitInline(TabularInline):
    model = Unit
    extra = 0
    fields = ("name", "description")


@admin.register(Site)
class SiteAdmin(SitesDataAdmin):
    list_display = ("name", "kind", "zone", "city", "community_count", "is_active")
    list_filter = ("zone", "kind", "is_active")
    search_fields = ("name", "city", "address")
    autocomplete_fields = ("facilitators",)
    readonly_fields = ("created_at",)
    inlines = (UnitInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_count=Count("communities"))

    @admin.display(description="CoPs", ordering="community_count")
    def community_count(self, obj) -> int:
        return obj.community_count


@admin.register(Unit)
class UnitAdmin(ModelAdmin):
    list_display = ("name", "site", "description")
    list_filter = ("site__zone", "site__kind")
    list_select_related = ("site",)
    search_fields = ("name", "site__name")
    autocomplete_fields = ("site",)


class MembershipInline(TabularInline):
    model = Membership
    extra = 0
    fields = ("person", "profession", "role", "joined_on", "left_on")
    autocomplete_fields = ("person",)


class InitiativeInline(TabularInline):
    model = Initiative
    extra = 0
    fields = ("title", "theme", "status", "started_on", "ended_on")
    show_change_link = True


@admin.register(CommunityOfPractice)
class CommunityOfPracticeAdmin(SitesDataAdmin):
    list_display = ("name", "site", "status", "started_on", "member_count", "initiative_count")
    list_filter = ("status", "site__zone")
    list_select_related = ("site",)
    search_fields = ("name", "site__name", "focus")
    autocomplete_fields = ("site", "facilitators")
    readonly_fields = ("created_at", "last_meeting_on", "active_initiative_count")
    date_hierarchy = "started_on"
    inlines = (MembershipInline, InitiativeInline)

    def get_queryset(self, request):
        # Counted per CoP in subqueries: only the page's CoPs are counted.
        return (
            super()
            .get_queryset(request)
            .with_member_count()
            .annotate(initiative_count=count_subquery(Initiative.objects.all(), "community"))
        )

    @admin.display(description="current members", ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count

    @admin.display(description="initiatives", ordering="initiative_count")
    def initiative_count(self, obj) -> int:
        return obj.initiative_count


@admin.register(Membership)
class MembershipAdmin(SitesDataAdmin):
    list_display = ("person", "community", "site", "profession", "role", "joined_on", "left_on")
    list_filter = (
        "role",
        "profession",
        "community__site__zone",
        ("left_on", admin.EmptyFieldListFilter),
    )
    search_fields = (
        "person__full_name",
        "person__email",
        "community__name",
        "community__site__name",
    )
    autocomplete_fields = ("community", "person")
    date_hierarchy = "joined_on"

    list_select_related = ("person", "community__site", "profession")

    @admin.display(description="site", ordering="community__site__name")
    def site(self, obj):
        return obj.community.site


@admin.register(Meeting)
class MeetingAdmin(SitesDataAdmin):
    list_display = (
        "held_on",
        "community",
        "site",
        "duration_minutes",
        "attendee_count",
        "recorded_by",
    )
    list_filter = ("community__site__zone",)
    list_select_related = ("community__site", "recorded_by")
    search_fields = ("community__name", "community__site__name", "topics", "decisions")
    autocomplete_fields = ("community", "attendees", "recorded_by")
    readonly_fields = ("created_at",)
    date_hierarchy = "held_on"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attendee_count=Count("attendees"))

    @admin.display(description="site", ordering="community__site__name")
    def site(self, obj):
        return obj.community.site

    @admin.display(description="attendees", ordering="attendee_count")
    def attendee_count(self, obj) -> int:
        return obj.attendee_count


@admin.register(Initiative)
class InitiativeAdmin(SitesDataAdmin):
    list_display = ("title", "community", "site", "theme", "status", "started_on", "ended_on")
    list_filter = ("status", "theme", "community__site__zone")
    list_select_related = ("community__site",)
    search_fields = ("title", "description", "outcome", "community__name", "community__site__name")
    autocomplete_fields = ("community",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "started_on"

    @admin.display(description="site", ordering="community__site__name")
    def site(self, obj):
        return obj.community.site
