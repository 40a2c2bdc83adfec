"""The access matrix of the whole URLconf: every URL, every persona, reads and writes.

A URL the matrix does not name fails `test_every_url_is_in_the_matrix`, so a page added
later cannot skip its access decision. Django admin is covered by its own rule (only
staff; facilitators are not staff — an admin is an admin everywhere).

Columns (see conftest): anonymous; the student on their own placement (A) and another
student's (B); the preceptor on the student they mentor (A) and a student elsewhere (B);
the facilitator at their site (A) and at another site (B); the program coordinator on a
student of their program (A) and a student of another program (B); an admin. Another
site's, program's or person's object answers 404, a missing role 403, anonymous is sent
to log in (302). A coordinator reads every active site (they choose where to ask for
places), so a site's pages answer them 403 on either side, not 404.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import AuditEvent
from tests.security.conftest import build_world

pytestmark = pytest.mark.django_db

COLUMNS = (
    ("anonymous", "a"),
    ("student", "a"),
    ("student", "b"),
    ("preceptor", "a"),
    ("preceptor", "b"),
    ("facilitator", "a"),
    ("facilitator", "b"),
    ("coordinator", "a"),
    ("coordinator", "b"),
    ("admin", "a"),
)
OK, REDIRECT, FORBIDDEN, MISSING, NOT_ALLOWED = 200, 302, 403, 404, 405
# /readyz answers the same to everyone; here 503, as no beat has ticked in the test world.
NOT_READY = 503
# Short names for the table: OK 200, GO a redirect (to log in for anonymous; after a
# write, or a write refused with a message, for others), NO 403, NF 404, XX 405.
GO, NO, NF, XX = REDIRECT, FORBIDDEN, MISSING, NOT_ALLOWED
_ = (XX,) * 10  # this method is not allowed for anyone

# name: (GET answers, POST answers), each in the order of COLUMNS:
#              anon student    preceptor  facilitator coordinator admin
#                    own other own other  own other  own other
# fmt: off
MATRIX = {
    "healthz": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), _),
    "home": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "invitation_accept": ((NF, NF, NF, NF, NF, NF, NF, NF, NF, NF), (NF, NF, NF, NF, NF, NF, NF, NF, NF, NF)),
    "invitation_send": ((GO, NO, NO, NO, NO, OK, NF, NO, NO, OK), (GO, NO, NO, NO, NO, GO, NF, NO, NO, GO)),
    "interviews:calendar_feed": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), _),
    "interviews:calendar_feed_manage": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, GO, GO, NO, NO, GO)),
    "interviews:followup_close": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NF, NF, NF, GO, NF, NF, NF, GO)),
    "interviews:followup_detail": ((GO, OK, NF, NF, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "interviews:followup_list": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "interviews:followup_schedule": ((GO, NO, NF, NF, NF, OK, NF, NF, NF, OK), (GO, NO, NF, NF, NF, OK, NF, NF, NF, OK)),
    "interviews:quote_add": ((GO, NO, NF, NF, NF, OK, NF, NF, NF, OK), (GO, NO, NF, NF, NF, GO, NF, NF, NF, GO)),
    "interviews:quote_delete": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NF, NF, NF, GO, NF, NF, NF, GO)),
    "interviews:record_consent": ((GO, NO, NF, NF, NF, OK, NF, NF, NF, OK), (GO, NO, NF, NF, NF, OK, NF, NF, NF, OK)),
    "interviews:record_interview": ((GO, NO, NF, NF, NF, OK, NF, NF, NF, OK), (GO, NO, NF, NF, NF, GO, NF, NF, NF, GO)),
    "interviews:report": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "interviews:report_csv": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    # The codebook is shared by every site: facilitators read it, admins change it.
    "interviews:theme_list": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, NO, NO, NO, NO, GO)),
    "interviews:theme_merge": ((GO, NO, NO, NO, NO, NO, NO, NO, NO, OK), (GO, NO, NO, NO, NO, NO, NO, NO, NO, OK)),
    "interviews:theme_rename": ((GO, NO, NO, NO, NO, NO, NO, NO, NO, OK), (GO, NO, NO, NO, NO, NO, NO, NO, NO, GO)),
    "login": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK)),
    "logout": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, GO, GO, GO, GO, GO, GO, GO, GO, GO)),
    # Evaluations follow their placement. The world's preceptor is an IP mentor: they
    # read the team's evaluations, and only the primary preceptor writes one (403).
    # Students see theirs once submitted (the draft answers 404) and alone sign them.
    "mentoring:evaluation_acknowledge": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, GO, NF, NO, NF, NO, NF, NO, NF, NO)),
    "mentoring:evaluation_detail": ((GO, OK, NF, OK, NF, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:evaluation_edit": ((GO, NF, NF, NO, NF, NO, NF, NO, NF, OK), (GO, NF, NF, NO, NF, NO, NF, NO, NF, GO)),
    "mentoring:evaluation_list": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    # A student's feedback is theirs alone to give; facilitators read it per site, summed.
    "mentoring:feedback_give": ((GO, OK, NF, NO, NF, NO, NF, NO, NF, NO), (GO, GO, NF, NO, NF, NO, NF, NO, NF, NO)),
    "mentoring:site_feedback": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:learning_record": ((GO, OK, NF, OK, NF, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:my_learning_record": ((GO, GO, GO, NF, NF, NF, NF, NF, NF, NF), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:recognition": ((GO, NO, NO, OK, OK, NO, NO, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:session_delete": ((GO, NO, NF, OK, NF, OK, NF, NF, NF, OK), (GO, NO, NF, GO, NF, GO, NF, NF, NF, GO)),
    "mentoring:session_detail": ((GO, OK, NF, OK, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:session_edit": ((GO, NO, NF, OK, NF, OK, NF, NF, NF, OK), (GO, NO, NF, GO, NF, GO, NF, NF, NF, GO)),
    "mentoring:session_list": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:session_log": ((GO, NO, NO, OK, OK, OK, OK, NO, NO, OK), (GO, NO, NO, GO, OK, GO, OK, NO, NO, OK)),
    "mentoring:session_reflect": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, GO, NF, NF, NF, NF, NF, NF, NF, NF)),
    "mentoring:site_matrix": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:site_matrix_csv": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "mentoring:team_edit": ((GO, NO, NF, NO, NF, OK, NF, NO, NF, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NF, GO)),
    "mentoring:team_remove": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NF, NO, NF, GO, NF, NO, NF, GO)),
    "password_change": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, GO, GO, GO, GO, GO, GO, GO, GO, GO)),
    "password_change_done": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "password_reset": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, GO, GO, GO, GO, GO, GO, GO, GO, GO)),
    "password_reset_complete": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), _),
    "password_reset_confirm": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), (OK, OK, OK, OK, OK, OK, OK, OK, OK, OK)),
    "password_reset_done": ((OK, OK, OK, OK, OK, OK, OK, OK, OK, OK), _),
    "readyz": ((NOT_READY,) * 10, _),
    # Without a selection the bulk page says to select placements; another site's ids are
    # refused on it (test_bulk_actions) and answer 404 when applied.
    # Affiliation agreements: facilitators read those of their sites (and zones),
    # coordinators those of their institution, admins record and change them; the
    # document is downloaded behind the same check.
    "placements:agreement_create": ((GO, NO, NO, NO, NO, NO, NO, NO, NO, OK), (GO, NO, NO, NO, NO, NO, NO, NO, NO, GO)),
    "placements:agreement_detail": ((GO, NO, NO, NO, NO, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:agreement_document": ((GO, NO, NO, NO, NO, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:agreement_edit": ((GO, NO, NO, NO, NO, NO, NF, NO, NF, OK), (GO, NO, NO, NO, NO, NO, NF, NO, NF, GO)),
    "placements:agreement_list": ((GO, NO, NO, NO, NO, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:bulk": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:bulk_apply": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, GO, NF, NO, NO, GO)),
    "placements:cancel": ((GO, NO, NF, NO, NF, OK, NF, NO, NF, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NF, GO)),
    # The calendar names every student placed at the site: its facilitators and admins.
    "placements:calendar": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:calendar_sites": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:capacity_create": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, GO, OK, NO, NO, GO)),
    "placements:capacity_edit": ((GO, NO, NO, NO, NO, OK, NF, NO, NO, OK), (GO, NO, NO, NO, NO, GO, NF, NO, NO, GO)),
    "placements:capacity_list": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:create": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, GO, OK, NO, NO, GO)),
    "placements:detail": ((GO, OK, NF, OK, NF, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:edit": ((GO, NO, NF, NO, NF, OK, NF, NO, NF, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NF, GO)),
    "placements:export": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    # A coordinator imports students (of their programs), never placements.
    "placements:import": ((GO, NO, NO, NO, NO, OK, OK, OK, OK, OK), (GO, NO, NO, NO, NO, OK, OK, OK, OK, OK)),
    "placements:import_confirm": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, GO, GO, GO, GO, GO)),
    "placements:import_template": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    # An import job is its owner's (the facilitator of A's, or of B's); admins see all.
    "placements:import_job": ((GO, NF, NF, NF, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:import_job_status": ((GO, NF, NF, NF, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:list": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    # Placement requests and offers: between a program's coordinators and a site's
    # facilitators.
    "placements:offer_claim": ((GO, NO, NO, NO, NO, NO, NO, OK, OK, OK), (GO, NO, NO, NO, NO, NO, NO, GO, OK, GO)),
    "placements:offer_close": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, GO, NF, NO, NO, GO)),
    "placements:offer_create": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, GO, OK, NO, NO, GO)),
    "placements:offer_list": ((GO, NO, NO, NO, NO, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:request_accept": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, GO, NF, NO, NF, GO)),
    "placements:request_accept_proposal": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, NO, NF, GO, NF, GO)),
    "placements:request_create": ((GO, NO, NO, NO, NO, NO, NO, OK, OK, OK), (GO, NO, NO, NO, NO, NO, NO, GO, OK, GO)),
    "placements:request_decline": ((GO, NO, NO, NO, NO, OK, NF, NO, NF, OK), (GO, NO, NO, NO, NO, GO, NF, NO, NF, GO)),
    "placements:request_detail": ((GO, NO, NO, NO, NO, OK, NF, OK, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:request_list": ((GO, NO, NO, NO, NO, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:request_propose": ((GO, NO, NO, NO, NO, OK, NF, NO, NF, OK), (GO, NO, NO, NO, NO, GO, NF, NO, NF, GO)),
    "placements:request_withdraw": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NO, NO, NO, NO, NF, GO, NF, GO)),
    # A coordinator's students: those of their programs (the list holds no other's).
    "placements:students": ((GO, NO, NO, NO, NO, NO, NO, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "placements:transition": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NO, NF, NO, NF, GO, NF, NO, NF, GO)),
    "sites:cop_create": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NO, GO)),
    "sites:cop_detail": ((GO, NF, NF, OK, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:cop_edit": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, OK, NF, NF, NF, OK)),
    "sites:cop_list": ((GO, OK, OK, OK, OK, OK, OK, OK, OK, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:create": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, NO, NO, NO, NO, OK, OK, NO, NO, OK)),
    "sites:detail": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:edit": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, NO, NF, NO, NF, OK, NF, NO, NO, OK)),
    "sites:initiative_create": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:initiative_edit": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:initiative_move": ((GO, XX, XX, XX, XX, XX, XX, XX, XX, XX), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:list": ((GO, NO, NO, NO, NO, OK, OK, NO, NO, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:meeting_create": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:meeting_detail": ((GO, NF, NF, OK, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:member_add": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:member_candidates": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, XX, XX, XX, XX, XX, XX, XX, XX, XX)),
    "sites:member_end": ((GO, NF, NF, NO, NF, OK, NF, NF, NF, OK), (GO, NF, NF, NO, NF, GO, NF, NF, NF, GO)),
    "sites:unit_create": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NO, GO)),
    "sites:unit_edit": ((GO, NO, NF, NO, NF, OK, NF, NO, NO, OK), (GO, NO, NF, NO, NF, GO, NF, NO, NO, GO)),
}
# fmt: on

# URLs anyone may open without logging in (every other URL sends anonymous to log in).
PUBLIC = {
    "healthz", "readyz", "login", "password_reset", "password_reset_done", "invitation_accept",
    "password_reset_confirm", "password_reset_complete", "interviews:calendar_feed",
}  # fmt: skip


def walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def routed_names() -> set[str]:
    return {name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")}


def test_every_url_is_in_the_matrix():
    names = routed_names()
    assert None not in names, "every URL needs a name to be in the access matrix"
    assert names - set(MATRIX) == set(), "add these URLs to the access matrix"
    assert set(MATRIX) - names == set(), "these matrix rows name no URL"


def url_for(name: str, world, side) -> str:
    """The URL of `name` aimed at the rows of one side (A: the personas' own)."""
    s = world.a if side == "a" else world.b
    args = {
        "password_reset_confirm": ["MQ", "bad-token"],
        "invitation_send": [s.student.user.pk], "invitation_accept": ["0" * 64],
        "sites:detail": [s.site.pk], "sites:edit": [s.site.pk],
        "sites:unit_create": [s.site.pk], "sites:cop_create": [s.site.pk],
        "sites:unit_edit": [s.unit.pk], "sites:cop_detail": [s.cop.pk],
        "sites:cop_edit": [s.cop.pk], "sites:member_add": [s.cop.pk],
        "sites:member_candidates": [s.cop.pk],
        "sites:meeting_create": [s.cop.pk], "sites:initiative_create": [s.cop.pk],
        "sites:member_end": [s.membership.pk], "sites:meeting_detail": [s.meeting.pk],
        "sites:initiative_edit": [s.initiative.pk], "sites:initiative_move": [s.initiative.pk],
        "placements:detail": [s.placement.pk], "placements:edit": [s.placement.pk],
        "placements:transition": [s.placement.pk], "placements:capacity_edit": [s.capacity.pk],
        "placements:cancel": [s.placement.pk], "placements:calendar": [s.site.pk],
        "placements:import_job": [s.import_job.pk],
        "placements:agreement_detail": [s.agreement.pk],
        "placements:agreement_edit": [s.agreement.pk],
        "placements:agreement_document": [s.agreement.pk],
        "placements:request_detail": [s.placement_request.pk],
        "placements:request_accept": [s.placement_request.pk],
        "placements:request_decline": [s.placement_request.pk],
        "placements:request_propose": [s.placement_request.pk],
        "placements:request_accept_proposal": [s.placement_request.pk],
        "placements:request_withdraw": [s.placement_request.pk],
        "placements:offer_close": [s.offer.pk], "placements:offer_claim": [s.offer.pk],
        "placements:import_job_status": [s.import_job.pk],
        "mentoring:session_detail": [s.session.pk], "mentoring:session_edit": [s.session.pk],
        "mentoring:session_delete": [s.session.pk], "mentoring:session_reflect": [s.session.pk],
        "mentoring:team_edit": [s.placement.pk], "mentoring:team_remove": [s.mentor.pk],
        "mentoring:learning_record": [s.student.pk], "mentoring:site_matrix": [s.site.pk],
        "mentoring:site_matrix_csv": [s.site.pk],
        "mentoring:evaluation_detail": [s.evaluation.pk],
        "mentoring:evaluation_acknowledge": [s.evaluation.pk],
        "mentoring:evaluation_edit": [s.draft_evaluation.pk],
        "mentoring:feedback_give": [s.placement.pk], "mentoring:site_feedback": [s.site.pk],
        "placements:import_template": ["placements", "xlsx"],
        "interviews:followup_detail": [s.followup.pk],
        "interviews:followup_schedule": [s.followup.pk],
        "interviews:followup_close": [s.followup.pk],
        "interviews:record_consent": [s.followup.pk],
        "interviews:record_interview": [s.followup.pk],
        "interviews:quote_add": [s.followup.pk],
        "interviews:quote_delete": [s.followup.pk, s.quote.pk],
        "interviews:theme_rename": [world.theme.pk], "interviews:theme_merge": [world.theme.pk],
        "interviews:calendar_feed": [world.feed.token],
    }.get(name, [])  # fmt: skip
    return reverse(name, args=args)


def post_data(name: str, world, side) -> dict:
    """Plausible, valid data for each write, so a missing access check would show as a
    change in the database."""
    s = world.a if side == "a" else world.b
    today = timezone.localdate()
    later = today + datetime.timedelta(days=200)
    return {
        "login": {"username": "nobody@example.org", "password": "wrong"},
        "password_reset": {"email": s.student.user.email},
        "password_change": {"old_password": "pass", "new_password1": "a-new-passphrase-42",
                            "new_password2": "a-new-passphrase-42"},
        "sites:create": {"name": "New site", "kind": "hospital_unit", "zone": "edmonton"},
        "sites:edit": {"name": "Renamed", "kind": "hospital_unit", "zone": "edmonton"},
        "sites:unit_create": {"name": "New unit"},
        "sites:unit_edit": {"name": "Renamed unit"},
        "sites:cop_create": {"name": "New CoP", "focus": "x", "started_on": today,
                             "status": "active"},
        "sites:cop_edit": {"name": "Renamed CoP", "focus": "x", "started_on": today,
                           "status": "active"},
        # Someone linked to no site, so only by their exact email.
        "sites:member_add": {"email": world.admin.email, "role": "member", "joined_on": today},
        "sites:member_end": {"left_on": today},
        "sites:meeting_create": {"held_on": today, "duration_minutes": 60, "topics": "x"},
        "sites:initiative_create": {"title": "New", "theme": "communication",
                                    "description": "x", "status": "idea"},
        "sites:initiative_edit": {"title": "Renamed", "theme": "communication",
                                  "description": "x"},
        "sites:initiative_move": {"status": "in_progress"},
        "placements:create": {"student": s.student.user.email, "site": s.site.pk,
                              "start_date": later, "end_date": later, "model": "ip_mentoring"},
        "placements:edit": {"student": s.student.user.email, "site": s.site.pk,
                            "start_date": s.placement.start_date, "end_date": later,
                            "model": "traditional", "notes": "changed"},
        "placements:transition": {"to_status": "completed"},
        "placements:cancel": {"note": "Cancelled in the access matrix"},
        "placements:bulk_apply": {"action": "cancel", "ids": [s.placement.pk],
                                  "note": "Cancelled in the access matrix"},
        "placements:capacity_create": {"site": s.site.pk, "profession": s.capacity.profession_id,
                                       "period_start": later, "period_end": later, "places": 3},
        "placements:capacity_edit": {"site": s.site.pk, "profession": s.capacity.profession_id,
                                     "period_start": s.capacity.period_start,
                                     "period_end": s.capacity.period_end, "places": 9},
        "placements:import": {"kind": "students"},
        "placements:agreement_create": {"institution": s.agreement.institution_id,
                                        "site": s.site.pk, "starts_on": today,
                                        "status": "active"},
        "placements:agreement_edit": {"institution": s.agreement.institution_id,
                                      "site": s.site.pk, "starts_on": today,
                                      "status": "terminated"},
        "placements:import_confirm": {"token": "x"},
        "placements:request_create": {"program": s.student.program_id, "site": s.site.pk,
                                      "students": [s.student.pk], "start_date": later,
                                      "end_date": later, "model": "ip_mentoring"},
        "placements:request_decline": {"reason": "No preceptor then"},
        "placements:request_propose": {"start_date": later, "end_date": later,
                                       "unit": s.unit.pk},
        "placements:request_withdraw": {"note": "Withdrawn in the access matrix"},
        "placements:offer_create": {"site": s.site.pk, "profession": s.offer.profession_id,
                                    "start_date": later, "end_date": later, "places": 2,
                                    "model": "ip_mentoring"},
        "placements:offer_claim": {"students": [s.student.pk]},
        "mentoring:session_log": {"held_on": today, "duration_minutes": 60,
                                  "students": [s.student.pk], "activity": "debrief"},
        "mentoring:session_edit": {"held_on": today, "duration_minutes": 30,
                                   "students": [s.student.pk], "activity": "debrief"},
        "mentoring:session_reflect": {"reflection": "changed"},
        "mentoring:evaluation_edit": {"action": "save", "overall_comments": "Changed"},
        "mentoring:evaluation_acknowledge": {"comment": "Read and discussed."},
        "mentoring:feedback_give": {"site_welcome": 4, "site_learning": 4,
                                    "mentoring_support": 5, "mentoring_feedback": 3,
                                    "ip_roles": 4, "ip_collaboration": 4},
        "mentoring:team_edit": {"primary": s.mentor.mentor_id},
        "interviews:followup_schedule": {"interviewer": s.facilitator.pk, "mode": "phone",
                                         "scheduled_at": f"{later}T10:00"},
        "interviews:followup_close": {"action": "missed"},
        "interviews:record_consent": {"consent_given": "false"},
        "interviews:record_interview": {"conducted_on": today, "notes": "changed"},
        "interviews:quote_add": {"text": "New quote", "speaker_role": "Nurse"},
        "interviews:theme_list": {"name": "New theme"},
        "interviews:theme_rename": {"name": "Renamed theme"},
        "interviews:theme_merge": {"target": world.theme.pk},
        "interviews:calendar_feed_manage": {"action": "revoke"},
    }.get(name, {})  # fmt: skip


SNAPSHOT_APPS = ("accounts", "sites", "placements", "mentoring", "interviews")


def snapshot() -> dict:
    """Every row of our apps (the audit log aside: a refusal is meant to add to it)."""
    rows = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model is AuditEvent:
                continue
            rows[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return rows


def request(client, world, name, method, side):
    url = url_for(name, world, side)
    if method == "get":
        return client.get(url)
    return client.post(url, post_data(name, world, side))


def cases():
    for name in sorted(MATRIX):
        for method, answers in zip(("get", "post"), MATRIX[name], strict=True):
            for (persona, side), expected in zip(COLUMNS, answers, strict=True):
                yield pytest.param(name, method, persona, side, expected,
                                   id=f"{name}-{method}-{persona}-{side}")  # fmt: skip


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for the module's thousand cases, built once and rolled back at the end;
    each case runs in its own savepoint (the `db` fixture), so no write leaks into the
    next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.parametrize(("name", "method", "persona", "side", "expected"), list(cases()))
def test_access_matrix(db, client_as, shared_world, name, method, persona, side, expected):
    world = shared_world
    client = client_as(world.persona(persona))
    refused = expected in (FORBIDDEN, MISSING) or (persona == "anonymous" and expected == REDIRECT)
    before = snapshot() if method == "post" and refused else None
    response = request(client, world, name, method, side)
    assert response.status_code == expected, (name, method, persona, side)
    if persona == "anonymous" and name not in PUBLIC:
        assert response["Location"].startswith(reverse("login"))
    if before is not None:
        assert snapshot() == before, f"a refused {name} changed the database"


def admin_urls():
    """The admin's index and every registered model's list and add pages."""
    yield reverse("admin:index")
    for model in admin.site._registry:
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


@pytest.mark.parametrize(
    "persona", ["anonymous", "student", "preceptor", "facilitator", "coordinator"]
)
def test_only_staff_enter_django_admin(db, client_as, shared_world, persona):
    """Facilitators and coordinators are not staff: an admin is an admin of every site, so the admin has
    no per-site rows to hide. Everyone else is sent to the admin's login."""
    client = client_as(shared_world.persona(persona))
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == REDIRECT, url
        assert response["Location"].startswith((reverse("admin:login"), reverse("login"))), url


def test_admin_enters_every_admin_list(db, client_as, shared_world):
    """An admin is staff without Django's per-model permissions: the admin role grants
    them all (accounts.backends.AdminRoleBackend). Add pages of rows only services write
    (the audit log, login attempts) are refused to everyone."""
    client = client_as(shared_world.admin)
    for url in admin_urls():
        response = client.get(url)
        if response.status_code == FORBIDDEN:
            model_admin = resolve(url).func.model_admin
            assert url.endswith("/add/"), url
            assert not model_admin.has_add_permission(response.wsgi_request), url
        else:
            assert response.status_code == OK, url
    assert client.get(reverse("admin:index")).status_code == OK


def test_the_audit_log_is_read_only_in_the_admin(db, client_as, shared_world):
    client = client_as(shared_world.admin)
    client.get(url_for("placements:detail", shared_world, "a"))
    event = AuditEvent.objects.get()
    base = "admin:accounts_auditevent"
    assert client.get(reverse(f"{base}_changelist")).status_code == OK
    assert client.get(reverse(f"{base}_add")).status_code == FORBIDDEN
    assert client.post(reverse(f"{base}_delete", args=[event.pk])).status_code == FORBIDDEN
    response = client.post(reverse(f"{base}_change", args=[event.pk]), {"action": "delete"})
    assert response.status_code == FORBIDDEN
    assert AuditEvent.objects.get().action == event.action
