"""Pages of the facilitator workspace: sites, units, communities of practice, members,
meetings and initiatives. Views parse input, fetch objects through ipcop.permissions and
call sites.services; reading pages keep a constant number of queries."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from ipcop.lib.forms import attach_service_errors
from ipcop.permissions import (
    communities_manageable_by,
    communities_visible_to,
    people_offerable_as_members,
    require_role,
    sites_facilitated_by,
    sites_visible_to,
)
from placements.models import Placement, PlacementModel, PlacementStatus
from sites import forms, selectors, services
from sites.models import (
    INITIATIVE_TRANSITIONS,
    MEETING_ATTENTION_DAYS,
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
    Meeting,
    Membership,
    Site,
    Unit,
)

PAGE_SIZE = 25
MEETINGS_PER_PAGE = 10


# --- Access helpers: 404 outside what the person may see, 403 without the role to change.


def _to_manage(manageable, visible, pk: int, refusal: str):
    """The row if the person may change it; else 403 if they may read it, 404 if not.
    The manager's case is one simple query (the pages' usual reader); only someone who
    does not manage it pays a second one, telling 403 from 404."""
    row = manageable.filter(pk=pk).first()
    if row is None:
        if visible.filter(pk=pk).exists():
            raise PermissionDenied(refusal)
        raise Http404("Not found.")
    return row


def _site_to_manage(request: AuthenticatedHttpRequest, pk: int) -> Site:
    return _to_manage(
        sites_facilitated_by(request.user),
        sites_visible_to(request.user),
        pk,
        "Only the site's facilitators and admins may do this.",
    )


def _community_to_manage(request: AuthenticatedHttpRequest, pk: int) -> CommunityOfPractice:
    return _to_manage(
        communities_manageable_by(request.user).select_related("site"),
        communities_visible_to(request.user),
        pk,
        "Only the site's facilitators and admins may change this CoP.",
    )


def _page(
    request: AuthenticatedHttpRequest, rows: QuerySet, per_page: int, param: str = "page"
) -> Page:
    """The page of `rows` (an ordered queryset) asked for in `param`. The page's pks are
    sliced from the list without what its rows show, and its rows read by those pks: the
    counts a row shows (subqueries) are then computed for the page's rows only, not for
    every row an OFFSET skips. get_page() turns ?page=abc or ?page=999 into a valid page
    instead of an error."""
    page = Paginator(rows.values("pk"), per_page).get_page(request.GET.get(param))
    page.object_list = list(rows.filter(pk__in=page.object_list))
    return page


def _query_without(request: AuthenticatedHttpRequest, param: str) -> str:
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


# --- Sites -------------------------------------------------------------------------------


@require_GET
def site_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    search = forms.SiteSearchForm(request.GET or None)
    filters = search.filters() if request.GET else {}
    sites = sites_facilitated_by(request.user).search(
        q=filters.get("q", ""), zone=filters.get("zone", ""), kind=filters.get("kind", "")
    )
    rows = selectors.site_list(sites, active_placements=Placement.objects.active())
    return render(
        request,
        "sites/site_list.html",
        {
            "search": search,
            "page_obj": _page(request, rows, PAGE_SIZE),
            "query": _query_without(request, "page"),
        },
    )


@require_GET
def site_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = _site_to_manage(request, pk)
    by_model = dict(
        Placement.objects.active()
        .filter(site=site)
        .order_by()
        .values_list("model")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "sites/site_detail.html",
        {
            "site": site,
            "units": selectors.site_units(site),
            "facilitators": selectors.site_facilitators(site),
            "placements_by_model": [
                {"model": model, "label": label, "count": by_model.get(model, 0)}
                for model, label in PlacementModel.choices
            ],
            "active_status": PlacementStatus.ACTIVE,
            "communities": selectors.site_communities(site),
            "initiatives": _page(
                request, selectors.site_initiatives(site), PAGE_SIZE, "initiatives_page"
            ),
            "initiatives_query": _query_without(request, "initiatives_page"),
            "attention_days": MEETING_ATTENTION_DAYS,
        },
    )


@require_http_methods(["GET", "POST"])
def site_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    form = forms.SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"Site “{site}” created.")
            return redirect("sites:detail", pk=site.pk)
    return render(
        request,
        "sites/form_page.html",
        {"form": form, "title": "New site", "cancel_url": reverse("sites:list")},
    )


@require_http_methods(["GET", "POST"])
def site_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = _site_to_manage(request, pk)
    form = forms.SiteForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(site=site, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"Site “{site}” saved.")
            return redirect("sites:detail", pk=site.pk)
    return render(
        request,
        "sites/form_page.html",
        {"form": form, "title": f"Edit {site}", "cancel_url": reverse("sites:detail", args=[pk])},
    )


@require_http_methods(["GET", "POST"])
def unit_create(request: AuthenticatedHttpRequest, site_pk: int) -> HttpResponse:
    site = _site_to_manage(request, site_pk)
    form = forms.UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_create(site=site, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"Unit added to {site}.")
            return redirect("sites:detail", pk=site.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"New unit at {site}",
            "cancel_url": reverse("sites:detail", args=[site.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def unit_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.filter(site__in=sites_visible_to(request.user)), pk=pk)
    site = _site_to_manage(request, unit.site_id)
    form = forms.UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(unit=unit, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Unit saved.")
            return redirect("sites:detail", pk=site.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"Edit unit {unit.name}",
            "cancel_url": reverse("sites:detail", args=[site.pk]),
        },
    )


# --- Communities of practice -------------------------------------------------------------


@require_GET
def cop_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every CoP the person may read: facilitators their sites' CoPs, members their own."""
    # NUL characters cannot reach PostgreSQL (psycopg2 refuses them: a 500); a form field
    # would refuse them too, this search box just drops them.
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    communities = communities_visible_to(request.user)
    if q:
        communities = communities.filter(name__icontains=q)
    rows = selectors.cop_list(communities)
    # Where the person may start a CoP: the first few of their sites (a new CoP belongs to
    # a site); beyond those, the sites list leads to the others.
    new_at = (
        list(sites_facilitated_by(request.user).only("pk", "name").order_by("name", "pk")[:11])
        if request.user.is_admin or request.user.is_facilitator
        else []
    )
    return render(
        request,
        "sites/cop_list.html",
        {
            "new_at": new_at[:10],
            "new_at_more": len(new_at) > 10,
            "q": q,
            "page_obj": _page(request, rows, PAGE_SIZE),
            "query": _query_without(request, "page"),
            "attention_days": MEETING_ATTENTION_DAYS,
        },
    )


@require_GET
def cop_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The manager's case is one simple query; a member reading it takes a second.
    visible = communities_manageable_by(request.user)
    community = visible.select_related("site").filter(pk=pk).first()
    can_manage = community is not None
    if community is None:
        community = get_object_or_404(
            communities_visible_to(request.user).select_related("site"), pk=pk
        )
    memberships = list(selectors.cop_memberships(community))
    current = [m for m in memberships if m.left_on is None]
    # Current members per profession, most first.
    per_profession = Counter(m.profession.name for m in current)
    profession_mix = [
        {"profession__name": name, "n": n}
        for name, n in sorted(per_profession.items(), key=lambda item: (-item[1], item[0]))
    ]
    initiatives = list(selectors.cop_initiatives(community))
    board = [
        {
            "status": status,
            "label": label,
            "initiatives": [
                {
                    "initiative": i,
                    "moves": [
                        (s, InitiativeStatus(s).label)
                        for s in InitiativeStatus.values
                        if s in INITIATIVE_TRANSITIONS[status]
                    ],
                }
                for i in initiatives
                if i.status == status
            ],
        }
        for status, label in InitiativeStatus.choices
    ]
    return render(
        request,
        "sites/cop_detail.html",
        {
            "community": community,
            "facilitators": selectors.cop_facilitators(community),
            "can_manage": can_manage,
            "current_members": current,
            "past_members": [m for m in memberships if m.left_on is not None],
            "profession_mix": profession_mix,
            "meetings": _page(
                request, selectors.cop_meetings(community), MEETINGS_PER_PAGE, "meetings_page"
            ),
            "meetings_query": _query_without(request, "meetings_page"),
            "board": board,
            "no_recent_meeting": community.has_no_recent_meeting(timezone.localdate()),
            "attention_days": MEETING_ATTENTION_DAYS,
        },
    )


@require_http_methods(["GET", "POST"])
def cop_create(request: AuthenticatedHttpRequest, site_pk: int) -> HttpResponse:
    site = _site_to_manage(request, site_pk)
    form = forms.CommunityForm(
        request.POST or None,
        initial={"started_on": timezone.localdate(), "facilitators": [request.user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            community = services.community_create(site=site, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"Community “{community}” created.")
            return redirect("sites:cop_detail", pk=community.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"New community of practice at {site}",
            "cancel_url": reverse("sites:detail", args=[site.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
def cop_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    community = _community_to_manage(request, pk)
    form = forms.CommunityForm(request.POST or None, instance=community)
    if request.method == "POST" and form.is_valid():
        try:
            services.community_update(community=community, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Community saved.")
            return redirect("sites:cop_detail", pk=community.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"Edit {community}",
            "cancel_url": reverse("sites:cop_detail", args=[pk]),
        },
    )


# --- Members -----------------------------------------------------------------------------


# The add-member page lists, and its search answers, this many people at most.
MEMBER_CANDIDATES_SHOWN = 20


@require_http_methods(["GET", "POST"])
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a member: one of the people linked to the CoP's site, listed by a search
    (served without JavaScript; static/js/member-search.js turns it into a type-ahead over
    `member_candidates`), or anyone else by their exact email."""
    community = _community_to_manage(request, pk)
    people = people_offerable_as_members(community)
    form = forms.MembershipAddForm(
        request.POST or None, people=people, initial={"joined_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(community=community, **form.membership())
        except ValidationError as error:
            form.attach_service_errors(error)
        else:
            messages.success(request, f"{membership.person} joined {community}.")
            return redirect("sites:cop_detail", pk=community.pk)
    search = forms.MemberSearchForm(request.GET if "q" in request.GET else None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    # No search yet lists the first people by name; a refused one lists nobody.
    found = (
        []
        if search.errors
        else selectors.member_candidates(people, q=q, limit=MEMBER_CANDIDATES_SHOWN + 1)
    )
    listed = found[:MEMBER_CANDIDATES_SHOWN]
    form.offer(listed)
    return render(
        request,
        "sites/member_add.html",
        {
            "community": community,
            "form": form,
            "search": search,
            "q": q,
            "found": len(listed),
            "more": len(found) > MEMBER_CANDIDATES_SHOWN,
            "shown": MEMBER_CANDIDATES_SHOWN,
            "min_length": forms.MEMBER_SEARCH_MIN_LENGTH,
        },
    )


@never_cache
@require_GET
def member_candidates(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The add-member page's type-ahead: up to MEMBER_CANDIDATES_SHOWN of the people the
    CoP may offer whose name or email holds `q` (at least 2 characters), as JSON. The
    same access as adding a member: 403 for a reader of the CoP, 404 for anyone else."""
    community = _community_to_manage(request, pk)
    search = forms.MemberSearchForm(request.GET)
    if not search.is_valid():
        error = " ".join(str(message) for message in search.errors["q"])
        return JsonResponse({"results": [], "error": error}, status=400)
    q = search.cleaned_data["q"]
    if not q:
        return JsonResponse({"results": []})
    found = selectors.member_candidates(
        people_offerable_as_members(community), q=q, limit=MEMBER_CANDIDATES_SHOWN + 1
    )
    results = [
        {
            "id": row["pk"],
            "name": row["full_name"] or row["email"],
            "label": forms.candidate_label(row["full_name"], row["email"], row["profession__name"]),
        }
        for row in found[:MEMBER_CANDIDATES_SHOWN]
    ]
    return JsonResponse({"results": results, "more": len(found) > MEMBER_CANDIDATES_SHOWN})


@require_http_methods(["GET", "POST"])
def member_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.filter(
            community__in=communities_visible_to(request.user)
        ).select_related("person", "community"),
        pk=pk,
    )
    community = _community_to_manage(request, membership.community_id)
    form = forms.MembershipEndForm(request.POST or None, initial={"left_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"{membership.person}'s membership ended.")
            return redirect("sites:cop_detail", pk=community.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"End {membership.person}'s membership of {community}",
            "intro": "The membership is kept in the community's history.",
            "submit_label": "End membership",
            "cancel_url": reverse("sites:cop_detail", args=[community.pk]),
        },
    )


# --- Meetings ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    community = _community_to_manage(request, pk)
    form = forms.MeetingForm(
        request.POST or None, community=community, initial={"held_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record(
                community=community, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Meeting recorded.")
            return redirect("sites:cop_detail", pk=community.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"Record a meeting of {community}",
            "cancel_url": reverse("sites:cop_detail", args=[pk]),
        },
    )


@require_GET
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        Meeting.objects.filter(community__in=communities_visible_to(request.user))
        .select_related("community__site", "recorded_by")
        .prefetch_related(
            Prefetch(
                "attendees",
                queryset=Membership.objects.select_related("person", "profession").order_by(
                    "person__full_name"
                ),
            )
        ),
        pk=pk,
    )
    return render(request, "sites/meeting_detail.html", {"meeting": meeting})


# --- Initiatives ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def initiative_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    community = _community_to_manage(request, pk)
    form = forms.InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_create(community=community, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Initiative added.")
            return redirect("sites:cop_detail", pk=community.pk)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"New initiative of {community}",
            "cancel_url": reverse("sites:cop_detail", args=[pk]),
        },
    )


def _initiative_to_manage(request: AuthenticatedHttpRequest, pk: int) -> Initiative:
    initiative = get_object_or_404(
        Initiative.objects.filter(community__in=communities_visible_to(request.user)), pk=pk
    )
    _community_to_manage(request, initiative.community_id)
    return initiative


@require_http_methods(["GET", "POST"])
def initiative_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    initiative = _initiative_to_manage(request, pk)
    form = forms.InitiativeForm(request.POST or None, instance=initiative)
    if request.method == "POST" and form.is_valid():
        try:
            services.initiative_update(initiative=initiative, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Initiative saved.")
            return redirect("sites:cop_detail", pk=initiative.community_id)
    return render(
        request,
        "sites/form_page.html",
        {
            "form": form,
            "title": f"Edit initiative “{initiative}”",
            "cancel_url": reverse("sites:cop_detail", args=[initiative.community_id]),
        },
    )


@require_POST
def initiative_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    initiative = _initiative_to_manage(request, pk)
    form = forms.InitiativeMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status to move the initiative to.")
    else:
        try:
            services.initiative_move(initiative=initiative, to_status=form.cleaned_data["status"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            label = InitiativeStatus(form.cleaned_data["status"]).label
            messages.success(request, f"“{initiative}” moved to {label}.")
    return redirect(reverse("sites:cop_detail", args=[initiative.community_id]) + "#initiatives")
