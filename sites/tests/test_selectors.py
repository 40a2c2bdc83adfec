"""The site page's statement (selectors.site_page) gives what the querysets it replaced
gave: the site's units, facilitators and CoPs in order, and active placements per model."""

import pytest
from django.db.models import Count

from accounts.tests.factories import UserFactory
from placements.models import PlacementModel, PlacementStatus
from placements.tests.factories import PlacementFactory
from sites.models import CoPStatus
from sites.selectors import site_page
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def test_site_page_agrees_with_the_querysets():
    people = [UserFactory(full_name=name, is_facilitator=True) for name in ("Zoe", "Al", "Mo")]
    site = SiteFactory(facilitators=people[:2])
    other = SiteFactory(facilitators=people[2:])
    for name in ("Ward B", "Ward A", "ICU"):
        UnitFactory(site=site, name=name, description=f"The {name} <unit>")
    UnitFactory(site=other, name="Elsewhere")
    for n, status in enumerate([CoPStatus.ACTIVE, CoPStatus.CLOSED, CoPStatus.FORMING]):
        cop = CommunityOfPracticeFactory(site=site, name=f"CoP {3 - n}", status=status)
        for _ in range(n):
            MembershipFactory(community=cop)
        if n:
            MeetingFactory(community=cop)
    CommunityOfPracticeFactory(site=other, name="Not here")
    models = list(PlacementModel.values)
    for n in range(7):
        PlacementFactory(site=site, model=models[n % 2], status=PlacementStatus.ACTIVE)
    PlacementFactory(site=site, status=PlacementStatus.COMPLETED)
    PlacementFactory(site=other, status=PlacementStatus.ACTIVE)

    page = site_page(site.pk)

    assert [(u.pk, u.name, u.description) for u in page.units] == list(
        site.units.order_by("name", "pk").values_list("pk", "name", "description")
    )
    assert [(f.pk, f.full_name, f.email) for f in page.facilitators] == list(
        site.facilitators.order_by("full_name", "pk").values_list("pk", "full_name", "email")
    )
    assert [
        (
            c.pk,
            c.name,
            c.status,
            c.status_label,
            c.member_count,
            c.last_meeting_on,
            c.active_initiative_count,
        )
        for c in page.communities
    ] == [
        (
            c.pk,
            c.name,
            c.status,
            c.get_status_display(),
            c.member_count,
            c.last_meeting_on,
            c.active_initiative_count,
        )
        for c in site.communities.order_by("name", "pk")
    ]
    counts = dict(
        site.placements.filter(status=PlacementStatus.ACTIVE)
        .order_by()
        .values_list("model")
        .annotate(n=Count("pk"))
    )
    assert page.active_placements_by_model == [
        {"model": model, "label": label, "count": counts.get(model, 0)}
        for model, label in PlacementModel.choices
    ]
    assert sum(row["count"] for row in page.active_placements_by_model) == 7
    assert any(c.last_meeting_on for c in page.communities)
