"""Personas for the mentoring tests: a facilitator of site A, a nursing student placed at
site A with a nursing primary preceptor and a pharmacist IP mentor, an outsider preceptor
at site B, an admin."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from mentoring.models import MentorAssignment, MentorRole
from placements.models import PlacementStatus
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory, SiteFactory


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def nursing(db):
    return ProfessionFactory(code="nursing")


@pytest.fixture
def pharmacy(db):
    return ProfessionFactory(code="pharmacy")


@pytest.fixture
def physio(db):
    return ProfessionFactory(code="physiotherapy")


@pytest.fixture
def facilitator(db):
    return UserFactory(facilitator=True, full_name="Fay Facilitator")


@pytest.fixture
def site_b(db):
    site = SiteFactory(name="Site B", facilitators=[UserFactory(facilitator=True)])
    AffiliationAgreementFactory(site=site)
    return site


@pytest.fixture
def student(nursing):
    return StudentFactory(program=ProgramFactory(profession=nursing), user__full_name="Sam Student")


def add_mentor(placement, person, role=MentorRole.IP_MENTOR):
    return MentorAssignment.objects.create(
        placement=placement, mentor=person, profession=person.profession, role=role
    )


@pytest.fixture
def placement(student, site_a, today):
    return PlacementFactory(
        student=student,
        site=site_a,
        start_date=today - datetime.timedelta(days=20),
        end_date=today + datetime.timedelta(days=20),
        status=PlacementStatus.ACTIVE,
    )


@pytest.fixture
def preceptor(placement, nursing):
    person = UserFactory(preceptor=True, profession=nursing, full_name="Pat Preceptor")
    add_mentor(placement, person, MentorRole.PRIMARY)
    return person


@pytest.fixture
def pharmacist(placement, pharmacy):
    person = UserFactory(preceptor=True, profession=pharmacy, full_name="Phil Pharmacist")
    add_mentor(placement, person)
    return person


@pytest.fixture
def physiotherapist(site_a, physio):
    """A CoP member at site A (staff at the site) who is on no team."""
    person = UserFactory(preceptor=True, profession=physio, full_name="Phoebe Physio")
    MembershipFactory(community=CommunityOfPracticeFactory(site=site_a), person=person)
    return person


@pytest.fixture
def outsider(site_b, nursing):
    """A preceptor who mentors a student at site B only."""
    person = UserFactory(preceptor=True, profession=nursing, full_name="Otto Outsider")
    other = PlacementFactory(site=site_b, status=PlacementStatus.ACTIVE)
    add_mentor(other, person, MentorRole.PRIMARY)
    return person


@pytest.fixture
def team(preceptor, pharmacist):
    return preceptor, pharmacist


def bulk_sessions(*, count, placements, logged_by, professionals=(), domains=(), minutes=30):
    """`count` sessions spread over `placements` (one student each), built with
    bulk_create so that 200 stay fast; each with the professionals and domains given."""
    from mentoring.models import MentoringSession, SessionProfessional, SessionStudent

    placements = list(placements)
    sessions = MentoringSession.objects.bulk_create(
        MentoringSession(
            site=placements[i % len(placements)].site,
            logged_by=logged_by,
            held_on=placements[i % len(placements)].start_date + datetime.timedelta(days=i % 10),
            duration_minutes=minutes,
            activity="shadowing" if i % 2 else "ip_rounds",
        )
        for i in range(count)
    )
    SessionStudent.objects.bulk_create(
        SessionStudent(
            session=s,
            student_id=placements[i % len(placements)].student_id,
            placement=placements[i % len(placements)],
        )
        for i, s in enumerate(sessions)
    )
    people = [logged_by, *professionals]
    SessionProfessional.objects.bulk_create(
        SessionProfessional(session=s, person=p, profession_id=p.profession_id)
        for s in sessions
        for p in people
    )
    through = MentoringSession.domains.through
    through.objects.bulk_create(
        through(mentoringsession=s, competencydomain=d) for s in sessions for d in domains
    )
    return sessions
