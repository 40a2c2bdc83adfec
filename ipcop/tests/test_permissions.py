"""The access module, role by role: each person's querysets hold exactly what they may see."""

import pytest

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.tests.factories import FollowUpFactory, InterviewRecordFactory
from ipcop import permissions as p
from mentoring.tests.factories import (
    MentorAssignmentFactory,
    MentoringSessionFactory,
    SessionProfessionalFactory,
    SessionStudentFactory,
)
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Site A (facilitated by `facilitator`) and site B (by `outsider`), a placed student at
    each, a preceptor mentoring the student at A, and a CoP at each site."""
    nursing = ProfessionFactory(code="nursing")
    pharmacy = ProfessionFactory(code="pharmacy")
    facilitator = UserFactory(facilitator=True)
    outsider = UserFactory(facilitator=True)
    preceptor = UserFactory(preceptor=True, profession=pharmacy)
    admin = UserFactory(admin=True)
    site_a = SiteFactory(facilitators=[facilitator])
    site_b = SiteFactory(facilitators=[outsider])
    student = StudentFactory(program__profession=nursing)
    other_student = StudentFactory(program__profession=nursing)
    placement_a = PlacementFactory(student=student, site=site_a, active=True)
    placement_b = PlacementFactory(student=other_student, site=site_b, active=True)
    MentorAssignmentFactory(placement=placement_a, mentor=preceptor, profession=pharmacy)
    cop_a = CommunityOfPracticeFactory(site=site_a)
    cop_b = CommunityOfPracticeFactory(site=site_b)
    MembershipFactory(community=cop_a, person=preceptor, profession=pharmacy)
    session_a = MentoringSessionFactory(
        site=site_a, logged_by=preceptor, held_on=placement_a.start_date
    )
    SessionStudentFactory(session=session_a, student=student, placement=placement_a)
    SessionProfessionalFactory(session=session_a, person=preceptor, profession=pharmacy)
    session_b = MentoringSessionFactory(site=site_b, held_on=placement_b.start_date)
    SessionStudentFactory(session=session_b, student=other_student, placement=placement_b)
    followup_a = FollowUpFactory(placement=placement_a)
    followup_b = FollowUpFactory(placement=placement_b)
    record_a = InterviewRecordFactory(followup=followup_a)
    record_b = InterviewRecordFactory(followup=followup_b)
    return locals()


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_facilitator_sees_and_manages_only_their_sites(world):
    w = world
    user = w["facilitator"]
    assert ids(p.sites_visible_to(user)) == {w["site_a"].pk}
    assert ids(p.sites_facilitated_by(user)) == {w["site_a"].pk}
    assert ids(p.communities_manageable_by(user)) == {w["cop_a"].pk}
    assert ids(p.placements_visible_to(user)) == {w["placement_a"].pk}
    assert ids(p.placements_manageable_by(user)) == {w["placement_a"].pk}
    assert ids(p.students_visible_to(user)) == {w["student"].pk}
    assert ids(p.sessions_visible_to(user)) == {w["session_a"].pk}
    assert ids(p.sessions_manageable_by(user)) == {w["session_a"].pk}
    assert ids(p.followups_visible_to(user)) == {w["followup_a"].pk}
    assert ids(p.followups_manageable_by(user)) == {w["followup_a"].pk}
    assert ids(p.interview_records_visible_to(user)) == {w["record_a"].pk}


def test_outsider_facilitator_sees_nothing_of_site_a(world):
    w = world
    user = w["outsider"]
    assert w["site_a"].pk not in ids(p.sites_visible_to(user))
    assert w["placement_a"].pk not in ids(p.placements_visible_to(user))
    assert w["student"].pk not in ids(p.students_visible_to(user))
    assert w["session_a"].pk not in ids(p.sessions_visible_to(user))
    assert w["record_a"].pk not in ids(p.interview_records_visible_to(user))


def test_preceptor_sees_their_students_sessions_and_cop_but_manages_only_own_sessions(world):
    w = world
    user = w["preceptor"]
    assert ids(p.placements_visible_to(user)) == {w["placement_a"].pk}
    assert ids(p.students_visible_to(user)) == {w["student"].pk}
    assert ids(p.sessions_visible_to(user)) == {w["session_a"].pk}
    assert ids(p.sessions_manageable_by(user)) == {w["session_a"].pk}
    assert ids(p.communities_visible_to(user)) == {w["cop_a"].pk}
    assert ids(p.communities_manageable_by(user)) == set()
    assert ids(p.sites_visible_to(user)) == {w["site_a"].pk}
    assert ids(p.sites_facilitated_by(user)) == set()
    assert ids(p.placements_manageable_by(user)) == set()
    # Interview records are confidential: facilitators and admins only.
    assert ids(p.interview_records_visible_to(user)) == set()


def test_student_sees_only_their_own(world):
    w = world
    user = w["student"].user
    assert ids(p.placements_visible_to(user)) == {w["placement_a"].pk}
    assert ids(p.students_visible_to(user)) == {w["student"].pk}
    assert ids(p.sessions_visible_to(user)) == {w["session_a"].pk}
    assert ids(p.followups_visible_to(user)) == {w["followup_a"].pk}
    assert ids(p.sessions_manageable_by(user)) == set()
    assert ids(p.interview_records_visible_to(user)) == set()
    assert ids(p.communities_visible_to(user)) == set()


def test_admin_sees_everything(world):
    w = world
    user = w["admin"]
    from interviews.models import InterviewRecord
    from mentoring.models import MentoringSession
    from placements.models import Placement
    from sites.models import Site

    assert ids(p.sites_visible_to(user)) == ids(Site.objects.all())
    assert {w["site_a"].pk, w["site_b"].pk} <= ids(p.sites_visible_to(user))
    assert ids(p.placements_visible_to(user)) == ids(Placement.objects.all())
    assert ids(p.interview_records_visible_to(user)) == ids(InterviewRecord.objects.all())
    assert ids(p.sessions_manageable_by(user)) == ids(MentoringSession.objects.all())


def test_person_without_role_sees_nothing(world):
    nobody = UserFactory()
    assert not p.sites_visible_to(nobody).exists()
    assert not p.placements_visible_to(nobody).exists()
    assert not p.sessions_visible_to(nobody).exists()
    assert not p.followups_visible_to(nobody).exists()


def test_require_role_refuses_a_missing_role(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        p.require_role(world["preceptor"], "facilitator")
    p.require_role(world["facilitator"], "facilitator")
    p.require_role(world["admin"], "facilitator")


def test_visible_querysets_have_no_duplicates_for_a_person_with_several_roles(world):
    w = world
    both = w["preceptor"]
    both.is_facilitator = True
    both.save()
    w["site_a"].facilitators.add(both)
    placements = list(p.placements_visible_to(both).values_list("pk", flat=True))
    assert placements == [w["placement_a"].pk]
    sessions = list(p.sessions_visible_to(both).values_list("pk", flat=True))
    assert sessions == [w["session_a"].pk]


# --- Which placements open a student's record ---------------------------------------------


@pytest.mark.parametrize(
    ("trait", "opens"),
    [
        ({}, False),  # requested: anyone at a site could ask for any student
        ({"cancelled": True}, False),
        ({"confirmed": True}, True),
        ({"active": True}, True),
        ({"completed": True}, True),
    ],
)
def test_only_confirmed_running_or_recent_placements_open_a_students_record(
    facilitator, site_a, trait, opens
):
    student = StudentFactory()
    PlacementFactory(student=student, site=site_a, **trait)
    assert (student.pk in ids(p.students_visible_to(facilitator))) is opens


def test_a_placement_completed_long_ago_no_longer_opens_the_record(facilitator, site_a):
    import datetime

    student = StudentFactory()
    ended = datetime.date.today() - p.RECORD_ACCESS_AFTER_END - datetime.timedelta(days=1)
    PlacementFactory(
        student=student,
        site=site_a,
        completed=True,
        start_date=ended - datetime.timedelta(weeks=6),
        end_date=ended,
    )
    assert student.pk not in ids(p.students_visible_to(facilitator))


def test_a_mentor_of_a_cancelled_placement_cannot_open_the_record(db):
    preceptor = UserFactory(preceptor=True)
    placement = PlacementFactory(cancelled=True)
    MentorAssignmentFactory(placement=placement, mentor=preceptor)
    assert placement.student_id not in ids(p.students_visible_to(preceptor))


def test_creating_and_cancelling_a_placement_does_not_open_a_learning_record(
    client, facilitator, site_a
):
    """The review's finding: a facilitator placed any student at their own site, cancelled
    it at once, and read the student's learning record (sessions at other sites too)."""
    from django.urls import reverse

    student = StudentFactory()
    PlacementFactory(student=student, site=site_a, cancelled=True)
    client.force_login(facilitator)
    response = client.get(reverse("mentoring:learning_record", args=[student.pk]))
    assert response.status_code == 404
