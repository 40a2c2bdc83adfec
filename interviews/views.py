"""Views of the interviews app: thin — parse the form, call a service, redirect or render.
Every object is fetched through ipcop.permissions (another site's object answers 404; a
visible object without the role to change it answers 403)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.audit import audit_record, audit_records, get_visible_or_404
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditAction
from interviews import services
from interviews.forms import (
    CancelForm,
    ConsentForm,
    FollowUpFilterForm,
    InterviewRecordForm,
    QuoteForm,
    ReportForm,
    ScheduleForm,
    ThemeForm,
    ThemeMergeForm,
)
from interviews.ics import feed_ics
from interviews.models import CalendarFeed, FollowUp, Quote, Theme
from interviews.selectors.followups import calendar_followups, followup_counts, followup_page
from interviews.selectors.report import (
    OutcomesReport,
    outcomes_report_cached,
    outcomes_report_rows,
    report_site_choices,
)
from interviews.selectors.report_charts import outcomes_charts
from ipcop.lib.cache import content_key
from ipcop.lib.forms import attach_service_errors
from ipcop.lib.spreadsheet import spreadsheet_row
from ipcop.permissions import (
    calendar_feed_served_to,
    followups_manageable_by,
    followups_visible_to,
    interview_records_visible_to,
    require_role,
    site_choices_for,
    sites_facilitated_by,
)

PAGE_SIZE = 50


def _visible_followup(request: AuthenticatedHttpRequest, pk: int) -> FollowUp:
    return get_visible_or_404(
        request,
        followups_visible_to(request.user).select_related("participant", "site", "interviewer"),
        pk=pk,
    )


def _manageable_followup(request: AuthenticatedHttpRequest, pk: int) -> FollowUp:
    """404 if the person may not see the follow-up; 403 if they see it but may not manage
    it (the participant, or an interviewer who is not the site's facilitator)."""
    followup = _visible_followup(request, pk)
    if not followups_manageable_by(request.user).filter(pk=followup.pk).exists():
        raise PermissionDenied("Only the site's facilitators manage this follow-up.")
    return followup


# --- Follow-ups ------------------------------------------------------------------------


@require_GET
def followup_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET or None, site_choices=site_choices_for(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    site, status, due = filters.get("site"), filters.get("status"), filters.get("due")
    visible = followups_visible_to(request.user)
    counts = followup_counts(
        request.user,
        managed_sites=sites_facilitated_by(request.user),
        site=site,
    )
    query = request.GET.copy()
    for cursor_param in ("page", "after", "before", "n"):
        query.pop(cursor_param, None)
    # Keyset pagination in the list's order (due date, id): a late page costs what the
    # first costs, and the caption's count stops at 1,000.
    page = followup_page(
        visible,
        site=site,
        status=status,
        due=due,
        counts=counts,
        params=request.GET,
        per_page=PAGE_SIZE,
        query=query.urlencode(),
    )
    return render(
        request,
        "interviews/followup_list.html",
        {
            "form": form,
            "page": page,
            # The rows render from these alone (their HTML is cached under them).
            "rows_key": content_key(page.object_list),
            "counts": counts,
            "site_param": f"site={site}&" if site else "",
            "can_manage": request.user.is_admin or request.user.is_facilitator,
        },
    )


@require_GET
def followup_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _visible_followup(request, pk)
    can_manage = followups_manageable_by(request.user).filter(pk=followup.pk).exists()
    record = (
        interview_records_visible_to(request.user)
        .filter(followup=followup)
        .prefetch_related("themes", "quotes__theme")
        .first()
        if can_manage
        else None
    )
    reminders = (
        followup.reminders.select_related("recipient").order_by("send_at") if can_manage else []
    )
    # The follow-up and, for its managers, the confidential record it shows.
    seen: list[Model] = [followup] if record is None else [followup, record]
    audit_records(request, AuditAction.VIEW, seen, site_id=followup.site_id)
    return render(
        request,
        "interviews/followup_detail.html",
        {
            "followup": followup,
            "can_manage": can_manage,
            "record": record,
            "reminders": reminders,
            "cancel_form": CancelForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def followup_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _manageable_followup(request, pk)
    initial = {
        "interviewer": followup.interviewer_id or request.user.pk,
        "scheduled_at": followup.scheduled_at and timezone.localtime(followup.scheduled_at),
        "mode": followup.mode,
        "location": followup.location,
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_schedule(followup=followup, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, followup)
            messages.success(request, "Interview scheduled; the invitations are on their way.")
            return redirect("interviews:followup_detail", pk=followup.pk)
    return render(
        request,
        "interviews/followup_schedule.html",
        {"followup": followup, "form": form, "rescheduling": followup.status == "scheduled"},
    )


CLOSE_SERVICES = {
    "cancel": (services.followup_cancel, "Follow-up cancelled."),
    "decline": (services.followup_decline, "Recorded that the participant declined."),
    "missed": (services.followup_mark_missed, "Recorded that the interview was missed."),
}


@require_POST
def followup_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _manageable_followup(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened to the follow-up.")
        return redirect("interviews:followup_detail", pk=followup.pk)
    service, done = CLOSE_SERVICES[form.cleaned_data["action"]]
    try:
        service(followup=followup)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        audit_record(request, AuditAction.CHANGE, followup)
        messages.success(request, done)
    return redirect("interviews:followup_detail", pk=followup.pk)


# --- Interview records (confidential) --------------------------------------------------


@require_http_methods(["GET", "POST"])
def record_consent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _manageable_followup(request, pk)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        existed = interview_records_visible_to(request.user).filter(followup=followup).exists()
        try:
            record = services.interview_consent_record(
                followup=followup, consent_given=form.cleaned_data["consent_given"], by=request.user
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE if existed else AuditAction.CREATE, record)
            if record.consent_given:
                messages.success(request, "Consent recorded. You can now record the interview.")
                return redirect("interviews:record_interview", pk=followup.pk)
            messages.info(request, "Recorded that the participant declined.")
            return redirect("interviews:followup_detail", pk=followup.pk)
    return render(request, "interviews/record_consent.html", {"followup": followup, "form": form})


@require_http_methods(["GET", "POST"])
def record_interview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _manageable_followup(request, pk)
    record = interview_records_visible_to(request.user).filter(followup=followup).first()
    if record is None or not record.consent_given:
        messages.info(request, "Record the participant's consent first.")
        return redirect("interviews:record_consent", pk=followup.pk)
    initial = {
        # Usually recorded on the day it took place; a planned day in the future would
        # be refused.
        "conducted_on": record.conducted_on or timezone.localdate(),
        "notes": record.notes,
        "themes": list(record.themes.all()),
    }
    form = InterviewRecordForm(request.POST or None, initial=initial)
    if request.method == "GET":
        audit_record(request, AuditAction.VIEW, record)  # the form shows the notes
    if request.method == "POST" and form.is_valid():
        try:
            services.interview_record_save(followup=followup, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, record)
            messages.success(request, "Interview recorded.")
            return redirect("interviews:followup_detail", pk=followup.pk)
    return render(request, "interviews/record_interview.html", {"followup": followup, "form": form})


def _visible_record(request: AuthenticatedHttpRequest, pk: int):
    followup = _manageable_followup(request, pk)
    return get_visible_or_404(
        request, interview_records_visible_to(request.user), followup=followup
    )


@require_http_methods(["GET", "POST"])
def quote_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = _visible_record(request, pk)
    form = QuoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_add(record=record, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, record)
            messages.success(request, "Quote added.")
            return redirect("interviews:followup_detail", pk=pk)
    return render(
        request, "interviews/quote_form.html", {"followup": record.followup, "form": form}
    )


@require_POST
def quote_delete(request: AuthenticatedHttpRequest, pk: int, quote_pk: int) -> HttpResponse:
    record = _visible_record(request, pk)
    services.quote_delete(quote=get_object_or_404(Quote, pk=quote_pk, record=record))
    audit_record(request, AuditAction.CHANGE, record)
    messages.success(request, "Quote removed.")
    return redirect("interviews:followup_detail", pk=pk)


# --- The codebook ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def theme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Facilitators read the codebook; only admins change it, because it codes every
    site's interviews: a rename or merge at one site would change the others' coding."""
    require_role(request.user, "facilitator")
    if request.method == "POST":
        require_role(request.user, "admin")
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            theme = services.theme_add(**form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, f"Theme “{theme}” added.")
            return redirect("interviews:theme_list")
    themes = (
        Theme.objects.select_related("merged_into")
        .annotate(
            record_count=Count("records", distinct=True),
            quote_count=Count("quotes", distinct=True),
        )
        # The current codebook first, merged themes after it.
        .order_by(F("merged_into").asc(nulls_first=True), "order", "name")
    )
    return render(
        request,
        "interviews/theme_list.html",
        {"themes": themes, "form": form, "can_edit": request.user.is_admin},
    )


@require_http_methods(["GET", "POST"])
def theme_rename(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, "admin")  # the codebook is shared by every site
    theme = get_object_or_404(Theme.objects.active(), pk=pk)
    form = ThemeForm(
        request.POST or None, initial={"name": theme.name, "description": theme.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.theme_rename(theme=theme, **form.cleaned_data)
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Theme renamed; its coding follows it.")
            return redirect("interviews:theme_list")
    return render(request, "interviews/theme_rename.html", {"theme": theme, "form": form})


@require_http_methods(["GET", "POST"])
def theme_merge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, "admin")  # the codebook is shared by every site
    theme = get_object_or_404(Theme.objects.active(), pk=pk)
    form = ThemeMergeForm(request.POST or None, theme=theme)
    if request.method == "POST" and form.is_valid():
        try:
            target = services.theme_merge(source=theme, target=form.cleaned_data["target"])
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(
                request, f"“{theme}” merged into “{target}”; its coding moved with it."
            )
            return redirect("interviews:theme_list")
    return render(request, "interviews/theme_merge.html", {"theme": theme, "form": form})


# --- Private calendar feed -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def calendar_feed_manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "facilitator")
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(owner=request.user)
            messages.success(request, "Your calendar feed address no longer works.")
            return redirect("interviews:calendar_feed_manage")
        _, token = services.calendar_feed_create(owner=request.user)
        # Shown once: only a digest of the token is stored.
        feed_url = request.build_absolute_uri(reverse("interviews:calendar_feed", args=[token]))
    active = CalendarFeed.objects.active().filter(owner=request.user).first()
    return render(
        request, "interviews/calendar_feed.html", {"active_feed": active, "feed_url": feed_url}
    )


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar program subscribes to; the unguessable token is the key."""
    feed = (
        CalendarFeed.objects.active()
        .select_related("owner")
        .filter(token_digest=services.calendar_token_digest(token), owner__is_active=True)
        .first()
    )
    if feed is None or not calendar_feed_served_to(feed.owner):
        raise Http404("No such calendar.")
    response = HttpResponse(
        feed_ics(
            calendar_followups(feed.owner, visible=followups_visible_to(feed.owner)),
            name=f"IPCoP interviews — {feed.owner}",
        ),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- The outcomes report ---------------------------------------------------------------


def _report(request: AuthenticatedHttpRequest) -> tuple[ReportForm, OutcomesReport | None]:
    require_role(request.user, "facilitator")
    # Without parameters, the defaults (all the person's sites, the last year) are valid.
    form = ReportForm(
        request.GET or {}, site_choices=report_site_choices(sites_facilitated_by(request.user))
    )
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, outcomes_report_cached(sites=form.sites(), start=data["start"], end=data["end"])


@require_GET
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, outcomes = _report(request)
    if outcomes is not None:
        # Empty date inputs show the period the report covers (by default the last year).
        shown = request.GET.copy()
        for name, day in (("start", outcomes.start), ("end", outcomes.end)):
            if not shown.get(name):
                shown[name] = day.isoformat()
        form.data = shown
    return render(
        request,
        "interviews/report.html",
        {
            "form": form,
            "report": outcomes,
            "charts": outcomes_charts(outcomes) if outcomes else None,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def report_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, outcomes = _report(request)
    if outcomes is None:
        return render(request, "interviews/report.html", {"form": form, "report": None}, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ipcop-outcomes-{outcomes.start}-{outcomes.end}.csv"'
    )
    writer = csv.writer(response)
    for row in outcomes_report_rows(outcomes):
        # Neutralise spreadsheet formulas in free text (quotes, titles).
        writer.writerow(spreadsheet_row(row))
    return response
