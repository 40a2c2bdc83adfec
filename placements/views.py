"""Placement pages: list and CSV export, detail with its lifecycle, create and edit,
capacity, and the CSV import (upload → preview → confirm)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.audit import audit_record, get_visible_or_404
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditAction
from ipcop.lib.forms import attach_service_errors
from ipcop.lib.params import id_param
from ipcop.lib.spreadsheet import spreadsheet_row
from ipcop.permissions import (
    import_jobs_visible_to,
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
    ImportJob,
    ImportJobStatus,
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
RECENT_IMPORTS = 10  # the person's imports listed on the upload page

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
    user = request.user
    if not (user.is_admin or user.is_facilitator or user.is_preceptor):
        # A student's own placements, a few: no coordinator's filters or export.
        page = placement_list_page(
            placements_visible_to(user), descending=True, params=request.GET, per_page=PAGE_SIZE
        )
        return render(request, "placements/list.html", {"page": page, "own_only": True})
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
    preview. The file waits in an import job until the person confirms. A file larger
    than a request may check (importers.MAX_BYTES, MAX_ROWS) is checked by the worker
    while its job's page shows the progress."""
    require_role(request.user, "facilitator")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, result = importers.import_job_start(
                owner=request.user,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "",
                content=upload.read(),
                sites=sites_facilitated_by(request.user),
            )
        except importers.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            if result is None:
                messages.info(request, f"{job.filename} is being checked.")
                return redirect("placements:import_job", pk=job.pk)
            return _import_preview(request, job, result)
    recent = (
        import_jobs_visible_to(request.user)
        .owned_by(request.user)
        .defer("content", "rows")
        .order_by("-created_at", "-id")[:RECENT_IMPORTS]
    )
    return render(
        request,
        "placements/import_upload.html",
        {"form": form, "columns": importers.COLUMNS, "recent": recent},
    )


def _import_preview(request, job: ImportJob, result: importers.ImportResult) -> HttpResponse:
    return render(
        request,
        "placements/import_preview.html",
        {
            "result": result,
            # What the confirmation names: the job, if it awaits it.
            "token": job.pk if job.status == ImportJobStatus.READY else "",
            "filename": job.filename,
        },
    )


@require_POST
def import_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    job = (
        import_jobs_visible_to(request.user)
        .owned_by(request.user)
        .defer("content")
        .filter(pk=id_param(request.POST.get("token")))
        .first()
    )
    try:
        if job is None:
            raise ValidationError(
                "This preview has expired or was replaced; upload the file again."
            )
        result = importers.import_job_confirm(
            job=job, invite=bool(request.POST.get("invite")), sites_of=sites_facilitated_by
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("placements:import")
    # One event for the file: who imported students' or placements' data, and when.
    model = Placement if job.kind == "placements" else Student
    if result is None:
        audit_record(request, AuditAction.CHANGE, model=model, pk="import")
        messages.info(request, f"{job.filename} is being imported.")
        return redirect("placements:import_job", pk=job.pk)
    job.refresh_from_db(fields=["status", "invite", "invited"])
    if not result.committed:
        # Something changed since the preview (e.g. another facilitator took the last place).
        messages.error(
            request, result.error or "Nothing was imported: some rows are no longer valid."
        )
        return _import_preview(request, job, result)
    audit_record(request, AuditAction.CHANGE, model=model, pk="import")
    messages.success(
        request,
        f"Imported {job.filename}: {result.count('create')} created, "
        f"{result.count('update')} changed, {result.count('unchanged')} unchanged.",
    )
    if job.invite and result.new_people:
        messages.success(request, f"Invitations sent to {job.invited} new people.")
    return redirect(reverse("placements:list") if job.kind == "placements" else "placements:import")


def _visible_job(request: AuthenticatedHttpRequest, pk: int) -> ImportJob:
    # Never the file itself: a page polled every few seconds reads the counters only.
    return get_visible_or_404(request, import_jobs_visible_to(request.user).defer("content"), pk=pk)


@require_GET
def import_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A background import: its progress while the worker checks or imports it (the
    page polls `import_job_status`; without JavaScript, its Refresh link), then the
    preview to confirm, or what was imported."""
    job = _visible_job(request, pk)
    return render(
        request,
        "placements/import_job.html",
        {"job": job, "may_confirm": job.owner_id == request.user.pk},
    )


@require_GET
def import_job_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """What the job's page polls: its status and progress."""
    job = _visible_job(request, pk)
    response = JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "working": job.is_working,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
        }
    )
    response["Cache-Control"] = "no-store"
    return response
