"""Every page of IPCoP, for every role, scanned in Chromium: axe-core finds no serious or
critical WCAG 2.2 AA violation, each page has one <h1>, and nothing scrolls sideways on a
390-pixel phone. Forms are scanned in their error state too, and the admin's main pages.

One test loads the demo once and walks every role's pages (a transactional test flushes the
database afterwards, so loading it per page would cost minutes). It collects every problem
and fails once with the whole list. Every URL name of the project must be scanned by some
role or be listed in NOT_PAGES with the reason: a new page without a scan fails here."""

from __future__ import annotations

import datetime
import json
from unittest import mock
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts import services, tasks
from accounts.models import User
from interviews.models import FollowUp, FollowUpStatus, Theme
from ipcop import permissions
from ipcop.demo.loader import (
    ADMIN_EMAIL,
    COORDINATOR_EMAILS,
    DEMO_PASSWORD,
    FACILITATOR_EMAIL,
    PRECEPTOR_EMAIL,
    STUDENT_EMAIL,
)
from mentoring.models import EvaluationStatus, MentoringSession, PlacementEvaluation
from placements.models import (
    Capacity,
    ImportJob,
    Placement,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestStatus,
    PlacementStatus,
    Program,
    Student,
)
from sites.models import CommunityOfPractice, Initiative, Meeting, Membership, Unit
from tests.browser.conftest import DESKTOP, PHONE, axe_options

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# URL names that are not HTML pages a person reads, with the reason.
NOT_PAGES = {
    "healthz": "plain-text health check for the load balancer",
    "readyz": "JSON readiness checks for monitoring",
    "logout": "POST only; its button is on every page",
    "placements:export": "CSV download",
    "placements:transition": "POST only; its buttons are on the placement page",
    "placements:import_confirm": "POST only; it re-renders the preview scanned here",
    "placements:bulk_apply": "POST only; it re-renders the bulk confirmation page scanned here",
    "sites:initiative_move": "POST only; its buttons are on the CoP page",
    "mentoring:session_reflect": "POST only; its form is on the session page",
    "mentoring:team_remove": "POST only; its buttons are on the team page",
    "mentoring:site_matrix_csv": "CSV download",
    "mentoring:evaluation_acknowledge": "POST only; its form is on the evaluation page",
    "interviews:followup_close": "POST only; its form is on the follow-up page",
    "interviews:quote_delete": "POST only; its buttons are on the follow-up page",
    "interviews:calendar_feed": "iCalendar feed",
    "interviews:report_csv": "CSV download",
    "sites:member_candidates": "JSON for the type-ahead of the add-member page",
    "placements:import_job_status": "JSON for the progress bar of the import job page",
    "placements:import_template": "CSV or Excel download",
    "placements:agreement_document": "the signed agreement's file, a download",
    "placements:request_accept": "POST only; its button is on the request page",
    "placements:request_accept_proposal": "POST only; its button is on the request page",
    "placements:request_withdraw": "POST only; its form is on the request page",
    "placements:offer_close": "POST only; its buttons are on the offers list",
}

OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Empties the page's main POST form (text to "", selects to their blank choice, boxes
# unchecked) and submits it: the page comes back in its error state.
BLANK_AND_SUBMIT_JS = """() => {
  const forms = [...document.querySelectorAll("main form, #content-main form")]
    .filter((f) => f.method.toLowerCase() === "post");
  if (!forms.length) return false;
  const form = forms.sort((a, b) => b.elements.length - a.elements.length)[0];
  for (const el of form.elements) {
    if (["hidden", "submit", "button", "file"].includes(el.type) || el.tagName === "BUTTON") continue;
    if (el.type === "checkbox" || el.type === "radio") { el.checked = false; continue; }
    if (el.tagName === "SELECT") {
      const blank = [...el.options].findIndex((o) => o.value === "");
      el.selectedIndex = blank;
      continue;
    }
    el.value = "";
  }
  form.noValidate = true;
  const button = form.querySelector("[type=submit]");
  if (button) button.click(); else form.submit();
  return true;
}"""

ERROR_MARKERS = ".invalid-feedback, .alert-danger, .errorlist, .errornote"


def _all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


class Scanner:
    """Visits pages in one browser context and writes down every problem it sees."""

    def __init__(self, browser, base_url, axe_script, *, viewport, who, phone):
        options = {"viewport": viewport, "base_url": base_url}
        if phone:
            options.update(is_mobile=True, has_touch=True)
        self.context = browser.new_context(**options)
        # axe-core is added to every page as it loads, instead of injected per scan.
        self.context.add_init_script(axe_script)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.who = who
        self.phone = phone
        self.problems: list[str] = []
        self.covered: set[str] = set()
        self.scanned = 0
        self.links: dict[str, tuple[str, str]] = {}  # URL name → (a link to it, found on)

    def log_in(self, email):
        page = self.page
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()
        assert "/accounts/login/" not in page.url, f"{self.who} could not log in"

    def _cover(self, url):
        path = urlparse(url).path
        if path.startswith("/admin/"):
            return
        self.covered.add(resolve(path).view_name)

    def check(self, label, *, status=200, response=None):
        """Scan the page now in the browser."""
        page = self.page
        where = f"{self.who} {label} ({page.url})"
        self.scanned += 1
        if response is not None and response.status != status:
            self.problems.append(f"{where}: HTTP {response.status}, expected {status}")
        h1 = page.locator("h1").count()
        if h1 != 1:
            self.problems.append(f"{where}: {h1} <h1> elements")
        self._collect_links(where)
        if self.phone:
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow > 0:
                self.problems.append(f"{where}: scrolls sideways by {overflow}px at 390px")
        results = page.evaluate(f"axe.run(document, {json.dumps(axe_options())})")
        for violation in results["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:4]
                self.problems.append(
                    f"{where}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} {targets}"
                )

    def _collect_links(self, where):
        """Remember one link per URL name seen on the page (the admin's own links aside)."""
        here = urlparse(self.page.url)
        for href in self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urlparse(href)
            if link.netloc != here.netloc or link.path.startswith(("/admin/", "/static/")):
                continue
            if link.path == here.path:  # the skip link, a page's own filters
                continue
            try:
                name = resolve(link.path).view_name
            except Resolver404:
                self.problems.append(f"{where}: a link to a page that does not exist: {href}")
                continue
            self.links.setdefault(name, (href, where))

    def check_links(self):
        """Every kind of link the role was shown opens for them: no link to a 403 or 404."""
        for href, where in self.links.values():
            status = self.context.request.get(href).status
            if status >= 400:
                self.problems.append(f"{where}: its link {href} answers HTTP {status}")

    def visit(self, url, *, status=200):
        response = self.page.goto(url)
        self._cover(url)
        self.check(url, status=status, response=response)

    def error_state(self, url):
        """Open the form at `url`, submit it blank, scan the page with its errors."""
        page = self.page
        page.goto(url)
        self._cover(url)
        with page.expect_navigation():
            assert page.evaluate(BLANK_AND_SUBMIT_JS), f"no form at {url}"
        if page.locator(ERROR_MARKERS).count() == 0:
            self.problems.append(f"{self.who} {url}: the blank form showed no error")
        self.check(f"{url} [errors]")

    def close(self):
        self.context.close()


def _world():
    """The demo rows each role's pages are about."""
    today = timezone.localdate()
    facilitator = User.objects.get(email=FACILITATOR_EMAIL)
    preceptor = User.objects.get(email=PRECEPTOR_EMAIL)
    site = permissions.sites_facilitated_by(facilitator).order_by("pk").first()
    cop = CommunityOfPractice.objects.filter(site=site).order_by("pk").first()
    placement = (
        Placement.objects.filter(site=site, status=PlacementStatus.ACTIVE, mentors__isnull=False)
        .order_by("pk")
        .first()
    )
    followups = FollowUp.objects.filter(site=site).order_by("pk")
    consented = followups.filter(record__consent_given=True).first()
    open_followup = followups.filter(
        status__in=[FollowUpStatus.PENDING, FollowUpStatus.SCHEDULED]
    ).first()
    preceptor_session = (
        MentoringSession.objects.filter(
            logged_by=preceptor, held_on__gte=today - datetime.timedelta(days=7)
        )
        .order_by("-held_on", "pk")
        .first()
    )
    student = Student.objects.filter(user__email=STUDENT_EMAIL).first()
    student_session = (
        MentoringSession.objects.filter(attendance__student=student).order_by("-held_on").first()
    )
    world = {
        "site": site,
        "unit": Unit.objects.filter(site=site).order_by("pk").first(),
        "cop": cop,
        "membership": Membership.objects.filter(community=cop, left_on__isnull=True)
        .order_by("pk")
        .first(),
        "meeting": Meeting.objects.filter(community=cop).order_by("pk").first(),
        "initiative": Initiative.objects.filter(community=cop).order_by("pk").first(),
        "placement": placement,
        "capacity": Capacity.objects.filter(site=site).order_by("pk").first(),
        "session": MentoringSession.objects.filter(site=site).order_by("-held_on").first(),
        "open_followup": open_followup,
        "consented_followup": consented,
        "theme": Theme.objects.active().order_by("pk").first(),
        "program": Program.objects.order_by("pk").first(),
        "preceptor_session": preceptor_session,
        "preceptor_placement": Placement.objects.filter(
            mentors__mentor=preceptor, status=PlacementStatus.ACTIVE
        )
        .order_by("pk")
        .first(),
        "preceptor_cop": CommunityOfPractice.objects.filter(memberships__person=preceptor)
        .order_by("pk")
        .first(),
        "student": student,
        "student_placement": Placement.objects.filter(student=student).order_by("pk").first(),
        "student_session": student_session,
        "agreement": permissions.agreements_visible_to(facilitator).order_by("pk").first(),
        "open_request": PlacementRequest.objects.filter(
            site__in=permissions.sites_facilitated_by(facilitator),
            status=PlacementRequestStatus.REQUESTED,
        )
        .order_by("pk")
        .first(),
        "proposed_request": PlacementRequest.objects.filter(
            status=PlacementRequestStatus.PROPOSED
        ).first(),
        "open_offer": PlacementOffer.objects.open().order_by("pk").first(),
        "coordinated_program": Program.objects.filter(coordinators__email=COORDINATOR_EMAILS[0])
        .order_by("pk")
        .first(),
    }
    evaluations = PlacementEvaluation.objects.order_by("due_on", "pk")
    world |= {
        "site_evaluation": evaluations.filter(placement__site=site).first(),
        "preceptor_evaluation": evaluations.filter(
            status=EvaluationStatus.DRAFT,
            placement__mentors__mentor=preceptor,
            placement__mentors__role="primary",
        ).first(),
        "student_evaluation": evaluations.filter(
            placement__student=student, status=EvaluationStatus.SUBMITTED
        ).first(),
        "student_active_placement": Placement.objects.filter(
            student=student, status=PlacementStatus.ACTIVE
        ).first(),
    }
    missing = [name for name, row in world.items() if row is None]
    assert not missing, f"the demo lacks rows the scan needs: {missing}"
    return world


def _facilitator_pages(s: Scanner, w) -> None:
    site, cop, placement = w["site"], w["cop"], w["placement"]
    for url in [
        "/",
        "/sites/",
        f"/sites/{site.pk}/",
        "/sites/new/",
        f"/sites/{site.pk}/edit/",
        f"/sites/{site.pk}/units/new/",
        f"/sites/units/{w['unit'].pk}/edit/",
        f"/sites/{site.pk}/cops/new/",
        "/sites/cops/",
        f"/sites/cops/{cop.pk}/",
        f"/sites/cops/{cop.pk}/edit/",
        f"/sites/cops/{cop.pk}/members/new/",
        f"/sites/members/{w['membership'].pk}/end/",
        f"/sites/cops/{cop.pk}/meetings/new/",
        f"/sites/meetings/{w['meeting'].pk}/",
        f"/sites/cops/{cop.pk}/initiatives/new/",
        f"/sites/initiatives/{w['initiative'].pk}/edit/",
        "/placements/",
        f"/placements/?site={site.pk}&status=active&q=a",
        "/placements/?sort=-student",
        f"/placements/bulk/?action=confirm&ids={placement.pk}",
        f"/placements/bulk/?action=cancel&ids={placement.pk}",
        "/placements/bulk/",
        "/placements/new/",
        f"/placements/{placement.pk}/",
        f"/placements/{placement.pk}/edit/",
        f"/placements/{placement.pk}/cancel/",
        f"/accounts/invite/{placement.student.user_id}/",
        "/placements/capacity/",
        "/placements/capacity/?over=1",
        "/placements/capacity/new/",
        f"/placements/capacity/{w['capacity'].pk}/",
        "/placements/agreements/",
        "/placements/agreements/?expiring=1",
        f"/placements/agreements/{w['agreement'].pk}/",
        "/placements/import/",
        "/placements/calendar/",
        f"/placements/calendar/{site.pk}/",
        f"/placements/calendar/{site.pk}/?months=6",
        # Bad values: the messages next to the fields, the calendar without them.
        f"/placements/calendar/{site.pk}/?start=2026-13&months=5",
        "/mentoring/sessions/",
        "/mentoring/sessions/new/",
        f"/mentoring/sessions/new/?site={site.pk}",
        f"/mentoring/sessions/{w['session'].pk}/",
        f"/mentoring/sessions/{w['session'].pk}/edit/",
        f"/mentoring/sessions/{w['session'].pk}/delete/",
        f"/mentoring/placements/{placement.pk}/team/",
        f"/mentoring/students/{placement.student_id}/record/",
        f"/mentoring/sites/{site.pk}/matrix/",
        "/mentoring/evaluations/",
        "/mentoring/evaluations/?show=done",
        f"/mentoring/evaluations/?site={site.pk}&show=due",
        f"/mentoring/evaluations/{w['site_evaluation'].pk}/",
        f"/mentoring/sites/{site.pk}/feedback/",
        "/interviews/followups/",
        f"/interviews/followups/{w['open_followup'].pk}/",
        f"/interviews/followups/{w['consented_followup'].pk}/",
        f"/interviews/followups/{w['open_followup'].pk}/schedule/",
        f"/interviews/followups/{w['open_followup'].pk}/consent/",
        f"/interviews/followups/{w['consented_followup'].pk}/record/",
        f"/interviews/followups/{w['consented_followup'].pk}/quotes/add/",
        "/interviews/themes/",
        "/interviews/calendar/",
        "/interviews/report/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
        "/placements/requests/",
        "/placements/requests/?status=all",
        f"/placements/requests/{w['open_request'].pk}/",
        f"/placements/requests/{w['open_request'].pk}/decline/",
        f"/placements/requests/{w['open_request'].pk}/propose/",
        "/placements/offers/",
        "/placements/offers/new/",
    ]:
        s.visit(url)
    for url in [
        f"/placements/requests/{w['open_request'].pk}/decline/",
        f"/placements/requests/{w['open_request'].pk}/propose/",
        "/placements/offers/new/",
    ]:
        s.error_state(url)

    # Forms in their error state.
    for url in [
        "/sites/new/",
        f"/sites/{site.pk}/units/new/",
        f"/sites/{site.pk}/cops/new/",
        f"/sites/cops/{cop.pk}/members/new/",
        f"/sites/members/{w['membership'].pk}/end/",
        f"/sites/cops/{cop.pk}/meetings/new/",
        f"/sites/cops/{cop.pk}/initiatives/new/",
        "/placements/new/",
        f"/placements/{placement.pk}/cancel/",
        f"/placements/bulk/?action=cancel&ids={placement.pk}",
        "/placements/capacity/new/",
        "/placements/import/",
        f"/mentoring/sessions/new/?site={site.pk}",
        f"/mentoring/placements/{placement.pk}/team/",
        f"/interviews/followups/{w['open_followup'].pk}/schedule/",
        f"/interviews/followups/{w['open_followup'].pk}/consent/",
        f"/interviews/followups/{w['consented_followup'].pk}/record/",
        f"/interviews/followups/{w['consented_followup'].pk}/quotes/add/",
        "/accounts/password_change/",
    ]:
        s.error_state(url)
    s.visit("/interviews/report/?start=2026-12-31&end=2026-01-01")  # the report's own errors

    # The import preview, with a good row and a bad one.
    page = s.page
    page.goto("/placements/import/")
    page.get_by_label("What the file holds").select_option("students")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(
        files=[
            {
                "name": "students.csv",
                "mimeType": "text/csv",
                "buffer": (
                    "email,full_name,program\n"
                    f"new.student@ipcop.example,New Student,{w['program'].name}\n"
                    "not-an-email,,No such program\n"
                ).encode(),
            }
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    s.check("import preview")
    # The same import's job page (where a background import shows its progress).
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    s.visit(reverse("placements:import_job", args=[job.pk]))


def _preceptor_pages(s: Scanner, w) -> None:
    session = w["preceptor_session"]
    for url in [
        "/",
        "/sites/cops/",
        f"/sites/cops/{w['preceptor_cop'].pk}/",
        "/placements/",
        f"/placements/{w['preceptor_placement'].pk}/",
        "/mentoring/sessions/new/",
        f"/mentoring/sessions/new/?placement={w['preceptor_placement'].pk}",
        "/mentoring/sessions/",
        f"/mentoring/sessions/{session.pk}/",
        f"/mentoring/sessions/{session.pk}/edit/",
        f"/mentoring/sessions/{session.pk}/delete/",
        f"/mentoring/students/{w['preceptor_placement'].student_id}/record/",
        "/mentoring/recognition/",
        "/mentoring/recognition/?start=2026-12-31&end=2026-01-01",
        "/mentoring/evaluations/",
        f"/mentoring/evaluations/{w['preceptor_evaluation'].pk}/",
        f"/mentoring/evaluations/{w['preceptor_evaluation'].pk}/edit/",
    ]:
        s.visit(url)
    s.error_state(f"/mentoring/evaluations/{w['preceptor_evaluation'].pk}/edit/")
    s.visit(f"/sites/{w['site'].pk}/", status=403)  # the 403 page
    s.error_state(f"/mentoring/sessions/new/?placement={w['preceptor_placement'].pk}")
    s.error_state(f"/mentoring/sessions/{session.pk}/edit/")


def _student_pages(s: Scanner, w) -> None:
    for url in [
        "/",
        "/placements/",
        f"/placements/{w['student_placement'].pk}/",
        "/mentoring/sessions/",
        f"/mentoring/sessions/{w['student_session'].pk}/",
        "/mentoring/my-record/",
        f"/mentoring/students/{w['student'].pk}/record/",
        "/sites/cops/",
        "/mentoring/evaluations/",
        "/mentoring/evaluations/?show=done",
        f"/mentoring/evaluations/{w['student_evaluation'].pk}/",
        f"/mentoring/placements/{w['student_active_placement'].pk}/feedback/",
        "/placements/999999/",
    ]:
        s.visit(url, status=404 if url.endswith("999999/") else 200)
    # A reflection too long to save comes back as an error message on the session page.
    page = s.page
    page.goto(f"/mentoring/sessions/{w['student_session'].pk}/")
    page.evaluate(
        "document.querySelectorAll('textarea').forEach(t => t.removeAttribute('maxlength'))"
    )
    page.get_by_label("Your reflection").fill("x" * 2001)
    with page.expect_navigation():
        page.get_by_role("button", name="Save reflection").click()
    s.check("session page with a refused reflection")
    s.error_state(f"/mentoring/placements/{w['student_active_placement'].pk}/feedback/")


def _coordinator_pages(s: Scanner) -> None:
    coordinator = User.objects.get(email=COORDINATOR_EMAILS[0])
    student = permissions.students_visible_to(coordinator).order_by("pk").first()
    placement = permissions.placements_visible_to(coordinator).order_by("pk").first()
    assert student is not None and placement is not None
    for url in [
        "/",
        "/placements/students/",
        f"/placements/students/?program={student.program_id}&q=a",
        "/placements/",
        f"/placements/{placement.pk}/",
        f"/mentoring/students/{student.pk}/record/",
        "/placements/import/",
        "/placements/agreements/",
    ]:
        s.visit(url)
    s.error_state("/placements/import/")


def _coordinator_request_pages(s: Scanner, w) -> None:
    new_request = (
        f"/placements/requests/new/?program={w['coordinated_program'].pk}&site={w['site'].pk}"
    )
    for url in [
        "/",
        "/placements/requests/",
        "/placements/requests/?status=all",
        "/placements/requests/new/",
        new_request,
        f"/placements/requests/{w['proposed_request'].pk}/",
        "/placements/offers/",
        f"/placements/offers/{w['open_offer'].pk}/claim/",
    ]:
        s.visit(url)
    s.error_state(new_request)
    s.error_state(f"/placements/offers/{w['open_offer'].pk}/claim/")


def _anonymous_pages(s: Scanner) -> None:
    for url in [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/not-a-token/",
        "/accounts/reset/done/",
    ]:
        s.visit(url)
    s.visit(f"/accounts/invitation/{'0' * 64}/", status=404)
    s.error_state("/accounts/login/")
    s.error_state("/accounts/password_reset/")
    # An open invitation's page (its email is not sent: no worker here).
    person = User.objects.filter(last_login__isnull=True, is_active=True).order_by("pk").first()
    with mock.patch.object(tasks.send_invitation, "apply_async"):
        invitation = services.invitation_send(person=person, sent_by=None)
    s.error_state(f"/accounts/invitation/{services.invitation_token(invitation)}/")


def _admin_pages(s: Scanner, w) -> None:
    for url in [
        "/",
        "/admin/",
        "/admin/sites/site/",
        f"/admin/sites/site/{w['site'].pk}/change/",
        f"/admin/sites/communityofpractice/{w['cop'].pk}/change/",
        f"/admin/accounts/user/{User.objects.get(email=PRECEPTOR_EMAIL).pk}/change/",
        f"/admin/mentoring/mentoringsession/{w['session'].pk}/change/",
        "/admin/interviews/theme/",
        # The codebook is every site's: its admin changes it.
        "/interviews/themes/",
        f"/interviews/themes/{w['theme'].pk}/rename/",
        f"/interviews/themes/{w['theme'].pk}/merge/",
        # Affiliation agreements are recorded by admins.
        "/placements/agreements/new/",
        f"/placements/agreements/{w['agreement'].pk}/edit/",
        f"/admin/placements/affiliationagreement/{w['agreement'].pk}/change/",
    ]:
        s.visit(url)
    s.error_state("/placements/agreements/new/")
    s.error_state(f"/admin/sites/site/{w['site'].pk}/change/")
    s.error_state(f"/interviews/themes/{w['theme'].pk}/rename/")


def test_every_page_passes_axe_fits_a_phone_and_has_one_h1(browser, live_server):
    from axe_playwright_python.sync_playwright import Axe

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    world = _world()
    axe_script = Axe().axe_script
    scanners = []

    def scanner(who, *, phone=True, email=None):
        viewport = PHONE if phone else DESKTOP
        s = Scanner(browser, live_server.url, axe_script, viewport=viewport, who=who, phone=phone)
        scanners.append(s)
        if email:
            s.log_in(email)
        return s

    _anonymous_pages(scanner("anonymous"))
    _facilitator_pages(scanner("facilitator", email=FACILITATOR_EMAIL), world)
    _preceptor_pages(scanner("preceptor", email=PRECEPTOR_EMAIL), world)
    _student_pages(scanner("student", email=STUDENT_EMAIL), world)
    _coordinator_pages(scanner("coordinator", email=COORDINATOR_EMAILS[0]))
    _coordinator_request_pages(scanner("coordinator", email=COORDINATOR_EMAILS[0]), world)
    _admin_pages(scanner("admin", phone=False, email=ADMIN_EMAIL), world)
    # The full navigation bar shows on wide screens only: each role's home there too.
    for who, email in [
        ("facilitator", FACILITATOR_EMAIL),
        ("preceptor", PRECEPTOR_EMAIL),
        ("student", STUDENT_EMAIL),
        ("coordinator", COORDINATOR_EMAILS[0]),
    ]:
        scanner(f"{who} (desktop)", phone=False, email=email).visit("/")

    for s in scanners:
        s.check_links()
    problems = [problem for s in scanners for problem in s.problems]
    covered = set().union(*(s.covered for s in scanners))
    for s in scanners:
        s.close()
    unscanned = _all_url_names() - covered - set(NOT_PAGES)
    assert not unscanned, f"pages no role scans (add them above, or to NOT_PAGES): {unscanned}"
    assert problems == [], "\n".join(problems)
    assert sum(s.scanned for s in scanners) > 90
