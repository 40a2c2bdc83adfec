"""Placement pages: list and CSV export, detail with its lifecycle, create and edit,
capacity, the placement calendar, and the CSV import (upload → preview → confirm)."""

from __future__ import annotations

import csv
import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.audit import audit_record, get_visible_or_404
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditAction
from ipcop.lib.cache import content_key
from ipcop.lib.forms import attach_service_errors
from ipcop.lib.params import id_param
from ipcop.lib.spreadsheet import spreadsheet_row, xlsx_workbook
from ipcop.lib.uploads import private_file_response
from ipcop.permissions import (
    agreements_visible_to,
    has_role,
    import_jobs_visible_to,
    import_kinds_for,
    offers_claimable_by,
    offers_manageable_by,
    offers_visible_to,
    placements_manageable_by,
    placements_visible_to,
    programs_coordinated_by,
    programs_for_student_import,
    requests_answerable_by,
    requests_coordinated_by,
    requests_visible_to,
    require_role,
    sites_facilitated_by,
    sites_visible_to,
)
from placements import importers, services
from placements.forms import (
    AgreementForm,
    CalendarForm,
    CapacityForm,
    ImportUploadForm,
    OfferClaimForm,
    PlacementFilterForm,
    PlacementForm,
    PlacementOfferForm,
    PlacementRequestForm,
    RequestDeclineForm,
    RequestFilterForm,
    RequestNoteForm,
    RequestProposeForm,
    RequestStartForm,
    StatusNoteForm,
    StudentFilterForm,
    TransitionForm,
    add_months,
)
from placements.models import (
    AGREEMENTS_EXPIRING_DAYS,
    PLACEMENT_TRANSITIONS,
    AffiliationAgreement,
    Capacity,
    ImportJob,
    ImportJobStatus,
    Placement,
    PlacementRequest,
    PlacementRequestStatus,
    PlacementStatus,
    PlacementStatusChange,
    Student,
)
from placements.selectors import (
    EXPORT_COLUMNS,
    capacity_page,
    placement_export_rows,
    placement_list_page,
    program_choices,
    site_calendar,
    student_list_page,
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


CURSOR_PARAMS = ("page", "after", "before", "n")


def _list_query(params) -> str:
    """The list's query string without its cursor: the filters, kept in the links."""
    query = params.copy()
    for cursor_param in CURSOR_PARAMS:
        query.pop(cursor_param, None)
    return query.urlencode()


# The sortable columns of the list, by their sort key (selectors.LIST_SORTS): a first
# click sorts names A to Z, and start dates latest first, as the list opens.
SORTABLE_COLUMNS = {"student": "Student", "site": "Site", "start": "Start", "status": "Status"}


def _sort_headers(params, form: PlacementFilterForm) -> dict[str, dict]:
    """Each sortable column's header: the link that sorts by it (the other way round
    when it already does), keeping the filters and starting from the first page, and
    its `aria-sort`."""
    query = params.copy()
    for name in (*CURSOR_PARAMS, "sort"):
        query.pop(name, None)
    headers = {}
    for key, label in SORTABLE_COLUMNS.items():
        current = form.sort_key == key
        if current:
            sort = key if form.descending else f"-{key}"
        else:
            sort = "-start" if key == "start" else key
        query["sort"] = sort
        aria_sort = ""
        if current:
            aria_sort = "descending" if form.descending else "ascending"
        if key == "start":
            hint = "latest first" if sort.startswith("-") else "earliest first"
        else:
            hint = "Z to A" if sort.startswith("-") else "A to Z"
        headers[key] = {
            "label": label,
            "query": query.urlencode(),
            "aria_sort": aria_sort,
            "hint": f"sort {hint}",
        }
    return headers


@require_GET
def placement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_admin or user.is_facilitator or user.is_preceptor or user.is_coordinator):
        # A student's own placements, a few: no coordinator's filters or export.
        page = placement_list_page(
            placements_visible_to(user), descending=True, params=request.GET, per_page=PAGE_SIZE
        )
        return render(
            request,
            "placements/list.html",
            {"page": page, "own_only": True, "rows_key": content_key(page.object_list)},
        )
    # Always bound: every filter is optional, so an empty query is a valid "no filter".
    form = PlacementFilterForm(request.GET, user=request.user)
    query = _list_query(request.GET)
    page = placement_list_page(
        form.filter(placements_visible_to(request.user)),
        sort=form.sort_key,
        descending=form.descending,
        params=request.GET,
        per_page=PAGE_SIZE,
        query=query,
    )
    may_manage = bool(request.user.is_admin or request.user.is_facilitator)
    headers = _sort_headers(request.GET, form)
    return render(
        request,
        "placements/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "headers": headers,
            # The table renders from these alone (its HTML is cached under them).
            "rows_key": content_key(page.object_list, headers, may_manage),
            "can_create": may_manage,
            "can_see_calendar": may_manage,
            "can_bulk": may_manage,
            "back": _back_query(request.GET.urlencode()),
        },
    )


@require_GET
def student_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A program coordinator's students: those of the programs they coordinate, by name,
    each linking to their placements and their IP learning record."""
    require_role(request.user, "coordinator")
    programs = programs_coordinated_by(request.user)
    # Always bound: every filter is optional, so an empty query is a valid "no filter".
    form = StudentFilterForm(request.GET, programs=program_choices(programs))
    query = _list_query(request.GET)
    page = student_list_page(
        form.filter(Student.objects.filter(program__in=programs)),
        params=request.GET,
        per_page=PAGE_SIZE,
        query=query,
    )
    return render(request, "placements/student_list.html", {"form": form, "page": page})


# --- Bulk actions on the list's ticked rows -----------------------------------------------

# What a bulk page carries back to the list: its filters, its order and its page.
LIST_PARAMS = (*PlacementFilterForm.base_fields, "after", "before", "n")
BULK_TITLES = {"confirm": "Confirm placements", "cancel": "Cancel placements"}
BULK_DONE = {"confirm": "Confirmed", "cancel": "Cancelled"}


def _back_query(value: object) -> str:
    """The list's query string a bulk page links back to: the list's own parameters,
    one value each, nothing else."""
    if not isinstance(value, str):
        return ""
    params = QueryDict(value[:2000])
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMS:
        if params.get(name):
            kept[name] = params[name]
    return kept.urlencode()


def _selected_ids(params) -> list[int]:
    """The ids a bulk action names, in order, once each: the ticked rows, and every row
    of the page when "select all on this page" is ticked (without JavaScript, it does
    not tick the rows). Anything not an id is left out."""
    values = params.getlist("ids")
    if params.get("all") == "1":
        values += params.getlist("page_ids")
    ids: list[int] = []
    for value in values:
        pk = id_param(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def _bulk_page(
    request: AuthenticatedHttpRequest,
    *,
    action: str,
    ids: list[int],
    back: str,
    form: StatusNoteForm | None = None,
    error: str = "",
) -> HttpResponse:
    """The confirmation page of a bulk action: what will happen to each selected
    placement, which are refused and why; nothing has changed yet."""
    problem, rows = "", []
    if action not in (*services.BULK_ACTIONS, "export"):
        problem = "Choose what to do with the selected placements: confirm, cancel or export."
    elif not ids:
        problem = "Select at least one placement on the list."
    elif len(ids) > services.MAX_BULK:
        problem = f"Select at most {services.MAX_BULK} placements at once."
    elif action in services.BULK_ACTIONS:
        rows = services.placements_bulk_plan(
            placements=placements_manageable_by(request.user),
            ids=ids,
            action=action,
            changed_by=request.user,
        )
    accepted = [row for row in rows if row.accepted]
    return render(
        request,
        "placements/bulk.html",
        {
            "action": action,
            "title": BULK_TITLES.get(action, "Selected placements"),
            "problem": problem,
            "error": error,
            "rows": rows,
            "accepted": accepted,
            "refused": len(rows) - len(accepted),
            "form": form or StatusNoteForm(cancelling=action == "cancel"),
            "back": back,
        },
    )


@require_GET
def placement_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The list's ticked rows (`ids`) and what to do with them (`action`): exported as
    CSV at once, or, to confirm or cancel them, the confirmation page listing what will
    happen to each and which are refused, before anything changes."""
    require_role(request.user, "facilitator")
    action = request.GET.get("action", "")
    ids = _selected_ids(request.GET)
    if action == "export" and 0 < len(ids) <= services.MAX_BULK:
        return _export_selected(request, ids)
    return _bulk_page(request, action=action, ids=ids, back=_back_query(request.GET.get("back")))


def _export_selected(request: AuthenticatedHttpRequest, ids: list[int]) -> HttpResponse:
    """The selected placements as the list's CSV export (ISO dates). An id the person
    may not see answers 404: nothing of it is written."""
    placements = placements_visible_to(request.user).filter(pk__in=ids)
    if placements.count() != len(ids):
        raise Http404("No such placement among yours.")
    audit_record(request, AuditAction.VIEW, model=Placement, pk="export")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(list(EXPORT_COLUMNS))
    for row in placement_export_rows(placements.order_by("start_date", "pk")):
        writer.writerow(spreadsheet_row(row))
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="placements-selected-{stamp}.csv"'
    return response


@require_POST
def placement_bulk_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Apply a bulk action the confirmation page showed, to its accepted rows, all or
    nothing. An id outside the person's placements answers 404; a row that changed since
    (another facilitator took the last place) refuses the whole action, and the
    confirmation page comes back with the row's reason."""
    require_role(request.user, "facilitator")
    action = request.POST.get("action", "")
    ids = _selected_ids(request.POST)
    back = _back_query(request.POST.get("back"))
    if action not in services.BULK_ACTIONS or not 0 < len(ids) <= services.MAX_BULK:
        return _bulk_page(request, action=action, ids=ids, back=back)
    manageable = placements_manageable_by(request.user)
    if manageable.filter(pk__in=ids).count() != len(ids):
        raise Http404("No such placement among those you manage.")
    form = StatusNoteForm(request.POST, cancelling=action == "cancel")
    if not form.is_valid():
        return _bulk_page(request, action=action, ids=ids, back=back, form=form)
    try:
        done = services.placements_bulk_apply(
            placements=manageable,
            ids=ids,
            action=action,
            changed_by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        reason = " ".join(error.messages)
        return _bulk_page(
            request,
            action=action,
            ids=ids,
            back=back,
            form=form,
            error=f"Nothing was changed: {reason} Check the placements again below.",
        )
    for placement in done:
        audit_record(request, AuditAction.CHANGE, placement)
    messages.success(request, f"{BULK_DONE[action]} {len(done)} placement{'s' * (len(done) != 1)}.")
    return redirect(reverse("placements:list") + (f"?{back}" if back else ""))


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
        .select_related(
            "student__user",
            "student__program__profession",
            "student__program__institution",
            "site",
            "unit",
            "contact",
        )
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
    # Whether an affiliation agreement covers it, while it is open: for those who confirm
    # placements (a finished one's agreement may since have ended, as it should).
    has_agreement = None
    if can_manage:
        allowed = PLACEMENT_TRANSITIONS[placement.status]
        transitions = [(s, label) for s, label in TRANSITION_LABELS.items() if s in allowed]
        if placement.is_open:
            has_agreement = services.placement_has_agreement(placement)
    return render(
        request,
        "placements/detail.html",
        {
            "placement": placement,
            "can_manage": can_manage,
            "transitions": transitions,
            "has_agreement": has_agreement,
            "may_override": request.user.is_admin
            and has_agreement is False
            and PlacementStatus.CONFIRMED in PLACEMENT_TRANSITIONS[placement.status],
        },
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
        if "override_reason" in form.errors:
            messages.error(request, " ".join(str(e) for e in form.errors["override_reason"]))
        else:
            messages.error(request, "Choose a status to move the placement to.")
    elif form.cleaned_data["to_status"] == PlacementStatus.CANCELLED:
        # A cancellation needs its reason: its own page asks for it.
        return redirect("placements:cancel", pk=pk)
    else:
        try:
            services.placement_transition(
                placement=placement,
                to_status=form.cleaned_data["to_status"],
                changed_by=request.user,
                note=form.cleaned_data["note"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            audit_record(request, AuditAction.CHANGE, placement)
            messages.success(request, f"Placement is now {placement.get_status_display().lower()}.")
    return redirect("placements:detail", pk=pk)


@require_http_methods(["GET", "POST"])
def placement_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel one placement, after saying why: the reason goes in its history."""
    _manageable_or_403(request, pk)
    placement = get_object_or_404(
        Placement.objects.select_related("student__user", "site", "unit"), pk=pk
    )
    if not placement.is_open:
        messages.error(
            request, f"A {placement.get_status_display().lower()} placement cannot be cancelled."
        )
        return redirect("placements:detail", pk=pk)
    form = StatusNoteForm(request.POST or None, cancelling=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.placement_cancel(
                placement=placement, changed_by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, placement)
            messages.success(request, "Placement cancelled.")
            return redirect("placements:detail", pk=pk)
    return render(request, "placements/cancel.html", {"placement": placement, "form": form})


# --- Capacity ---------------------------------------------------------------------------


@require_GET
def capacity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    capacities = Capacity.objects.filter(site__in=sites_facilitated_by(request.user))
    over = request.GET.get("over") == "1"
    if over:
        capacities = capacities.over_held()
    page = capacity_page(capacities, number=request.GET.get("page"), per_page=PAGE_SIZE)
    return render(
        request,
        "placements/capacity_list.html",
        {
            "page": page,
            "over": over,
            "query": "over=1" if over else "",
            # The table renders from these alone (its HTML is cached under them).
            "rows_key": content_key(page.object_list, over),
        },
    )


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


# --- Calendar ---------------------------------------------------------------------------

CALENDAR_SITES_PAGE_SIZE = 50  # site names only: a long column of links is still quick to scan


@require_GET
def calendar_sites(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The sites whose placement calendar the person may open: those they facilitate."""
    require_role(request.user, "facilitator")
    sites = sites_facilitated_by(request.user).order_by("name", "pk").only("pk", "name", "zone")
    page = Paginator(sites, CALENDAR_SITES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "placements/calendar_sites.html", {"page": page})


def _calendar_site(request: AuthenticatedHttpRequest, site_id: int):
    """The site if the person facilitates it (all for admins), as the site page and the
    capacity list; else 404 for a site they cannot see, 403 for one they can (a student
    placed there, a mentor): the calendar names every student placed at the site."""
    site = sites_facilitated_by(request.user).only("pk", "name").filter(pk=site_id).first()
    if site is not None:
        return site
    if not sites_visible_to(request.user).filter(pk=site_id).exists():
        raise Http404("No such site.")
    raise PermissionDenied("Only the site's facilitators see its placement calendar.")


@require_GET
def site_calendar_view(request: AuthenticatedHttpRequest, site_id: int) -> HttpResponse:
    site = _calendar_site(request, site_id)
    today = timezone.localdate()
    form = CalendarForm.for_query(request.GET, today=today)
    first_month, months = form.period(today)
    calendar = site_calendar(
        site=site,
        placements=placements_manageable_by(request.user),
        first_month=first_month,
        months=months,
        **form.filters(),
    )
    return render(
        request,
        "placements/calendar.html",
        {
            "site": site,
            "form": form,
            "calendar": calendar,
            "first_month": first_month,
            "last_month": add_months(first_month, months - 1),
            "months": months,
            "filter_labels": form.filter_labels(),
            "previous_url": form.link(add_months(first_month, -months), today=today),
            "next_url": form.link(add_months(first_month, months), today=today),
            "this_month_url": form.link(today.replace(day=1), today=today),
            "columns": len(calendar.weeks) + 1,
        },
    )


# --- Import -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV or .xlsx file; its rows are checked by a full dry run and shown as a
    preview. The file waits in an import job until the person confirms. A file larger
    than a request may check (importers.MAX_BYTES, MAX_ROWS) is checked by the worker
    while its job's page shows the progress. A program coordinator imports the students
    of their programs (`programs_for_student_import`), not placements."""
    require_role(request.user, "facilitator", "coordinator")
    kinds = import_kinds_for(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, result = importers.import_job_start(
                owner=request.user,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "",
                content=upload.read(),
                sites=sites_facilitated_by(request.user),
                programs=programs_for_student_import(request.user),
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
        {
            "form": form,
            "columns": {kind: importers.COLUMNS[kind] for kind in kinds},
            "kinds": {kind: importers.KINDS[kind] for kind in kinds},
            "recent": recent,
            "coordinator_scope": "placements" not in kinds,
        },
    )


TEMPLATE_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
def import_template(request: AuthenticatedHttpRequest, kind: str, file_format: str) -> HttpResponse:
    """A file to fill in for an import of `kind`: its columns and one example row (with a
    program and one of the person's sites), as CSV or as an Excel workbook whose second
    sheet explains the columns."""
    require_role(request.user, "facilitator", "coordinator")
    if kind not in importers.COLUMNS or file_format not in TEMPLATE_FORMATS:
        raise Http404("No such template.")
    if kind not in import_kinds_for(request.user):
        raise PermissionDenied("Only a site's facilitators import placements.")
    rows = importers.template_rows(
        kind,
        sites=sites_facilitated_by(request.user),
        today=timezone.localdate(),
        programs=programs_for_student_import(request.user),
    )
    response = HttpResponse(content_type=TEMPLATE_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="ipcop-{kind}-template.{file_format}"'
    if file_format == "csv":
        # With a byte order mark, as Excel's own "CSV UTF-8": Excel then reads accents right.
        response.write("\ufeff")
        writer = csv.writer(response)
        for row in rows:
            writer.writerow(spreadsheet_row(row))
        return response
    help_rows = [["column", "required", "meaning"]] + [
        [column.name, "yes" if column.required else "no", column.help]
        for column in importers.COLUMNS[kind]
    ]
    response.write(xlsx_workbook([(importers.KINDS[kind], rows), ("Columns explained", help_rows)]))
    return response


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
    require_role(request.user, "facilitator", "coordinator")
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
            job=job,
            invite=bool(request.POST.get("invite")),
            sites_of=sites_facilitated_by,
            programs_of=programs_for_student_import,
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


# --- Affiliation agreements ----------------------------------------------------------------


def _agreement_of(request: AuthenticatedHttpRequest, pk: int) -> AffiliationAgreement:
    """The agreement if the person may read it: 403 for a role that reads none, 404 for
    one outside their sites or institutions."""
    require_role(request.user, "facilitator", "coordinator")
    return get_visible_or_404(
        request,
        agreements_visible_to(request.user).select_related("institution", "site", "created_by"),
        pk=pk,
    )


@require_GET
def agreement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The agreements a person may read, those ending first at the top (open-ended ones
    last); `?expiring=1`: those in force that end within AGREEMENTS_EXPIRING_DAYS."""
    require_role(request.user, "facilitator", "coordinator")
    today = timezone.localdate()
    agreements = agreements_visible_to(request.user).select_related("institution", "site")
    expiring = request.GET.get("expiring") == "1"
    if expiring:
        agreements = agreements.in_force().ending_between(
            today, today + datetime.timedelta(days=AGREEMENTS_EXPIRING_DAYS)
        )
    agreements = agreements.order_by(F("ends_on").asc(nulls_last=True), "institution__name", "pk")
    page = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    for agreement in page:
        agreement.status_label = agreement.status_on(today)
    return render(
        request,
        "placements/agreement_list.html",
        {
            "page": page,
            "expiring": expiring,
            "expiring_days": AGREEMENTS_EXPIRING_DAYS,
            "query": "expiring=1" if expiring else "",
            "can_edit": request.user.is_admin,
        },
    )


@require_GET
def agreement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_of(request, pk)
    return render(
        request,
        "placements/agreement_detail.html",
        {
            "agreement": agreement,
            "status_label": agreement.status_on(timezone.localdate()),
            "can_edit": request.user.is_admin,
        },
    )


@require_GET
def agreement_document(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The agreement's signed document, to those who may read the agreement."""
    agreement = _agreement_of(request, pk)
    return private_file_response(
        agreement.document, download_name=f"affiliation-agreement-{agreement.pk}"
    )


@require_http_methods(["GET", "POST"])
def agreement_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Record an agreement, or change one: admins only (contracts between organisations
    are reference data); a facilitator or coordinator who reads it is refused with 403."""
    agreement = None
    if pk is not None:
        agreement = _agreement_of(request, pk)
    if not request.user.is_admin:
        raise PermissionDenied("Only an admin records affiliation agreements.")
    initial = None
    if agreement is not None:
        initial = {
            "institution": agreement.institution,
            "site": agreement.site,
            "zone": agreement.zone,
            "starts_on": agreement.starts_on,
            "ends_on": agreement.ends_on,
            "status": agreement.status,
            "notes": agreement.notes,
        }
    form = AgreementForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if agreement is None:
                agreement = services.agreement_create(**form.cleaned_data, created_by=request.user)
            else:
                services.agreement_update(agreement=agreement, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Agreement saved.")
            return redirect("placements:agreement_detail", pk=agreement.pk)
    return render(request, "placements/agreement_form.html", {"form": form, "agreement": agreement})


# --- Placement requests and offers --------------------------------------------------------


def _request_for_page(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    """A request the person may read (404 otherwise), with what its page shows."""
    require_role(request.user, "coordinator", "facilitator")
    return get_visible_or_404(
        request,
        requests_visible_to(request.user).select_related(
            "student__user",
            "student__program__institution",
            "profession",
            "site",
            "unit",
            "proposed_unit",
            "placement",
            "requested_by",
        ),
        pk=pk,
    )


def _answerable_or_403(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    """404 for a request the person cannot see; 403 for one they see but whose site they
    do not facilitate (the program's side)."""
    placement_request = _request_for_page(request, pk)
    if not requests_answerable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the site's facilitators answer a request.")
    return placement_request


def _coordinated_or_403(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    """404 for a request the person cannot see; 403 for one they see from the site's
    side (only the program withdraws or takes a proposal)."""
    placement_request = _request_for_page(request, pk)
    if not requests_coordinated_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the program's coordinators can do this.")
    return placement_request


@require_GET
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Coordinators: the requests for their programs' students; facilitators: those to
    their sites (their inbox); the open ones unless another status is chosen."""
    require_role(request.user, "coordinator", "facilitator")
    form = RequestFilterForm(request.GET)
    requests = (
        form.filter(requests_visible_to(request.user))
        .select_related("student__user", "student__program", "site", "unit")
        .order_by("-created_at", "-id")
    )
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "placements/request_list.html",
        {
            "form": form,
            "page": page,
            "query": f"status={form.chosen}",
            "can_request": has_role(request.user, "coordinator") or request.user.is_admin,
        },
    )


@require_http_methods(["GET", "POST"])
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two steps on one page: the program and the site (a GET form), then the students
    (one, or several for a cohort), unit, period, model and notes."""
    require_role(request.user, "coordinator")
    # The program and site come from the first step's query string, then ride along
    # in the second step's form (hidden), so the write judges them again.
    start = RequestStartForm(
        (request.POST if request.method == "POST" else request.GET) or None, user=request.user
    )
    form = None
    if start.is_valid():
        program, site = start.cleaned_data["program"], start.cleaned_data["site"]
        form = PlacementRequestForm(
            request.POST or None, user=request.user, program=program, site=site
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                made = services.request_create(
                    students=list(data["students"]),
                    site=site,
                    unit=data["unit"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    model=data["model"],
                    notes=data["notes"],
                    requested_by=request.user,
                )
            except ValidationError as error:
                attach_service_errors(form, error)
            else:
                for made_request in made:
                    audit_record(request, AuditAction.CREATE, made_request)
                messages.success(
                    request,
                    f"{len(made)} placement request{'s' * (len(made) != 1)} sent to {site.name}.",
                )
                if len(made) == 1:
                    return redirect("placements:request_detail", pk=made[0].pk)
                return redirect("placements:request_list")
    return render(request, "placements/request_form.html", {"start": start, "form": form})


@require_GET
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _request_for_page(request, pk)
    changes = placement_request.changes.select_related("changed_by").order_by("changed_at", "id")
    can_answer = requests_answerable_by(request.user).filter(pk=pk).exists()
    can_coordinate = requests_coordinated_by(request.user).filter(pk=pk).exists()
    status = placement_request.status
    return render(
        request,
        "placements/request_detail.html",
        {
            "req": placement_request,
            "changes": changes,
            "answer": can_answer and status == PlacementRequestStatus.REQUESTED,
            "take_proposal": can_coordinate and status == PlacementRequestStatus.PROPOSED,
            "withdraw": can_coordinate and placement_request.is_open,
            "note_form": RequestNoteForm(),
            # The placement's own page, for those who may open it (its site's side).
            "placement_link": placement_request.placement_id is not None
            and placements_visible_to(request.user)
            .filter(pk=placement_request.placement_id)
            .exists(),
        },
    )


def _request_step_done(request, placement_request, done: str) -> HttpResponse:
    audit_record(request, AuditAction.CHANGE, placement_request)
    messages.success(request, done)
    return redirect("placements:request_detail", pk=placement_request.pk)


def _request_step_refused(request, placement_request, error: ValidationError) -> HttpResponse:
    messages.error(request, "Nothing was changed: " + " ".join(error.messages))
    return redirect("placements:request_detail", pk=placement_request.pk)


@require_POST
def request_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _answerable_or_403(request, pk)
    form = RequestNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.request_accept(request=placement_request, by=request.user, note=note)
    except ValidationError as error:
        return _request_step_refused(request, placement_request, error)
    return _request_step_done(
        request, placement_request, "Request accepted: the placement is confirmed."
    )


@require_http_methods(["GET", "POST"])
def request_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _answerable_or_403(request, pk)
    form = RequestDeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_decline(
                request=placement_request, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            return _request_step_done(request, placement_request, "Request declined.")
    return render(
        request,
        "placements/request_step.html",
        {"req": placement_request, "form": form, "step": "decline"},
    )


@require_http_methods(["GET", "POST"])
def request_propose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _answerable_or_403(request, pk)
    form = RequestProposeForm(request.POST or None, request=placement_request)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_propose(
                request=placement_request, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            return _request_step_done(
                request, placement_request, "Proposal sent to the program's coordinators."
            )
    return render(
        request,
        "placements/request_step.html",
        {"req": placement_request, "form": form, "step": "propose"},
    )


@require_POST
def request_accept_proposal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _coordinated_or_403(request, pk)
    try:
        services.request_accept_proposal(request=placement_request, by=request.user)
    except ValidationError as error:
        return _request_step_refused(request, placement_request, error)
    return _request_step_done(
        request, placement_request, "Proposal taken: the request awaits the site's answer again."
    )


@require_POST
def request_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement_request = _coordinated_or_403(request, pk)
    form = RequestNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.request_withdraw(request=placement_request, by=request.user, note=note)
    except ValidationError as error:
        return _request_step_refused(request, placement_request, error)
    return _request_step_done(request, placement_request, "Request withdrawn.")


@require_GET
def offer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Coordinators: the open offers, with their free places, to claim. Facilitators:
    their sites' offers, to publish and close."""
    require_role(request.user, "coordinator", "facilitator")
    offers = (
        offers_visible_to(request.user)
        .with_taken()
        .select_related("site", "unit", "profession")
        .order_by("closed_at", "start_date", "id")
    )
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    manageable = set(
        offers_manageable_by(request.user)
        .filter(pk__in=[offer.pk for offer in page])
        .values_list("pk", flat=True)
    )
    for offer in page:
        offer.free = max(offer.places - offer.taken, 0)
        offer.can_close = offer.pk in manageable and offer.closed_at is None
    user = request.user
    return render(
        request,
        "placements/offer_list.html",
        {
            "page": page,
            "can_publish": has_role(user, "facilitator") or user.is_admin,
            "can_claim": has_role(user, "coordinator") or user.is_admin,
        },
    )


@require_http_methods(["GET", "POST"])
def offer_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    form = PlacementOfferForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(**form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CREATE, offer)
            messages.success(request, "Offer published: coordinators can now claim its places.")
            return redirect("placements:offer_list")
    return render(request, "placements/offer_form.html", {"form": form})


@require_POST
def offer_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, "facilitator")
    offer = get_visible_or_404(request, offers_manageable_by(request.user), pk=pk)
    services.offer_close(offer=offer)
    audit_record(request, AuditAction.CHANGE, offer)
    messages.success(request, "Offer closed: its places claimed so far stay.")
    return redirect("placements:offer_list")


@require_http_methods(["GET", "POST"])
def offer_claim(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, "coordinator")
    offer = get_visible_or_404(
        request,
        offers_claimable_by(request.user).with_taken().select_related("site", "unit", "profession"),
        pk=pk,
    )
    offer.free = max(offer.places - offer.taken, 0)
    form = OfferClaimForm(request.POST or None, user=request.user, offer=offer)
    if request.method == "POST" and form.is_valid():
        try:
            claimed = services.offer_claim(
                offer=offer, students=list(form.cleaned_data["students"]), claimed_by=request.user
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            for made_request in claimed:
                audit_record(request, AuditAction.CREATE, made_request)
            messages.success(
                request,
                f"{len(claimed)} place{'s' * (len(claimed) != 1)} claimed at {offer.site.name}: "
                "the placements are confirmed.",
            )
            return redirect("placements:request_list")
    return render(request, "placements/offer_claim.html", {"offer": offer, "form": form})
