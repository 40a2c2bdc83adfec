"""Placement pages: list and CSV export, detail with its lifecycle, create and edit,
capacity, and the CSV import (upload → preview → confirm)."""

from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.audit import audit_record, get_visible_or_404
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditAction
from accounts.services import invitations_send_for_import
from ipcop.lib.forms import attach_service_errors
from ipcop.lib.spreadsheet import spreadsheet_row
from ipcop.permissions import (
    placements_manageable_by,
    placements_visible_to,
    require_role,
    sites_facilitated_by,
)
from placements import importers, services
from placements.forms import (
    CapacityForm,
    ImportUploadForm,
    PlacementFilterForm,
    PlacementForm,
    TransitionForm,
)
from placements.models import (
    PLACEMENT_TRANSITIONS,
    Capacity,
    Placement,
    PlacementStatus,
    PlacementStatusChange,
    Student,
)
from placements.selectors import (
    EXPORT_COLUMNS,
    capacity_page,
    placement_export_rows,
    placement_list_page,
)

PAGE_SIZE = 25  # as the sites and CoP lists: a phone screen or two
IMPORT_SESSION_KEY = "placements_import"

# The buttons of the lifecycle, in the order they are offered.
TRANSITION_LABELS = {
    PlacementStatus.CONFIRMED: "Confirm",
    PlacementStatus.ACTIVE: "Start (active)",
    PlacementStatus.COMPLETED: "Complete",
    PlacementStatus.CANCELLED: "Cancel placement",
}


def _list_query(params) -> str:
    """The list's query string without its cursor: the filters, kept in the links."""
    query = params.copy()
    for cursor_param in ("page", "after", "before", "n"):
        query.pop(cursor_param, None)
    return query.urlencode()


@require_GET
def placement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Always bound: every filter is optional, so an empty query is a valid "no filter".
    form = PlacementFilterForm(request.GET, user=request.user)
    query = _list_query(request.GET)
    page = placement_list_page(
        form.filter(placements_visible_to(request.user)),
        descending=form.descending,
        params=request.GET,
        per_page=PAGE_SIZE,
        query=query,
    )
    return render(
        request,
        "placements/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_create": bool(request.user.is_admin or request.user.is_facilitator),
        },
    )


class _Echo:
    def write(self, value):
        return value


@require_GET
def placement_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Exactly the rows the list shows with the same filters, all pages, as CSV."""
    form = PlacementFilterForm(request.GET, user=request.user)
    placements = form.filter(placements_visible_to(request.user))
    # Who took a copy of placement data, not which rows (the filters are in the path's log).
    audit_record(request, AuditAction.VIEW, model=Placement, pk="export")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(list(EXPORT_COLUMNS))
        for row in placement_export_rows(placements):
            yield writer.writerow(spreadsheet_row(row))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="placements-{stamp}.csv"'
    return response


@require_GET
def placement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = get_visible_or_404(
        request,
        placements_visible_to(request.user)
        .select_related("student__user", "student__program__profession", "site", "unit", "contact")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=PlacementStatusChange.objects.select_related("changed_by").order_by(
                    "changed_at", "id"
                ),
            )
        ),
        pk=pk,
    )
    audit_record(request, AuditAction.VIEW, placement)
    can_manage = placements_manageable_by(request.user).filter(pk=pk).exists()
    transitions = []
    if can_manage:
        allowed = PLACEMENT_TRANSITIONS[placement.status]
        transitions = [(s, label) for s, label in TRANSITION_LABELS.items() if s in allowed]
    return render(
        request,
        "placements/detail.html",
        {"placement": placement, "can_manage": can_manage, "transitions": transitions},
    )


def _manageable_or_403(request: AuthenticatedHttpRequest, pk: int):
    """404 for a placement the person cannot see, 403 for one they see but cannot change."""
    placement = get_visible_or_404(request, placements_visible_to(request.user), pk=pk)
    if not placements_manageable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the site's facilitators can change this placement.")
    return placement


@require_http_methods(["GET", "POST"])
def placement_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    form = PlacementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            placement = services.placement_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CREATE, placement)
            messages.success(request, "Placement requested.")
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/form.html", {"form": form, "placement": None})


@require_http_methods(["GET", "POST"])
def placement_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _manageable_or_403(request, pk)
    form = PlacementForm(request.POST or None, user=request.user, placement=placement)
    if request.method == "POST" and form.is_valid():
        try:
            services.placement_update(
                placement=placement, **form.cleaned_data, changed_by=request.user
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, placement)
            messages.success(request, "Placement saved.")
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/form.html", {"form": form, "placement": placement})


@require_POST
def placement_transition(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _manageable_or_403(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status to move the placement to.")
    else:
        try:
            services.placement_transition(
                placement=placement,
                to_status=form.cleaned_data["to_status"],
                changed_by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            audit_record(request, AuditAction.CHANGE, placement)
            messages.success(request, f"Placement is now {placement.get_status_display().lower()}.")
    return redirect("placements:detail", pk=pk)


# --- Capacity ---------------------------------------------------------------------------


@require_GET
def capacity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    page = capacity_page(
        Capacity.objects.filter(site__in=sites_facilitated_by(request.user)),
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    return render(request, "placements/capacity_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def capacity_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    require_role(request.user, "facilitator")
    capacity = None
    if pk is not None:
        capacity = get_object_or_404(
            Capacity.objects.filter(site__in=sites_facilitated_by(request.user)), pk=pk
        )
    initial = {"site": request.GET.get("site")} if capacity is None else None
    form = CapacityForm(request.POST or None, instance=capacity, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if capacity is None:
                services.capacity_create(**fields)
            else:
                services.capacity_update(capacity=capacity, **fields)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Capacity saved.")
            return redirect("placements:capacity_list")
    return render(request, "placements/capacity_form.html", {"form": form, "capacity": capacity})


# --- Import -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV or .xlsx file; its rows are checked by a full dry run and shown as a
    preview. The parsed rows wait in the session (never the file) until the person
    confirms."""
    require_role(request.user, "facilitator")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            rows = importers.parse_file(form.cleaned_data["file"].read(), kind)
        except importers.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            result = importers.run_import(
                kind,
                rows,
                user=request.user,
                sites=sites_facilitated_by(request.user),
                commit=False,
            )
            token = uuid.uuid4().hex
            request.session[IMPORT_SESSION_KEY] = {
                "token": token,
                "kind": kind,
                "filename": form.cleaned_data["file"].name[:200],
                "rows": rows if result.ok else [],
            }
            return render(
                request,
                "placements/import_preview.html",
                {"result": result, "token": token, "filename": form.cleaned_data["file"].name},
            )
    return render(
        request, "placements/import_upload.html", {"form": form, "columns": importers.COLUMNS}
    )


@require_POST
def import_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("token") != request.POST.get("token") or not pending["rows"]:
        messages.error(request, "This preview has expired or was replaced; upload the file again.")
        return redirect("placements:import")
    result = importers.run_import(
        pending["kind"],
        pending["rows"],
        user=request.user,
        sites=sites_facilitated_by(request.user),
        commit=True,
    )
    del request.session[IMPORT_SESSION_KEY]
    if result.committed:
        # One event for the file: who imported students' or placements' data, and when.
        model = Placement if pending["kind"] == "placements" else Student
        audit_record(request, AuditAction.CHANGE, model=model, pk="import")
    if not result.committed:
        # Something changed since the preview (e.g. another facilitator took the last place).
        messages.error(request, "Nothing was imported: some rows are no longer valid.")
        return render(
            request,
            "placements/import_preview.html",
            {"result": result, "token": "", "filename": pending["filename"]},
        )
    messages.success(
        request,
        f"Imported {pending['filename']}: {result.count('create')} created, "
        f"{result.count('update')} changed, {result.count('unchanged')} unchanged.",
    )
    if result.new_people and request.POST.get("invite"):
        invited = invitations_send_for_import(
            people=get_user_model().objects.filter(pk__in=result.new_people),
            sent_by=request.user,
        )
        messages.success(request, f"Invitations sent to {invited} new people.")
    return redirect(
        reverse("placements:list") if pending["kind"] == "placements" else "placements:import"
    )
