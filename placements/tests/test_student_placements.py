"""The student's home statement (selectors.student_placements) gives each of the
student's placements with what the ORM gives: site, unit, contact, and the mentoring
team in the mentors' default order, split into current, upcoming and past."""

import datetime

import pytest

from accounts.tests.factories import UserFactory
from mentoring.models import MentorAssignment
from mentoring.tests.factories import MentorAssignmentFactory
from placements.models import Placement, PlacementStatus
from placements.selectors import student_placements
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2030, 6, 1)


def test_student_placements_agree_with_the_querysets():
    student = StudentFactory()
    site = SiteFactory(address="1 Main St", city="Edmonton", phone="780-555-0100")
    contact = UserFactory(full_name="Fay Contact", phone="780-555-0101")
    starts = [TODAY - datetime.timedelta(days=10), TODAY + datetime.timedelta(days=30)]
    starts += [TODAY - datetime.timedelta(days=300), TODAY - datetime.timedelta(days=200)]
    for n, start in enumerate(starts):
        placement = PlacementFactory(
            student=student,
            site=site if n % 2 == 0 else SiteFactory(),
            unit=UnitFactory(site=site) if n == 0 else None,
            contact=contact if n < 2 else None,
            start_date=start,
            end_date=start + datetime.timedelta(days=42),
            status=PlacementStatus.ACTIVE if n == 0 else PlacementStatus.CONFIRMED,
        )
        for name in ("Zed", "Amy")[: n % 3]:
            MentorAssignmentFactory(placement=placement, mentor=UserFactory(full_name=name))
    PlacementFactory(site=site)  # another student's

    result = student_placements(student.user, today=TODAY)

    def expected(placement: Placement) -> tuple:
        mentors = MentorAssignment.objects.filter(placement=placement).select_related(
            "mentor", "profession"
        )
        return (
            placement.pk,
            placement.site.name,
            placement.site.address,
            placement.unit.name if placement.unit else None,
            placement.contact.email if placement.contact else None,
            placement.get_model_display(),
            placement.get_status_display(),
            [(m.mentor.full_name, m.profession.name, m.get_role_display()) for m in mentors],
        )

    def shown(row) -> tuple:
        return (
            row.pk,
            row.site_name,
            row.address,
            row.unit_name,
            row.contact_email,
            row.model_label,
            row.status_label,
            [(m.name, m.profession, m.role_label) for m in row.mentor_list],
        )

    placements = list(Placement.objects.filter(student=student).order_by("start_date", "pk"))
    assert [shown(r) for r in result.current] == [expected(placements[2])]
    assert [shown(r) for r in result.upcoming] == [expected(placements[3])]
    assert [shown(r) for r in result.past] == [expected(placements[1]), expected(placements[0])]
    assert any(r.mentor_list for r in result.past)
