"""The preceptor's panel statement (panels.preceptor_placements) lists what the queryset
selectors.placements_mentored_now defines, in its order, with the names it shows."""

import datetime

import pytest

from accounts.tests.factories import UserFactory
from mentoring.panels import preceptor_placements
from mentoring.selectors import placements_mentored_now
from mentoring.tests.factories import MentorAssignmentFactory, MentoringSessionFactory
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_preceptor_placements_agree_with_the_queryset():
    preceptor = UserFactory(is_preceptor=True)
    sites = [SiteFactory(name=name) for name in ("North", "Central")]
    unit = UnitFactory(site=sites[0])
    for n in range(6):
        placement = PlacementFactory(
            site=sites[n % 2],
            unit=unit if n % 3 == 0 else None,
            status=PlacementStatus.ACTIVE if n != 4 else PlacementStatus.COMPLETED,
        )
        MentorAssignmentFactory(placement=placement, mentor=preceptor)
        for days in range(n % 3):
            MentoringSessionFactory(
                placement=placement,
                held_on=placement.start_date + datetime.timedelta(days=days),
                with_attendance=True,
            )
    MentorAssignmentFactory(placement=PlacementFactory(status=PlacementStatus.ACTIVE))

    expected = [
        (
            p.pk,
            p.student_id,
            p.end_date,
            p.student.user.full_name,
            p.student.program.profession.name,
            p.site.name,
            p.unit.name if p.unit else None,
            p.last_session,
        )
        for p in placements_mentored_now(preceptor)
    ]
    rows = [
        (
            r.pk,
            r.student_id,
            r.end_date,
            r.student_name,
            r.profession_name,
            r.site_name,
            r.unit_name,
            r.last_session,
        )
        for r in preceptor_placements(preceptor)
    ]
    assert rows == expected
    assert len(rows) == 5
    assert any(r[-1] for r in rows) and any(r[-1] is None for r in rows)
