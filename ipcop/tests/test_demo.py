"""`manage.py load_demo` builds the world of ipcop/demo/data/ and can be run again without
changing it; a malformed data file fails with its file and entry, before any write."""

import datetime as dt
import re
import shutil
from importlib import import_module
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from interviews.models import FollowUp, FollowUpStatus, InterviewRecord, Quote, Reminder
from ipcop.demo import loader, world
from ipcop.demo.loader import DEMO_PASSWORD
from ipcop.demo.world import DemoDataError, read_world
from mentoring.models import (
    MentorAssignment,
    MentoringSession,
    MentorRole,
    SessionStudent,
)
from placements.models import (
    Placement,
    PlacementModel,
    PlacementStatus,
    Program,
    Student,
)
from sites.models import (
    CommunityOfPractice,
    HealthZone,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Membership,
    Site,
)

pytestmark = pytest.mark.django_db

LOGIN_EMAILS = {
    "admin": "admin@ipcop.example",
    "facilitator": "facilitator@ipcop.example",
    "preceptor": "preceptor@ipcop.example",
    "student": "student@ipcop.example",
    "coordinator": "coordinator@ipcop.example",
}
# The second institution's program coordinator, printed as a coordinator's login too.
CALGARY_COORDINATOR = "coordinator.calgary@ipcop.example"


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return load_demo()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def test_sites_span_every_health_zone_with_units_and_a_cop(demo_output):
    sites = Site.objects.all()
    assert sites.count() == 7
    assert set(sites.values_list("zone", flat=True)) == set(HealthZone.values)
    assert len(set(sites.values_list("kind", flat=True))) >= 4
    for site in sites:
        assert site.units.exists(), site
        assert site.communities.count() == 1, site
        assert site.facilitators.filter(is_facilitator=True).exists(), site


def test_every_cop_has_members_of_at_least_four_professions(demo_output):
    for cop in CommunityOfPractice.objects.all():
        professions = cop.memberships.values("profession").distinct().count()
        assert professions >= 4, cop
        assert set(cop.facilitators.all()) == set(cop.site.facilitators.all())
        assert cop.meetings.exists(), cop
        for meeting in cop.meetings.all():
            assert meeting.attendees.exists(), meeting
            assert all(m.community_id == cop.pk for m in meeting.attendees.all())


def test_facilitators_each_look_after_several_sites(demo_output):
    facilitators = User.objects.filter(is_facilitator=True)
    assert facilitators.count() >= 2
    assert all(f.facilitated_sites.count() >= 2 for f in facilitators)


def test_preceptors_of_at_least_six_professions(demo_output):
    preceptors = User.objects.filter(is_preceptor=True)
    assert preceptors.values("profession").distinct().count() >= 6


def test_about_thirty_students_from_at_least_five_programs(demo_output):
    students = Student.objects.all()
    assert 28 <= students.count() <= 35
    assert students.values("program").distinct().count() >= 5
    assert all(s.user.is_student for s in students.select_related("user"))
    assert all(" — " in str(program) for program in Program.objects.all())


def test_placements_spread_over_statuses_and_models(demo_output):
    today = timezone.localdate()
    by_status = dict(
        Placement.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    for status in ("requested", "confirmed", "active", "completed"):
        assert by_status.get(status, 0) >= 3, status
    for placement in Placement.objects.active():
        assert placement.start_date <= today <= placement.end_date
    for placement in Placement.objects.filter(status=PlacementStatus.COMPLETED):
        assert placement.end_date < today
    for placement in Placement.objects.filter(status__in=["requested", "confirmed"]):
        assert placement.start_date > today
    ip = Placement.objects.filter(model=PlacementModel.IP_MENTORING).count()
    traditional = Placement.objects.filter(model=PlacementModel.TRADITIONAL).count()
    assert ip > 3 * traditional > 0


def test_ip_mentoring_teams_have_a_primary_and_a_mentor_of_another_profession(demo_output):
    placed = Placement.objects.filter(status__in=["confirmed", "active", "completed"])
    for placement in placed.select_related("student__program"):
        team = list(placement.mentors.all())
        assert [m.role for m in team].count(MentorRole.PRIMARY) == 1, placement
        for assignment in team:
            assert assignment.mentor.is_preceptor
            assert Membership.objects.filter(
                community__site=placement.site_id,
                person=assignment.mentor_id,
                joined_on__lte=placement.start_date,
            ).exists(), assignment
        if placement.model == PlacementModel.IP_MENTORING:
            own = placement.student.program.profession_id
            assert any(m.profession_id != own for m in team), placement


def test_sessions_are_past_within_their_placements_and_sometimes_mix_professions(demo_output):
    today = timezone.localdate()
    assert MentoringSession.objects.count() >= 40
    for row in SessionStudent.objects.select_related("session", "placement"):
        session, placement = row.session, row.placement
        assert session.held_on < today
        assert placement.start_date <= session.held_on <= placement.end_date
        assert session.site_id == placement.site_id
        assert row.student_id == placement.student_id
    for session in MentoringSession.objects.prefetch_related("domains__framework"):
        assert session.professional_attendance.exists()
        for presence in session.professional_attendance.all():
            assert Membership.objects.filter(
                community__site=session.site_id,
                person=presence.person_id,
                joined_on__lte=session.held_on,
            ).exists(), presence
        assert session.attendance.exists()
        assert {d.framework.code for d in session.domains.all()} == {"cihc-2010"}
    mixed = MentoringSession.objects.annotate(
        professions=Count("attendance__student__program__profession", distinct=True)
    ).filter(professions__gte=2)
    assert mixed.count() >= 3
    assert SessionStudent.objects.exclude(reflection="").filter(reflected_at__isnull=False).exists()


def test_every_placement_has_an_agreement_and_one_expires_in_20_days(demo_output):
    from placements.models import AffiliationAgreement
    from placements.services import placement_has_agreement

    placements = Placement.objects.select_related("student__program__institution", "site")
    assert all(placement_has_agreement(placement) for placement in placements)
    soon = timezone.localdate() + dt.timedelta(days=20)
    expiring = AffiliationAgreement.objects.in_force().filter(ends_on=soon)
    assert expiring.count() == 1
    assert expiring.get().zone


def test_the_seed_initiatives_are_there(demo_output):
    joint = Initiative.objects.get(title="Joint meetings of all professionals on the unit")
    assert (joint.theme, joint.status) == (
        InitiativeTheme.COMMUNICATION,
        InitiativeStatus.IMPLEMENTED,
    )
    intake = Initiative.objects.get(title="One designated person does all patient intakes")
    assert (intake.theme, intake.status) == (
        InitiativeTheme.ADMISSION_INTAKE,
        InitiativeStatus.IMPLEMENTED,
    )
    assert Initiative.objects.filter(
        theme=InitiativeTheme.DISCHARGE, status=InitiativeStatus.IN_PROGRESS
    ).exists()
    assert Initiative.objects.count() >= 8
    assert Initiative.objects.values("status").distinct().count() >= 5


def test_every_member_and_placed_student_is_due_a_follow_up_six_months_on(demo_output):
    delay = relativedelta(months=settings.FOLLOWUP_DELAY_MONTHS)
    assert FollowUp.objects.filter(membership__isnull=False).count() == Membership.objects.count()
    placed = Placement.objects.filter(status__in=["confirmed", "active", "completed"])
    assert FollowUp.objects.filter(placement__isnull=False).count() == placed.count()
    for followup in FollowUp.objects.select_related("membership__community", "placement"):
        if followup.membership:
            assert followup.due_on == followup.membership.joined_on + delay
            assert followup.site_id == followup.membership.community.site_id
            assert followup.participant_id == followup.membership.person_id
        else:
            assert followup.due_on == followup.placement.start_date + delay
            assert followup.site_id == followup.placement.site_id


def test_follow_ups_in_every_state(demo_output):
    today = timezone.localdate()
    now = timezone.now()

    completed = FollowUp.objects.filter(status=FollowUpStatus.COMPLETED)
    assert completed.count() >= 5
    assert InterviewRecord.objects.count() == completed.count()
    for record in InterviewRecord.objects.select_related("followup"):
        assert record.followup.status == FollowUpStatus.COMPLETED
        assert record.consent_given and record.consent_recorded_at is not None
        assert record.conducted_on < today
        assert record.themes.exists()
    quotes = Quote.objects.all()
    assert quotes.filter(may_publish=True).count() >= 5
    assert quotes.filter(may_publish=False).exists()
    assert all(q.speaker_role for q in quotes)
    assert quotes.filter(speaker_role="Nurse preceptor", may_publish=True).exists()

    scheduled = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED)
    assert scheduled.count() >= 2
    for followup in scheduled:
        assert followup.interviewer and followup.scheduled_at > now and followup.mode

    due_soon = FollowUp.objects.filter(status=FollowUpStatus.PENDING).due_between(
        today, today + dt.timedelta(days=21)
    )
    assert due_soon.count() >= 2
    assert Reminder.objects.unsent().filter(followup__in=due_soon).exists()

    overdue = FollowUp.objects.filter(status=FollowUpStatus.PENDING).overdue(today)
    assert overdue.count() >= 2
    for followup in overdue:
        assert followup.reminders.unsent().exists()
        assert followup.reminders.unsent().filter(send_at__lte=now + dt.timedelta(days=8)).exists()

    assert FollowUp.objects.filter(status=FollowUpStatus.PENDING, due_on__gt=today).exists()
    assert not InterviewRecord.objects.exclude(followup__status=FollowUpStatus.COMPLETED).exists()


def test_evaluations_in_every_state_and_some_feedback(demo_output):
    from mentoring.models import EvaluationStatus, PlacementEvaluation, StudentPlacementFeedback

    today = timezone.localdate()
    states = set(PlacementEvaluation.objects.values_list("status", flat=True))
    assert states == set(EvaluationStatus.values)
    assert PlacementEvaluation.objects.overdue(today).exists()
    assert PlacementEvaluation.objects.filter(kind="midterm").exists()
    for evaluation in PlacementEvaluation.objects.done():
        assert evaluation.ratings.count() >= 4
        assert evaluation.evaluator.mentor_assignments.filter(
            placement=evaluation.placement_id, role="primary"
        ).exists()
    # The demo student has an evaluation to acknowledge; the demo preceptor one to write.
    assert PlacementEvaluation.objects.filter(
        placement__student__user__email=LOGIN_EMAILS["student"], status="submitted"
    ).exists()
    assert PlacementEvaluation.objects.filter(
        status="draft",
        placement__mentors__mentor__email=LOGIN_EMAILS["preceptor"],
        placement__mentors__role="primary",
    ).exists()
    assert StudentPlacementFeedback.objects.exists()


def test_demo_logins_show_each_role(demo_output):
    for role, email in LOGIN_EMAILS.items():
        assert email in demo_output and role in demo_output
    assert DEMO_PASSWORD in demo_output
    for email in LOGIN_EMAILS.values():
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)

    admin = User.objects.get(email=LOGIN_EMAILS["admin"])
    assert admin.is_staff and admin.is_superuser

    facilitator = User.objects.get(email=LOGIN_EMAILS["facilitator"])
    assert facilitator.is_facilitator
    preceptor = User.objects.get(email=LOGIN_EMAILS["preceptor"])
    assert preceptor.is_preceptor
    assert Membership.objects.filter(person=preceptor).exists()
    current = MentorAssignment.objects.filter(
        mentor=preceptor,
        placement__status=PlacementStatus.ACTIVE,
        placement__site__facilitators=facilitator,
    )
    assert current.values("placement__student").distinct().count() >= 2

    student_user = User.objects.get(email=LOGIN_EMAILS["student"])
    placement = Placement.objects.get(student__user=student_user, status=PlacementStatus.ACTIVE)
    assert placement.model == PlacementModel.IP_MENTORING
    assert placement.mentors.count() >= 2
    assert SessionStudent.objects.filter(placement=placement).count() >= 2


def test_two_institutions_each_have_a_coordinator_who_sees_their_students(demo_output):
    from ipcop.permissions import placements_visible_to, students_visible_to

    assert CALGARY_COORDINATOR in demo_output
    institutions = set()
    for email in (LOGIN_EMAILS["coordinator"], CALGARY_COORDINATOR):
        coordinator = User.objects.get(email=email)
        assert coordinator.is_coordinator and not coordinator.is_facilitator
        assert coordinator.check_password(DEMO_PASSWORD)
        programs = Program.objects.filter(coordinators=coordinator)
        assert programs.count() >= 3
        # A coordinator looks after the programs of one institution.
        assert programs.values("institution").distinct().count() == 1
        institutions.add(programs.values_list("institution__name", flat=True).first())
        students = students_visible_to(coordinator)
        assert students.count() >= 5
        assert set(students.values_list("program", flat=True)) <= set(
            programs.values_list("pk", flat=True)
        )
        assert placements_visible_to(coordinator).filter(status=PlacementStatus.ACTIVE).exists()
    assert institutions == {"University of Alberta", "University of Calgary"}


def test_people_are_fictional_demo_accounts(demo_output):
    assert not User.objects.exclude(email__endswith="@ipcop.example").exists()


def test_running_twice_leaves_exactly_the_same_rows(demo_output):
    first = row_counts()
    load_demo()
    assert row_counts() == first


def test_running_on_a_later_day_adds_no_rows(demo_output):
    from ipcop.demo.loader import load_demo as load

    first = row_counts()
    load(today=timezone.localdate() + dt.timedelta(days=1))
    second = row_counts()
    assert second == first
    assert Placement.objects.active().covering(timezone.localdate() + dt.timedelta(days=1)).exists()


def test_rerun_restores_a_changed_mentoring_team(demo_output):
    placement = Placement.objects.get(
        student__user__email=LOGIN_EMAILS["student"], status=PlacementStatus.ACTIVE
    )
    team = {a.mentor.email: a for a in placement.mentors.select_related("mentor")}
    primary = team.pop(LOGIN_EMAILS["preceptor"])
    other = next(iter(team.values()))
    primary.role = MentorRole.IP_MENTOR
    primary.save()
    other.role = MentorRole.PRIMARY
    other.save()

    load_demo()

    roles = dict(placement.mentors.values_list("mentor__email", "role"))
    assert roles[LOGIN_EMAILS["preceptor"]] == MentorRole.PRIMARY
    assert list(roles.values()).count(MentorRole.PRIMARY) == 1


def test_rerun_keeps_a_session_someone_logged_in_the_browser(demo_output):
    placement = Placement.objects.get(
        student__user__email=LOGIN_EMAILS["student"], status=PlacementStatus.ACTIVE
    )
    preceptor = User.objects.get(email=LOGIN_EMAILS["preceptor"])
    session = MentoringSession.objects.create(
        site=placement.site,
        logged_by=preceptor,
        held_on=timezone.localdate(),
        duration_minutes=20,
        activity="debrief",
        notes="Quick debrief after the family meeting.",
    )
    SessionStudent.objects.create(session=session, student=placement.student, placement=placement)
    before = row_counts()

    load_demo()

    assert MentoringSession.objects.filter(pk=session.pk).exists()
    assert row_counts() == before


# --- Malformed data files ----------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path):
    shutil.copytree(world.DATA_DIR, tmp_path, dirs_exist_ok=True)
    return tmp_path


def edit(data_dir, name: str, old: str, new: str) -> None:
    path = data_dir / name
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_the_data_files_hold_the_whole_world():
    demo = read_world()
    assert len(demo.sites) == 7
    assert len(demo.students) == 31
    assert sum(len(site.members) for site in demo.sites) == 48


@pytest.mark.parametrize(
    ("name", "old", "new", "error"),
    [
        pytest.param(
            "sites.toml",
            'role = "member", joined = -330, left = -150',
            "joined = -330, left = -150",
            'sites.toml, sites[3] ("coulee").members[6] ("Gwen Tallman"): missing field \'role\'',
            id="missing field",
        ),
        pytest.param(
            "people.toml",
            'name = "Graham Whitford"',
            'name = "Graham Whitford"\nmobile = "403-555-0199"',
            "people.toml, facilitators[1] (\"Graham Whitford\"): unknown field 'mobile'",
            id="unknown field",
        ),
        pytest.param(
            "students.toml",
            "start = -24,",
            'start = "-24",',
            'students.toml, students[0] ("Sofia Martel").placements[0].start: '
            "expected a whole number, not '-24'",
            id="wrong type",
        ),
        pytest.param(
            "sites.toml",
            'kind = "rehab"',
            'kind = "rehabilitation"',
            "sites.toml, sites[4] (\"bowriver\").kind: 'rehabilitation' is not one of",
            id="value outside its choices",
        ),
        pytest.param(
            "students.toml",
            'primary = "Priya Natarajan", ip_mentors = ["Daniel Okafor"',
            'primary = "Priya Natarajen", ip_mentors = ["Daniel Okafor"',
            'students.toml, students[0] ("Sofia Martel").placements[0]: '
            "mentor 'Priya Natarajen' is no member at 'riverside'",
            id="unknown person",
        ),
        pytest.param(
            "students.toml",
            'name = "Noah Gill"',
            'name = "Noah Gill"\nemail = "noah.gill@example.com"',
            "students.toml, students[4] (\"Noah Gill\").email: 'noah.gill@example.com' is not at",
            id="email of a real domain",
        ),
        pytest.param(
            "programs.toml",
            'key = "ua-bscn"',
            "key = ua-bscn",
            "programs.toml: not valid TOML",
            id="not TOML",
        ),
        pytest.param(
            "people.toml",
            'programs = ["uc-bn", "uc-bsw", "uc-md"]',
            'programs = ["uc-bn", "uc-bsw", "uc-dds"]',
            "people.toml, coordinators[1] (\"Bjorn Lindqvist\").programs: 'uc-dds' is not in "
            "programs.toml",
            id="unknown program",
        ),
    ],
)
def test_a_malformed_data_file_names_the_file_and_the_entry(data_dir, name, old, new, error):
    edit(data_dir, name, old, new)
    with pytest.raises(DemoDataError, match=re.escape(error)):
        read_world(data_dir)


def test_load_demo_reports_malformed_data_and_writes_nothing(data_dir, monkeypatch):
    # The preceptor's login must be a preceptor's: without its email, Priya gets another.
    edit(data_dir, "sites.toml", ', email = "preceptor@ipcop.example"', "")
    monkeypatch.setattr(world, "DATA_DIR", data_dir)
    message = "Demo data: sites.toml: the demo login preceptor@ipcop.example must be the email"
    with pytest.raises(CommandError, match=re.escape(message)):
        load_demo()
    assert not User.objects.exists()


def test_load_demo_recounts_each_app_s_counters(monkeypatch):
    recounted = []
    for app in ("sites", "placements", "mentoring", "interviews"):
        services = import_module(f"{app}.services")
        monkeypatch.setattr(
            services, "counters_recount", lambda app=app: recounted.append(app), raising=False
        )
    loader.counters_recount()
    assert recounted == ["sites", "placements", "mentoring", "interviews"]


def test_placement_requests_in_every_state_and_offers(demo_output):
    from placements.models import PlacementOffer, PlacementRequest, PlacementRequestStatus

    statuses = set(PlacementRequest.objects.values_list("status", flat=True))
    assert statuses == set(PlacementRequestStatus.values)
    accepted = PlacementRequest.objects.get(status=PlacementRequestStatus.ACCEPTED)
    assert accepted.placement.student == accepted.student
    cohort = PlacementRequest.objects.filter(batch__isnull=False)
    assert cohort.count() == 2 and len({r.batch for r in cohort}) == 1
    # Each was asked by a coordinator of the student's program.
    for request in PlacementRequest.objects.select_related("student__program"):
        asker = request.changes.first().changed_by
        assert asker is not None and asker.is_coordinator
        assert request.student.program.coordinators.filter(pk=asker.pk).exists()
    assert PlacementOffer.objects.open().count() == 2
    assert PlacementOffer.objects.exclude(closed_at=None).count() == 1
