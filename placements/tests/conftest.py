"""Personas for the placements tests: a facilitator of site A, a preceptor, a student
placed at site A, an outsider facilitating site B, the program coordinator of the
student's program (BScN), and an admin."""

import datetime

import pytest

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory


@pytest.fixture
def nursing():
    return ProfessionFactory(code="nursing")


@pytest.fixture
def nursing_program(nursing):
    return ProgramFactory(name="BScN", institution="University of Alberta", profession=nursing)


@pytest.fixture
def coordinator(nursing_program):
    """The program coordinator of BScN (the student's program)."""
    user = UserFactory(coordinator=True, full_name="Cora Coordinator")
    nursing_program.coordinators.add(user)
    return user


@pytest.fixture
def facilitator():
    return UserFactory(facilitator=True, full_name="Fay Facilitator")


@pytest.fixture
def preceptor():
    return UserFactory(preceptor=True, full_name="Pat Preceptor")


@pytest.fixture
def site_a(facilitator):
    """Site A, with an affiliation agreement in force with the default institution: its
    placements can be confirmed."""
    site = SiteFactory(name="Site A", address="1 Main St", facilitators=[facilitator])
    AffiliationAgreementFactory(site=site)
    return site


@pytest.fixture
def unit_a(site_a):
    return UnitFactory(site=site_a, name="Unit 4B")


@pytest.fixture
def student(nursing_program):
    return StudentFactory(program=nursing_program, user__full_name="Sam Student")


@pytest.fixture
def placement(student, site_a, unit_a, facilitator):
    start = datetime.date.today() - datetime.timedelta(days=7)
    return PlacementFactory(
        student=student,
        site=site_a,
        unit=unit_a,
        start_date=start,
        end_date=start + datetime.timedelta(days=41),
        contact=facilitator,
    )


@pytest.fixture
def placement_b(site_b):
    """A placement of another student at another site."""
    return PlacementFactory(site=site_b)
