"""The site page's capacity statement (selectors.site_capacity) gives the rows and used
places of the ORM's capacities_with_use, whatever the units, professions, periods and
statuses."""

import datetime
import random

import pytest

from accounts.tests.factories import ProfessionFactory
from placements.models import Capacity, PlacementStatus
from placements.selectors import capacities_with_use, site_capacity
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_site_capacity_agrees_with_the_queryset():
    rng = random.Random(4)
    site, other_site = SiteFactory(name="Here"), SiteFactory(name="Elsewhere")
    units = [UnitFactory(site=site, name=f"Unit {n}") for n in range(3)]
    professions = [ProfessionFactory() for _ in range(3)]
    programs = [ProgramFactory(profession=p) for p in professions]
    periods = [(D(2030, 1, 1), D(2030, 3, 31)), (D(2030, 4, 1), D(2030, 6, 30))]
    for start, end in periods:
        for profession in professions:
            CapacityFactory(
                site=site, profession=profession, period_start=start, period_end=end, places=3
            )
            for unit in rng.sample(units, 2):
                CapacityFactory(
                    site=site,
                    unit=unit,
                    profession=profession,
                    period_start=start,
                    period_end=end,
                    places=rng.randrange(0, 3),
                )
    CapacityFactory(site=other_site, profession=professions[0], places=5)
    for _ in range(40):
        start = D(2029, 12, 1) + datetime.timedelta(days=rng.randrange(200))
        PlacementFactory(
            student=StudentFactory(program=rng.choice(programs)),
            site=rng.choice([site, site, other_site]) if rng.random() < 0.9 else site,
            unit=rng.choice([*units, None]),
            start_date=start,
            end_date=start + datetime.timedelta(days=rng.randrange(10, 60)),
            status=rng.choice(PlacementStatus.values),
        )

    expected = [
        (c.pk, c.period_start, c.period_end, c.places, c.unit_id, c.profession.name, c.used)
        for c in capacities_with_use(Capacity.objects.filter(site=site)).order_by(
            "period_start", "profession__name", "unit__name", "pk"
        )
    ]
    rows = site_capacity(site.pk)
    assert [
        (r.pk, r.period_start, r.period_end, r.places, r.unit_id, r.profession, r.used)
        for r in rows
    ] == expected
    assert sum(r.used for r in rows) > 0
    assert [r.unit for r in rows if r.unit_id] == [
        c.unit.name
        for c in Capacity.objects.filter(pk__in=[r.pk for r in rows if r.unit_id])
        .select_related("unit")
        .order_by("period_start", "profession__name", "unit__name", "pk")
    ]
    assert all(r.free == max(r.places - r.used, 0) for r in rows)
