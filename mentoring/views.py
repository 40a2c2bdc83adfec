"""Views of the mentoring app: thin — fetch through ipcop.permissions, call a service,
redirect or render."""

from __future__ import annotations

import csv
import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import audit_record, get_visible_or_404
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditAction
from ipcop.lib.cache import content_key
from ipcop.lib.forms import attach_service_errors
from ipcop.lib.params import id_param
from ipcop.lib.spreadsheet import spreadsheet_row
from ipcop.permissions import (
    evaluation_content_readable_by,
    evaluations_acknowledgeable_by,
    evaluations_visible_to,
    evaluations_writable_by,
    placements_manageable_by,
    placements_open_to_feedback_from,
    placements_visible_to,
    require_role,
    session_reflections_readable_by,
    sessions_manageable_by,
    sessions_visible_to,
    sites_facilitated_by,
    sites_visible_to,
    sites_where_sessions_loggable_by,
    students_visible_to,
)
from placements.models import Student

from . import selectors, services
from .forms import (
    AcknowledgeForm,
    DateRangeForm,
    EvaluationForm,
    FeedbackForm,
    ReflectionForm,
    SessionFilterForm,
    SessionForm,
    TeamForm,
)
from .models import (
    CompetencyDomain,
    MentorAssignment,
    MentoringSession,
    SessionStudent,
    StudentPlacementFeedback,
)

PAGE_SIZE = 25


def _int_param(request: AuthenticatedHttpRequest, name: str) -> int | None:
    """A numeric GET parameter, or None when absent or malformed (the filter is ignored)."""
    return id_param(request.GET.get(name, ""))


# --- Session log -----------------------------------------------------------------------


def _session_form(request, *, site, data=None, initial=None, session=None):
    """The session form for `site`: its placed students, its staff, the students'
    frameworks' domains (the default framework when none is named)."""
    placements = list(selectors.session_candidate_placements(site))
    students = {p.student_id: p.student for p in placements}
    if session is not None:
        # Students already recorded stay listed even if their placement has since ended.
        for row in session.attendance.select_related(
            "student__user", "student__program__profession", "student__program__framework"
        ):
            students.setdefault(row.student_id, row.student)
    default = selectors.default_framework()
    frameworks = {selectors.framework_of(s, default).pk for s in students.values()} or {default.pk}
    student_qs = (
        Student.objects.filter(pk__in=list(students))
        .select_related("user", "program__profession")
        .order_by("user__full_name", "pk")
    )
    if session is None:
        staff = selectors.site_staff(site).exclude(pk=request.user.pk)
    else:
        # People recorded earlier stay listed even if they have since left the site.
        staff = selectors.site_staff(site, also=session.professionals.all()).exclude(
            pk=session.logged_by_id
        )
    domains = CompetencyDomain.objects.filter(framework__in=frameworks).select_related("framework")
    return SessionForm(
        data,
        initial=initial,
        students=student_qs,
        professionals=staff,
        domains=domains,
        duration=session.duration_minutes if session else None,
    ), placements


@require_http_methods(["GET", "POST"])
def session_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "preceptor", "facilitator")
    loggable = sites_where_sessions_loggable_by(request.user)
    placement = None
    placement_id = _int_param(request, "placement")
    if placement_id is not None:
        placement = get_object_or_404(placements_visible_to(request.user), pk=placement_id)
    site_id = placement.site_id if placement else _int_param(request, "site")
    if site_id is None:
        mentored_sites = list(
            loggable.filter(
                pk__in=selectors.placements_mentored_now(request.user).values("site")
            ).order_by("name")
        ) or list(loggable.order_by("name")[:50])
        if len(mentored_sites) == 1:
            site = mentored_sites[0]
        else:
            return render(request, "mentoring/session_choose_site.html", {"sites": mentored_sites})
    else:
        if not sites_visible_to(request.user).filter(pk=site_id).exists():
            raise Http404("No such site.")
        site = loggable.filter(pk=site_id).first()
        if site is None:
            raise PermissionDenied("You do not log sessions at this site.")

    if request.method == "POST":
        form, _ = _session_form(request, site=site, data=request.POST)
        if form.is_valid():
            try:
                session = services.session_log(
                    logged_by=request.user, site=site, **form.cleaned_data
                )
            except ValidationError as error:
                attach_service_errors(form, error)
            else:
                messages.success(request, "Session logged.")
                return redirect("mentoring:session_detail", pk=session.pk)
    else:
        if placement is not None:
            preselected = [placement.student_id]
        else:
            preselected = list(
                selectors.placements_mentored_now(request.user)
                .filter(site=site)
                .values_list("student_id", flat=True)
            )
        form, _ = _session_form(
            request,
            site=site,
            initial={
                "students": preselected,
                "held_on": timezone.localdate(),
                "duration_minutes": 60,
            },
        )
    return render(
        request, "mentoring/session_form.html", {"form": form, "site": site, "session": None}
    )


def _visible_session(request, pk):
    return get_object_or_404(
        sessions_visible_to(request.user).select_related("site", "logged_by__profession"), pk=pk
    )


def _manageable_session(request, pk):
    """404 for a session the person cannot see; 403 if they may see but not change it,
    or if the edit window has closed for them."""
    session = _visible_session(request, pk)
    if not sessions_manageable_by(request.user).filter(pk=session.pk).exists():
        if session.logged_by_id == request.user.pk:
            raise PermissionDenied(
                "The edit window has closed: ask a facilitator of the site to change this session."
            )
        raise PermissionDenied("Only the preceptor who logged it or a facilitator can change it.")
    return session


@require_http_methods(["GET"])
def session_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _session_page(request, _visible_session(request, pk))


def _session_page(
    request: AuthenticatedHttpRequest,
    session: MentoringSession,
    reflection_form: ReflectionForm | None = None,
) -> HttpResponse:
    """The session's page; `reflection_form`, a refused reflection, shown with its errors."""
    attendance: list = list(  # rows get the reflection each viewer is shown
        session.attendance.select_related("student__user", "student__program__profession").order_by(
            "student__user__full_name"
        )
    )
    own = next((row for row in attendance if row.student.user_id == request.user.pk), None)
    if own and reflection_form is None:
        reflection_form = ReflectionForm(initial={"reflection": own.reflection})
    readable = session_reflections_readable_by(request.user, session)
    for row in attendance:
        # The student's own reflection is in their form, not repeated above it.
        row.shown_reflection = row.reflection if readable and row is not own else ""
    return render(
        request,
        "mentoring/session_detail.html",
        {
            "session": session,
            "attendance": attendance,
            "professionals": session.professional_attendance.select_related("person", "profession"),
            "domains": session.domains.select_related("framework"),
            "can_edit": sessions_manageable_by(request.user).filter(pk=session.pk).exists(),
            "own_attendance": own,
            "reflections_readable": readable,
            "reflection_form": reflection_form,
        },
    )


@require_http_methods(["GET", "POST"])
def session_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _manageable_session(request, pk)
    if request.method == "POST":
        form, _ = _session_form(request, site=session.site, data=request.POST, session=session)
        if form.is_valid():
            try:
                services.session_update(session=session, **form.cleaned_data)
            except ValidationError as error:
                attach_service_errors(form, error)
            else:
                messages.success(request, "Session updated.")
                return redirect("mentoring:session_detail", pk=session.pk)
    else:
        initial = {
            "held_on": session.held_on,
            "duration_minutes": session.duration_minutes,
            "students": list(session.attendance.values_list("student_id", flat=True)),
            # The logger is always counted as present and is not offered as a choice.
            "professionals": list(
                session.professional_attendance.exclude(person=session.logged_by_id).values_list(
                    "person_id", flat=True
                )
            ),
            "activity": session.activity,
            "domains": list(session.domains.values_list("pk", flat=True)),
            "notes": session.notes,
        }
        form, _ = _session_form(request, site=session.site, initial=initial, session=session)
    return render(
        request,
        "mentoring/session_form.html",
        {"form": form, "site": session.site, "session": session},
    )


@require_http_methods(["GET", "POST"])
def session_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _manageable_session(request, pk)
    if request.method == "POST":
        services.session_delete(session=session)
        messages.success(request, "Session deleted.")
        return redirect("mentoring:session_list")
    return render(request, "mentoring/session_confirm_delete.html", {"session": session})


@require_POST
def session_reflect(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _visible_session(request, pk)
    attendance = get_object_or_404(
        SessionStudent.objects.select_related("student"),
        session=session,
        student__user=request.user,
    )
    form = ReflectionForm(request.POST)
    if form.is_valid():
        try:
            services.session_reflect(
                attendance=attendance, by=request.user, reflection=form.cleaned_data["reflection"]
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            messages.success(request, "Reflection saved.")
            return redirect("mentoring:session_detail", pk=session.pk)
    return _session_page(request, session, reflection_form=form)


@require_http_methods(["GET"])
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SessionFilterForm(request.GET or None, user=request.user)
    sessions = sessions_visible_to(request.user).matching(**form.filters)
    query = request.GET.copy()
    for cursor_param in ("after", "before", "n"):
        query.pop(cursor_param, None)
    page = selectors.sessions_page(sessions, params=request.GET, query=query.urlencode())
    return render(
        request,
        "mentoring/session_list.html",
        {
            "form": form,
            "page": page,
            # The table renders from these alone (its HTML is cached under them).
            "rows_key": content_key(page.object_list, bool(form.filters)),
            "matrix_sites": sites_facilitated_by(request.user).only("pk", "name")[:50],
            "can_log": request.user.is_admin
            or request.user.is_preceptor
            or request.user.is_facilitator,
        },
    )


# --- Mentoring teams -------------------------------------------------------------------


def _manageable_placement(request, pk):
    placement = get_visible_or_404(
        request,
        placements_visible_to(request.user).select_related(
            "student__user", "student__program__profession", "site"
        ),
        pk=pk,
    )
    if not placements_manageable_by(request.user).filter(pk=placement.pk).exists():
        raise PermissionDenied("Only the site's facilitators and admins manage mentoring teams.")
    return placement


@require_http_methods(["GET", "POST"])
def team_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _manageable_placement(request, pk)
    team = list(placement.mentors.select_related("mentor__profession", "profession"))
    candidates = selectors.site_staff(placement.site).filter(is_preceptor=True)
    form = TeamForm(
        request.POST or None,
        candidates=candidates,
        initial={
            "primary": next((a.mentor_id for a in team if a.role == "primary"), None),
            "mentors": [a.mentor_id for a in team if a.role != "primary"],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_set(
                placement=placement,
                primary=form.cleaned_data["primary"],
                mentors=form.cleaned_data["mentors"],
                by=request.user,
            )
        except ValidationError as error:
            attach_service_errors(form, error)
        else:
            audit_record(request, AuditAction.CHANGE, placement)
            messages.success(request, "Mentoring team saved.")
            return redirect("mentoring:team_edit", pk=placement.pk)
    problems = services.team_problems(
        placement=placement, members=[(a.mentor, a.role) for a in team]
    )
    return render(
        request,
        "mentoring/team_form.html",
        {"placement": placement, "team": team, "form": form, "problems": problems},
    )


@require_POST
def team_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        MentorAssignment.objects.filter(
            placement__in=placements_visible_to(request.user)
        ).select_related("mentor", "placement__student__program__profession"),
        pk=pk,
    )
    _manageable_placement(request, assignment.placement_id)
    try:
        services.mentor_remove(assignment=assignment, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        audit_record(request, AuditAction.CHANGE, assignment.placement)
        messages.success(request, f"{assignment.mentor} was removed from the team.")
    return redirect("mentoring:team_edit", pk=assignment.placement_id)


# --- Learning record and site matrix ---------------------------------------------------


@require_http_methods(["GET"])
def learning_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    student = get_visible_or_404(
        request,
        students_visible_to(request.user).select_related(
            "user", "program__profession", "program__institution", "program__framework"
        ),
        pk=pk,
    )
    audit_record(request, AuditAction.VIEW, student)
    record = selectors.learning_record(student)
    page = Paginator(record.sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    # A session links to its page only for a viewer who may open it (another site's
    # facilitator reading a transferred student's record may not): no link to a 404.
    # The student opens every session they attended.
    ids = [row["session_id"] for row in page.object_list]
    openable = (
        set(ids)
        if student.user_id == request.user.pk and request.user.is_student
        else set(sessions_visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    )
    for row in page.object_list:
        row["openable"] = row["session_id"] in openable
    return render(
        request,
        "mentoring/learning_record.html",
        {"record": record, "student": student, "page": page, "rows": page.object_list},
    )


@require_http_methods(["GET"])
def my_learning_record(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nav's "My IP learning record": the person's latest enrolment."""
    student = Student.objects.filter(user=request.user).order_by("-pk").first()
    if student is None:
        raise Http404("You are not enrolled as a student.")
    return redirect("mentoring:learning_record", pk=student.pk)


def _facilitated_site(request, pk):
    """The site (id and name) if the person facilitates it; else 404 for a site they
    cannot see, 403 if they see it. The facilitator's case is one plain query."""
    site = sites_facilitated_by(request.user).only("pk", "name").filter(pk=pk).first()
    if site is not None:
        return site
    if not sites_visible_to(request.user).filter(pk=pk).exists():
        raise Http404("No such site.")
    raise PermissionDenied("Only the site's facilitators see this page.")


MATRIX_PAGE_SIZE = 50


@require_http_methods(["GET"])
def site_matrix(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = _facilitated_site(request, pk)
    placed = selectors.students_placed_at(site)
    page = Paginator(placed, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    start = (page.number - 1) * MATRIX_PAGE_SIZE
    students = selectors.students_by_name(placed)[start : start + MATRIX_PAGE_SIZE]
    return render(
        request,
        "mentoring/site_matrix.html",
        {"site": site, "matrix": selectors.site_matrix(site, students), "page": page},
    )


@require_http_methods(["GET"])
def site_matrix_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    site = _facilitated_site(request, pk)
    students = selectors.students_by_name(selectors.students_placed_at(site))
    matrix = selectors.site_matrix(site, students)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"ip-matrix-site-{site.pk}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    header = ["Student", "Profession", "Program", "Framework"]
    header += [f"Sessions with {p.name}" for p in matrix.professions]
    for framework, domains in matrix.frameworks:
        header += [f"{d.name} ({framework.code})" for d in domains]
    writer.writerow(spreadsheet_row(header))
    for row in matrix.rows:
        student = row["student"]
        cells = [
            student.user.full_name,
            student.program.profession.name,
            str(student.program),
            row["framework"].code,
            *row["professions"],
        ]
        for counts in row["domains"]:
            cells += ["" if c is None else c for c in counts]
        writer.writerow(spreadsheet_row(cells))
    return response


# --- Recognition -----------------------------------------------------------------------


@require_http_methods(["GET"])
def recognition(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, "preceptor")
    today = timezone.localdate()
    if "start" in request.GET or "end" in request.GET:
        form = DateRangeForm(request.GET)
    else:
        form = DateRangeForm(
            {"start": (today - datetime.timedelta(days=365)).isoformat(), "end": today.isoformat()}
        )
    statement = None
    if form.is_valid():
        statement = selectors.mentoring_hours(
            request.user, form.cleaned_data["start"], form.cleaned_data["end"]
        )
    return render(
        request,
        "mentoring/recognition.html",
        {
            "form": form,
            "statement": statement,
            "today": today,
            "action": reverse("mentoring:recognition"),
            "organisation": settings.ORGANISATION_NAME,
        },
    )


# --- Placement evaluations and students' feedback ------------------------------------


@require_http_methods(["GET"])
def evaluation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everyone's evaluations page: a preceptor's students' evaluations, a facilitator's
    sites' (one site with ?site=), a student's own, with what they have to do first."""
    require_role(request.user, "student", "preceptor", "facilitator", "coordinator")
    today = timezone.localdate()
    evaluations = evaluations_visible_to(request.user)
    site_id = _int_param(request, "site")
    site = None
    if site_id is not None:
        site = sites_visible_to(request.user).only("pk", "name").filter(pk=site_id).first()
        if site is None:
            raise Http404("No such site.")
        evaluations = evaluations.filter(placement__site=site)
    counts = selectors.evaluation_tab_counts(evaluations, today)
    tab = request.GET.get("show", "")
    if tab not in selectors.EVALUATION_TABS:
        tab = "overdue" if counts["overdue"] else "due"
    rows = selectors.evaluations_of_tab(evaluations, tab, today)
    page = Paginator(rows, selectors.EVALUATIONS_PER_PAGE).get_page(request.GET.get("page"))
    writable = set(
        evaluations_writable_by(request.user)
        .filter(pk__in=[e.pk for e in page.object_list])
        .values_list("pk", flat=True)
    )
    student_part = {}
    if request.user.is_student:
        student_part = {
            "to_acknowledge": evaluations_acknowledgeable_by(request.user)
            .select_related("placement__site")
            .order_by("submitted_at", "pk")[:20],
            "feedback_due": placements_open_to_feedback_from(request.user)
            .select_related("site")
            .order_by("end_date", "pk")[:20],
        }
    return render(
        request,
        "mentoring/evaluation_list.html",
        {
            "tab": tab,
            "counts": counts,
            "page": page,
            "site": site,
            "site_param": f"site={site.pk}&" if site else "",
            "writable": writable,
            "today": today,
            **student_part,
        },
    )


def _visible_evaluation(request, pk):
    return get_visible_or_404(
        request,
        evaluations_visible_to(request.user).select_related(
            "placement__student__user",
            "placement__student__program__profession",
            "placement__student__program__institution",
            "placement__student__program__framework",
            "placement__site",
            "placement__unit",
            "evaluator__profession",
        ),
        pk=pk,
    )


def _evaluation_page(request, evaluation, acknowledge_form=None) -> HttpResponse:
    """The evaluation's page, which prints as the signed record: ratings by domain, the
    comments, and both sign-offs."""
    readable = evaluation_content_readable_by(request.user, evaluation)
    ratings = {}
    if readable:
        ratings = {r.domain_id: r for r in evaluation.ratings.all()}
    domains = services.evaluation_domains(evaluation)
    can_acknowledge = evaluations_acknowledgeable_by(request.user).filter(pk=evaluation.pk).exists()
    if can_acknowledge and acknowledge_form is None:
        acknowledge_form = AcknowledgeForm()
    return render(
        request,
        "mentoring/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "placement": evaluation.placement,
            "student": evaluation.placement.student,
            "framework": selectors.framework_of(evaluation.placement.student),
            "readable": readable,
            "rows": [(domain, ratings.get(domain.pk)) for domain in domains],
            "can_edit": evaluations_writable_by(request.user).filter(pk=evaluation.pk).exists(),
            "acknowledge_form": acknowledge_form if can_acknowledge else None,
            "team": MentorAssignment.objects.filter(placement=evaluation.placement_id)
            .select_related("mentor", "profession")
            .order_by("role", "mentor__full_name"),
            "organisation": settings.ORGANISATION_NAME,
        },
    )


@require_http_methods(["GET"])
def evaluation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evaluation = _visible_evaluation(request, pk)
    audit_record(request, AuditAction.VIEW, evaluation, site_id=evaluation.placement.site_id)
    return _evaluation_page(request, evaluation)


@require_http_methods(["GET", "POST"])
def evaluation_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evaluation = _visible_evaluation(request, pk)
    if not evaluations_writable_by(request.user).filter(pk=evaluation.pk).exists():
        if not evaluation.is_draft:
            raise PermissionDenied("This evaluation was submitted; it can no longer be changed.")
        raise PermissionDenied("Only the student's primary preceptor writes this evaluation.")
    domains = services.evaluation_domains(evaluation)
    if request.method == "POST":
        form = EvaluationForm(request.POST, domains=domains)
        submit = request.POST.get("action") == "submit"
        if form.is_valid():
            try:
                services.evaluation_save(
                    evaluation=evaluation,
                    by=request.user,
                    ratings=form.ratings,
                    overall_comments=form.cleaned_data["overall_comments"],
                    submit=submit,
                )
            except ValidationError as error:
                attach_service_errors(form, error)
            else:
                audit_record(
                    request, AuditAction.CHANGE, evaluation, site_id=evaluation.placement.site_id
                )
                if submit:
                    messages.success(
                        request, "Evaluation submitted. The student is asked to acknowledge it."
                    )
                    return redirect("mentoring:evaluation_detail", pk=evaluation.pk)
                messages.success(request, "Draft saved. Submit it when it is complete.")
                return redirect("mentoring:evaluation_edit", pk=evaluation.pk)
    else:
        initial: dict = {"overall_comments": evaluation.overall_comments}
        for rating in evaluation.ratings.all():
            initial[services.domain_key(rating.domain_id)] = rating.rating
            initial[f"comment_{rating.domain_id}"] = rating.comment
        form = EvaluationForm(initial=initial, domains=domains)
    return render(
        request,
        "mentoring/evaluation_form.html",
        {"form": form, "evaluation": evaluation, "placement": evaluation.placement},
    )


@require_POST
def evaluation_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    evaluation = _visible_evaluation(request, pk)
    if evaluation.placement.student.user_id != request.user.pk:
        raise PermissionDenied("Only the evaluated student acknowledges this evaluation.")
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.evaluation_acknowledge(
                evaluation=evaluation, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                attach_service_errors(form, error)
                return _evaluation_page(request, evaluation, acknowledge_form=form)
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, "Evaluation acknowledged. Thank you.")
        return redirect("mentoring:evaluation_detail", pk=evaluation.pk)
    return _evaluation_page(request, evaluation, acknowledge_form=form)


@require_http_methods(["GET", "POST"])
def feedback_give(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The student's feedback on their placement: open once it has started, sent once."""
    placement = get_visible_or_404(
        request,
        placements_visible_to(request.user).select_related("student__user", "site"),
        pk=pk,
    )
    if placement.student.user_id != request.user.pk:
        raise PermissionDenied("Only the placed student gives feedback on this placement.")
    given = StudentPlacementFeedback.objects.filter(placement=placement).first()
    is_open = placements_open_to_feedback_from(request.user).filter(pk=placement.pk).exists()
    form = FeedbackForm(request.POST or None) if is_open else None
    if request.method == "POST":
        if form is None:
            messages.error(
                request,
                "You have already sent your feedback on this placement."
                if given
                else "You can give feedback once your placement has started.",
            )
            return redirect("mentoring:feedback_give", pk=placement.pk)
        if form.is_valid():
            try:
                services.feedback_submit(
                    placement=placement,
                    by=request.user,
                    answers=form.answers,
                    comments=form.cleaned_data["comments"],
                )
            except ValidationError as error:
                attach_service_errors(form, error)
            else:
                messages.success(request, "Thank you: your feedback was sent.")
                return redirect("mentoring:evaluation_list")
    return render(
        request,
        "mentoring/feedback_form.html",
        {
            "placement": placement,
            "form": form,
            "given": given,
            "due_on": services.feedback_due_on(placement=placement),
        },
    )


@require_http_methods(["GET"])
def site_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Students' feedback on their placements at a site, aggregated, for its facilitators."""
    site = _facilitated_site(request, pk)
    return render(
        request,
        "mentoring/site_feedback.html",
        {"site": site, "summary": selectors.site_feedback_summary(site)},
    )
