"""Placement.profession, the student's profession copied onto the placement by triggers
(capacity counts read it): right after writes through the services and through plain
ORM writes as the admin makes them, and put right by placement_professions_refill."""

import datetime

import pgtrigger
import pytest

from accounts.tests.factories import ProfessionFactory
from placements import services
from placements.models import Placement, PlacementStatus, Student
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def recounted() -> dict[int, int]:
    """Each placement's profession as its student's program gives it."""
    return {
        placement.pk: placement.student.program.profession_id
        for placement in Placement.objects.select_related("student__program")
    }


def stored() -> dict[int, int]:
    return dict(Placement.objects.values_list("pk", "profession_id"))


@pytest.fixture
def programs():
    return ProgramFactory(profession=ProfessionFactory()), ProgramFactory(
        profession=ProfessionFactory()
    )


def test_a_placement_made_by_the_services_has_its_students_profession(programs, facilitator):
    student = StudentFactory(program=programs[0])
    placement = services.placement_create(
        student=student,
        site=AffiliationAgreementFactory().site,
        start_date=datetime.date(2030, 1, 6),
        end_date=datetime.date(2030, 2, 14),
        created_by=facilitator,
    )
    services.placement_transition(
        placement=placement, to_status=PlacementStatus.CONFIRMED, changed_by=facilitator
    )
    # Read back from the insert, not only in the table.
    assert placement.profession_id == programs[0].profession_id
    assert stored() == recounted()


def test_plain_orm_writes_keep_it(programs):
    first, second = (StudentFactory(program=program) for program in programs)
    made = Placement.objects.create(
        student=first, site=SiteFactory(), start_date=datetime.date(2030, 1, 1),
        end_date=datetime.date(2030, 2, 1),
    )  # fmt: skip
    assert made.profession_id == programs[0].profession_id
    bulk = Placement.objects.bulk_create(
        Placement(
            student=second,
            site=made.site,
            start_date=datetime.date(2031, 1, 1),
            end_date=datetime.date(2031, 2, 1),
        )
        for _ in range(3)
    )
    assert {p.profession_id for p in bulk} == {programs[1].profession_id}
    assert stored() == recounted()

    made.student = second  # the admin moves a placement to another enrolment
    made.save()
    assert stored() == recounted()

    Student.objects.filter(pk=second.pk).update(program=programs[0])  # a program fixed
    assert stored() == recounted()

    programs[0].profession = ProfessionFactory()  # a program's profession fixed
    programs[0].save()
    assert stored() == recounted()

    Placement.objects.filter(pk=made.pk).update(profession=programs[1].profession)
    assert stored() == recounted()  # written directly, it is put right at once


def test_the_refill_puts_right_what_a_load_without_triggers_left(programs):
    placements = [PlacementFactory(student=StudentFactory(program=program)) for program in programs]
    with pgtrigger.ignore("placements.Placement:placement_profession_on_update"):
        Placement.objects.filter(pk=placements[0].pk).update(profession=None)
        Placement.objects.filter(pk=placements[1].pk).update(profession=programs[0].profession)
    assert stored() != recounted()
    assert services.placement_professions_refill() == 2
    assert stored() == recounted()
    assert services.placement_professions_refill() == 0


def test_the_counters_check_names_what_a_load_without_triggers_left_and_the_recount_fixes_it(
    programs,
):
    """What the benchmark's data set builder and `make stress` call for every app."""
    placements = [PlacementFactory(student=StudentFactory(program=program)) for program in programs]
    assert services.counters_check() == []
    with pgtrigger.ignore("placements.Placement:placement_profession_on_update"):
        Placement.objects.filter(pk=placements[0].pk).update(profession=None)
        Placement.objects.filter(pk=placements[1].pk).update(profession=programs[0].profession)
    problems = services.counters_check()
    assert [line.split(":")[0] for line in problems] == [
        f"Placement {placements[0].pk}",
        f"Placement {placements[1].pk}",
    ]
    services.counters_recount()
    assert services.counters_check() == []
    assert stored() == recounted()
