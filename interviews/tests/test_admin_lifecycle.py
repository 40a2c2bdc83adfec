"""Django admin shows, but does not edit, what the follow-up services own."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from interviews.tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db


def test_followup_schedule_and_status_are_read_only_in_admin(client):
    client.force_login(UserFactory(superuser=True))
    followup = FollowUpFactory()
    response = client.get(reverse("admin:interviews_followup_change", args=[followup.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("status", "interviewer", "scheduled_at", "due_on"):
        assert f'name="{field}"' not in html
