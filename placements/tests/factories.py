"""Factories for programs, students, placements, capacity and import jobs."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements.models import (
    AffiliationAgreement,
    AgreementStatus,
    Capacity,
    ImportJob,
    ImportJobStatus,
    Institution,
    Placement,
    PlacementModel,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestChange,
    PlacementRequestStatus,
    PlacementStatus,
    PlacementStatusChange,
    Program,
    Student,
)
from sites.tests.factories import SiteFactory


class ProgramFactory(DjangoModelFactory):
    """A program of one profession; framework empty means the default (CIHC 2010).
    `ProgramFactory(coordinators=[user])` makes the user one of its coordinators."""

    class Meta:
        model = Program
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Program {n}")
    # An institution's name is enough: the row is found or made.
    institution = "University of Alberta"
    profession = factory.SubFactory(ProfessionFactory)
    framework = None

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if isinstance(kwargs.get("institution"), str):
            kwargs["institution"] = Institution.objects.get_or_create(name=kwargs["institution"])[0]
        return kwargs

    @factory.post_generation
    def coordinators(self, create, extracted, **kwargs):
        if create and extracted:
            self.coordinators.add(*extracted)


class StudentFactory(DjangoModelFactory):
    """A student: the person is flagged is_student and has the program's profession."""

    class Meta:
        model = Student

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(
        UserFactory, is_student=True, profession=factory.SelfAttribute("..program.profession")
    )
    student_number = factory.Sequence(lambda n: f"S{n:06d}")
    cohort_year = factory.LazyFunction(lambda: datetime.date.today().year)


def _site_of_unit_or_new():
    # A placement (or capacity) in a unit is at that unit's site.
    return factory.Maybe(
        "unit",
        yes_declaration=factory.SelfAttribute("unit.site"),
        no_declaration=factory.SubFactory(SiteFactory),
    )


class PlacementFactory(DjangoModelFactory):
    """A requested IP-mentoring placement of six weeks starting today.

    Pass `unit=` and the site follows the unit. Traits: confirmed, active, completed,
    cancelled, traditional. Statuses set here skip the services (no status-change rows).
    """

    class Meta:
        model = Placement

    student = factory.SubFactory(StudentFactory)
    unit = None
    site = _site_of_unit_or_new()
    start_date = factory.LazyFunction(datetime.date.today)
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(weeks=6, days=-1))
    model = PlacementModel.IP_MENTORING
    status = PlacementStatus.REQUESTED

    class Params:
        confirmed = factory.Trait(status=PlacementStatus.CONFIRMED)
        active = factory.Trait(status=PlacementStatus.ACTIVE)
        completed = factory.Trait(
            status=PlacementStatus.COMPLETED,
            start_date=factory.LazyFunction(
                lambda: datetime.date.today() - datetime.timedelta(weeks=8)
            ),
        )
        cancelled = factory.Trait(status=PlacementStatus.CANCELLED)
        traditional = factory.Trait(model=PlacementModel.TRADITIONAL)


class PlacementStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = PlacementStatusChange

    placement = factory.SubFactory(PlacementFactory, status=PlacementStatus.CONFIRMED)
    from_status = PlacementStatus.REQUESTED
    to_status = factory.SelfAttribute("placement.status")


class CapacityFactory(DjangoModelFactory):
    """Two places for one profession at a site over the next three months."""

    class Meta:
        model = Capacity

    unit = None
    site = _site_of_unit_or_new()
    profession = factory.SubFactory(ProfessionFactory)
    period_start = factory.LazyFunction(datetime.date.today)
    period_end = factory.LazyAttribute(lambda o: o.period_start + datetime.timedelta(days=90))
    places = 2


class ImportJobFactory(DjangoModelFactory):
    """A students file checked in the background and awaiting its owner's confirmation."""

    class Meta:
        model = ImportJob

    owner = factory.SubFactory(UserFactory, facilitator=True)
    kind = "students"
    filename = "students.csv"
    content = b"email,full_name,program\n"
    status = ImportJobStatus.READY
    in_background = True
    rows_total = 1
    rows_done = 1
    counts = factory.LazyFunction(lambda: {"create": 1, "update": 0, "unchanged": 0})
    rows = factory.LazyFunction(
        lambda: [{"line": 2, "action": "create", "summary": "Enrol someone", "errors": []}]
    )


class AffiliationAgreementFactory(DjangoModelFactory):
    """An open-ended agreement in force since 2000 between the default institution and a
    site (pass `zone=` and `site=None` for a zone's), without a document."""

    class Meta:
        model = AffiliationAgreement

    institution = "University of Alberta"
    site = factory.SubFactory(SiteFactory)
    zone = ""
    starts_on = datetime.date(2000, 1, 1)
    ends_on = None
    status = AgreementStatus.ACTIVE

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if isinstance(kwargs.get("institution"), str):
            kwargs["institution"] = Institution.objects.get_or_create(name=kwargs["institution"])[0]
        return kwargs


class PlacementRequestFactory(DjangoModelFactory):
    """A request, awaiting the site, for six weeks from four weeks on. Statuses set here
    skip the services (no history rows, no emails)."""

    class Meta:
        model = PlacementRequest

    student = factory.SubFactory(StudentFactory)
    unit = None
    site = _site_of_unit_or_new()
    start_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(weeks=4))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(weeks=6, days=-1))
    profession = factory.SelfAttribute("student.program.profession")
    model = PlacementModel.IP_MENTORING
    status = PlacementRequestStatus.REQUESTED


class PlacementRequestChangeFactory(DjangoModelFactory):
    class Meta:
        model = PlacementRequestChange

    request = factory.SubFactory(PlacementRequestFactory)
    from_status = ""
    to_status = PlacementRequestStatus.REQUESTED


class PlacementOfferFactory(DjangoModelFactory):
    """Three places for one profession at a site, for six weeks from eight weeks on."""

    class Meta:
        model = PlacementOffer

    unit = None
    site = _site_of_unit_or_new()
    profession = factory.SubFactory(ProfessionFactory)
    start_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(weeks=8))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(weeks=6, days=-1))
    places = 3
