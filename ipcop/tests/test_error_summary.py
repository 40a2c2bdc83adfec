"""Forms list their problems once, in an error summary at the top linked to the fields;
each field's own message stays beside it (templates/includes/_error_summary.html)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from interviews.tests.factories import FollowUpFactory
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db


def summary_of(page: str) -> str:
    found = re.search(r"<div [^>]*data-error-summary.*?</ul>", page, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_wrong_password_is_said_once_in_the_summary(client):
    UserFactory(email="pat@example.org")
    response = client.post(reverse("login"), {"username": "pat@example.org", "password": "no"})
    page = response.content.decode()
    message = "Please enter a correct"
    assert page.count(message) == 1
    assert message in summary_of(page)
    assert 'tabindex="-1"' in summary_of(page)


def test_placement_overlap_is_said_once_in_the_summary(client, facilitator, site_a):
    placement = PlacementFactory(site=site_a)
    client.force_login(facilitator)
    response = client.post(
        reverse("placements:create"),
        {
            "student": placement.student.student_number,
            "site": site_a.pk,
            "start_date": placement.start_date.isoformat(),
            "end_date": placement.end_date.isoformat(),
            "model": "ip_mentoring",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("the dates overlap") == 1
    assert "the dates overlap" in summary_of(page)


def test_field_errors_are_linked_from_the_summary_and_stay_beside_the_field(
    client, facilitator, site_a
):
    followup = FollowUpFactory(
        placement=PlacementFactory(site=site_a), due_on=timezone.localdate() + timedelta(10)
    )
    client.force_login(facilitator)
    response = client.post(
        reverse("interviews:followup_schedule", args=[followup.pk]),
        {"interviewer": facilitator.pk, "scheduled_at": "yesterday"},
    )
    page = response.content.decode()
    summary = summary_of(page)
    # A text field is linked by its id; a group of radio buttons by its first button.
    assert 'href="#id_scheduled_at"' in summary and 'id="id_scheduled_at"' in page
    assert 'href="#id_mode_0"' in summary and 'id="id_mode_0"' in page
    # Each message twice: in the summary and beside its field, nowhere else.
    assert page.count("Enter a valid date/time.") == 2
    beside = page.split(summary, 1)[1]
    assert "Enter a valid date/time." in beside


def test_a_valid_form_has_no_summary(client):
    assert "data-error-summary" not in client.get(reverse("login")).content.decode()
