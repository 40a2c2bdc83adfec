"""Django admin changes a placement's status only through the lifecycle service."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from interviews.models import FollowUp
from placements.models import PlacementStatus, PlacementStatusChange
from placements.tests.factories import CapacityFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(superuser=True))
    return client


def run_action(client, action, placements):
    return client.post(
        reverse("admin:placements_placement_changelist"),
        {"action": action, "_selected_action": [p.pk for p in placements]},
        follow=True,
    )


def test_admin_activation_records_history_and_creates_the_followup(superuser_client):
    placement = PlacementFactory(status=PlacementStatus.CONFIRMED)
    response = run_action(superuser_client, "activate_selected", [placement])
    assert response.status_code == 200
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.ACTIVE
    assert PlacementStatusChange.objects.filter(placement=placement, to_status="active").exists()
    assert FollowUp.objects.filter(placement=placement).exists()


def test_admin_cannot_jump_the_lifecycle_and_says_why(superuser_client):
    placement = PlacementFactory(status=PlacementStatus.REQUESTED)
    response = run_action(superuser_client, "complete_selected", [placement])
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.REQUESTED
    assert not PlacementStatusChange.objects.filter(placement=placement).exists()
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_admin_confirmation_respects_capacity(superuser_client):
    holder = PlacementFactory(status=PlacementStatus.CONFIRMED)
    CapacityFactory(
        site=holder.site,
        profession=holder.student.program.profession,
        period_start=holder.start_date,
        period_end=holder.end_date,
        places=1,
    )
    newcomer = PlacementFactory(
        site=holder.site,
        student__program=holder.student.program,
        start_date=holder.start_date,
        end_date=holder.end_date,
    )
    run_action(superuser_client, "confirm_selected", [newcomer])
    newcomer.refresh_from_db()
    assert newcomer.status == PlacementStatus.REQUESTED


def test_status_is_read_only_on_the_change_form(superuser_client):
    placement = PlacementFactory()
    response = superuser_client.get(
        reverse("admin:placements_placement_change", args=[placement.pk])
    )
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()
