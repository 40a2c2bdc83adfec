"""Reads of the sites app's pages: the site list, the site page and the CoP page (the home
panel's are in sites/panels.py). Each takes the rows the person may see, from
ipcop.permissions, and selects only the columns its page shows. Rows are read with
`Model.objects.filter(site=site)`, not the related managers (`site.units`): those set each
row's foreign key, a column `.only()` leaves out, which costs a query per row."""

from __future__ import annotations

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from sites.models import (
    CommunityOfPractice,
    CommunityOfPracticeQuerySet,
    Initiative,
    Meeting,
    Membership,
    Site,
    SiteQuerySet,
    Unit,
    count_subquery,
)


def site_list(sites: SiteQuerySet, *, active_placements: QuerySet) -> QuerySet[Site]:
    """The site list's rows by name, with each site's open CoPs (`community_count`) and
    active placements (`active_placement_count`). `active_placements` is the placements
    app's queryset of them: that app sits above this one, so the caller hands it in."""
    return (
        sites.with_open_community_count()
        .annotate(active_placement_count=count_subquery(active_placements, "site"))
        .only("name", "zone", "kind", "city", "is_active")
        .order_by("name", "pk")
    )


def cop_list(communities: CommunityOfPracticeQuerySet) -> QuerySet[CommunityOfPractice]:
    """The CoP list's rows by site and name, with the site's name (`site_name`), current
    members and activity columns."""
    return (
        communities.with_member_count()
        .with_no_recent_meeting(timezone.localdate())
        .annotate(site_name=F("site__name"))
        .only("name", "status", "last_meeting_on", "active_initiative_count")
        .order_by("site__name", "name", "pk")
    )


def site_units(site: Site) -> QuerySet[Unit]:
    return Unit.objects.filter(site=site).only("name", "description").order_by("name", "pk")


def site_facilitators(site: Site) -> QuerySet:
    return site.facilitators.only("full_name", "email").order_by("full_name", "pk")


def site_communities(site: Site) -> QuerySet[CommunityOfPractice]:
    """The site's CoPs by name, with their current members and their activity columns."""
    return (
        CommunityOfPractice.objects.filter(site=site)
        .with_member_count()
        .with_no_recent_meeting(timezone.localdate())
        .only("name", "status", "last_meeting_on", "active_initiative_count")
        .order_by("name", "pk")
    )


def site_initiatives(site: Site) -> QuerySet[Initiative]:
    """The initiatives of the site's CoPs, by CoP and title, with the CoP's name
    (`community_name`); paginated by the page."""
    return (
        Initiative.objects.filter(community__site=site)
        .annotate(community_name=F("community__name"))
        .only("title", "theme", "status", "community")
        .order_by("community__name", "title", "pk")
    )


def cop_facilitators(community: CommunityOfPractice) -> QuerySet:
    return community.facilitators.only("full_name", "email").order_by("full_name", "pk")


def cop_memberships(community: CommunityOfPractice) -> QuerySet[Membership]:
    """Every membership of the CoP, current ones first, then by name, with the person and
    the profession they practise there."""
    return (
        Membership.objects.filter(community=community)
        .select_related("person", "profession")
        .only(
            "role",
            "joined_on",
            "left_on",
            "person__full_name",
            "person__email",
            "profession__name",
        )
        .order_by(F("left_on").asc(nulls_first=True), "person__full_name", "pk")
    )


def member_candidates(people: QuerySet, *, q: str = "", limit: int) -> list[dict]:
    """Up to `limit` of `people` (ipcop.permissions.people_offerable_as_members) by name,
    those whose name or email holds every word of `q` when one is given: the add-member
    page's choices and its search's answers. Each is a dict of `pk`, `full_name`,
    `email` and `profession__name`: one query, whatever the number of people."""
    for word in q.split()[:5]:  # a few words narrow enough; more only cost the query
        people = people.filter(Q(full_name__icontains=word) | Q(email__icontains=word))
    return list(
        people.order_by("full_name", "pk").values("pk", "full_name", "email", "profession__name")[
            :limit
        ]
    )


def cop_initiatives(community: CommunityOfPractice) -> QuerySet[Initiative]:
    return (
        Initiative.objects.filter(community=community)
        .only("title", "theme", "status", "description", "outcome", "started_on", "ended_on")
        .order_by("title", "pk")
    )


def cop_meetings(community: CommunityOfPractice) -> QuerySet[Meeting]:
    """The CoP's meetings, newest first, each with its attendees by name (one query for
    the page's meetings); paginated by the page."""
    attendees = (
        Membership.objects.select_related("person", "profession")
        .only("person__full_name", "person__email", "profession__name")
        .order_by("person__full_name", "pk")
    )
    return (
        Meeting.objects.filter(community=community)
        .only("held_on", "duration_minutes", "topics", "decisions", "action_items")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
        .order_by("-held_on", "-pk")
    )
