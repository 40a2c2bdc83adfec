"""The capacity rows of the site page (selectors.site_capacity): each capacity with the
places its placements hold, counted by the rule written out here: same site, the unit's
placements for a unit's capacity and all the site's for a site-wide one, the capacity's
profession, overlapping its period, confirmed, active or completed."""

import datetime
import random

import pytest

from accounts.tests.factories import ProfessionFactory
from placements.models import Capacity, Placement, PlacementStatus
from placements.selectors import site_capacity
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

    holding = ("confirmed", "active", "completed")

    def used(c: Capacity) -> int:
        return sum(
            1
            for p in Placement.objects.select_related("student__program")
            if p.site_id == c.site_id
            and (c.unit_id is None or p.unit_id == c.unit_id)
            and p.student.program.profession_id == c.profession_id
            and p.start_date <= c.period_end
            and p.end_date >= c.period_start
            and p.status in holding
        )

    capacities = sorted(
        Capacity.objects.filter(site=site).select_related("unit", "profession"),
        # As PostgreSQL orders them: a site-wide row (no unit) after the units' rows.
        key=lambda c: (
            c.period_start,
            c.profession.name,
            c.unit is None,
            c.unit and c.unit.name,
            c.pk,
        ),
    )
    expected = [
        (c.pk, c.period_start, c.period_end, c.places, c.unit_id, c.profession.name, used(c))
        for c in capacities
    ]
    rows = site_capacity(site.pk)
    assert [
        (r["pk"], r["period_start"], r["period_end"], r["places"], r["unit_id"])
        + (r["profession_name"], r["used"])
        for r in rows
    ] == expected
    assert sum(r["used"] for r in rows) > 0
    assert [r["unit_name"] for r in rows] == [c.unit.name if c.unit else None for c in capacities]
    assert all(r["free"] == max(r["places"] - r["used"], 0) for r in rows)
    assert {r["site_name"] for r in rows} == {"Here"}
