"""One small world for the security tests: two sites, and at each a facilitator, a placed
student with a mentor, a CoP, a mentoring session, a follow-up with its interview record;
each student in a program of their own, at an institution of its own, with its program
coordinator.

Site A's people are the personas ("student", "preceptor", "facilitator", "coordinator");
site B's rows are "elsewhere": another student's, a student the preceptor does not mentor,
another site's, another program's."""

import datetime
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from interviews.tests.factories import (
    CalendarFeedFactory,
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ThemeFactory,
)
from mentoring.tests.factories import (
    MentorAssignmentFactory,
    MentoringSessionFactory,
    PlacementEvaluationFactory,
)
from placements.tests.factories import (
    AffiliationAgreementFactory,
    CapacityFactory,
    ImportJobFactory,
    PlacementFactory,
    PlacementOfferFactory,
    PlacementRequestFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)


@dataclass
class Side:
    """The rows of one site."""

    site: object
    facilitator: object
    student: Any  # placements.Student, as its factory made it
    placement: object
    mentor: Any  # mentoring.MentorAssignment, as its factory made it
    unit: object
    cop: object
    membership: object
    meeting: object
    initiative: object
    session: object
    followup: object
    record: object
    quote: object
    capacity: object
    import_job: object  # the facilitator's file awaiting confirmation
    coordinator: object  # the program coordinator of the student's program
    agreement: object  # the site's affiliation agreement with the student's institution
    placement_request: object  # a request for the student at the site, awaiting its answer
    offer: object  # an open offer at the site, for the student's profession
    evaluation: object  # the placement's final evaluation, submitted by its mentor
    draft_evaluation: object  # its midterm evaluation, not started


def build_side(name: str) -> Side:
    facilitator = UserFactory(facilitator=True, full_name=f"Facilitator {name}")
    site = SiteFactory(name=f"Site {name}", facilitators=[facilitator])
    unit = UnitFactory(site=site)
    coordinator = UserFactory(coordinator=True, full_name=f"Coordinator {name}")
    program = ProgramFactory(institution=f"Institution {name}", coordinators=[coordinator])
    student = StudentFactory(program=program)
    start = timezone.localdate() - datetime.timedelta(days=10)
    placement = PlacementFactory(student=student, site=site, unit=unit, active=True,
                                 start_date=start)  # fmt: skip
    mentor = MentorAssignmentFactory(placement=placement)
    cop = CommunityOfPracticeFactory(site=site, facilitators=[facilitator])
    membership = MembershipFactory(community=cop, person=mentor.mentor)
    session = MentoringSessionFactory(
        placement=placement, logged_by=mentor.mentor, with_attendance=True
    )
    followup = FollowUpFactory(placement=placement, completed=True, interviewer=facilitator)
    record = InterviewRecordFactory(followup=followup)
    # After the student's placement, so that accepting it does not overlap.
    later = timezone.localdate() + datetime.timedelta(days=100)
    return Side(
        site=site,
        facilitator=facilitator,
        student=student,
        placement=placement,
        mentor=mentor,
        unit=unit,
        cop=cop,
        membership=membership,
        meeting=MeetingFactory(community=cop, attendees=[membership]),
        initiative=InitiativeFactory(community=cop),
        session=session,
        followup=followup,
        record=record,
        quote=QuoteFactory(record=record),
        capacity=CapacityFactory(site=site, unit=unit),
        import_job=ImportJobFactory(owner=facilitator),
        coordinator=coordinator,
        agreement=AffiliationAgreementFactory(
            site=site,
            institution=cast(Any, student).program.institution,
            document=SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%%EOF\n"),
        ),
        placement_request=PlacementRequestFactory(
            student=student, site=site, start_date=later, requested_by=coordinator
        ),
        offer=PlacementOfferFactory(
            site=site, profession=program.profession,
            start_date=later + datetime.timedelta(days=200),
        ),
        evaluation=PlacementEvaluationFactory(
            placement=placement, submitted=True, evaluator=mentor.mentor
        ),
        draft_evaluation=PlacementEvaluationFactory(placement=placement, midterm=True),
    )  # fmt: skip


@dataclass
class World:
    a: Side
    b: Side
    admin: object
    theme: object
    feed: object

    def persona(self, name: str):
        return {
            "anonymous": None,
            "student": self.a.student.user,
            "preceptor": self.a.mentor.mentor,
            "facilitator": self.a.facilitator,
            "coordinator": self.a.coordinator,
            "admin": self.admin,
        }[name]


def build_world() -> World:
    a = build_side("A")
    return World(
        a=a,
        b=build_side("B"),
        admin=UserFactory(admin=True, full_name="Ada Admin"),
        theme=ThemeFactory(),
        feed=CalendarFeedFactory(owner=a.facilitator),
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def client_as(client):
    """`client_as(user)` logs the test client in as that person (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login
