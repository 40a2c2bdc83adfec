"""Dates people type are bounded in one place (ipcop/lib/dates.py): a date outside
1900–2199 is refused with a message wherever it comes in, instead of a server error
later, when a follow-up six months on would fall in year 10000."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from interviews.models import FollowUp
from ipcop.lib.dates import LATEST
from ipcop.permissions import sites_facilitated_by
from placements import services as placement_services
from placements.importers import parse_file, run_import
from placements.models import Placement
from placements.tests.factories import AffiliationAgreementFactory, StudentFactory
from sites import services as site_services
from sites.tests.factories import CommunityOfPracticeFactory, SiteFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DECEMBER_9999 = D(9999, 12, 1)


@pytest.fixture
def facilitator():
    return UserFactory(facilitator=True)


@pytest.fixture
def site(facilitator):
    site = SiteFactory(name="Site A", facilitators=[facilitator])
    AffiliationAgreementFactory(site=site)
    return site


def test_a_placement_starting_in_december_9999_gets_a_message(client, facilitator, site):
    student = StudentFactory()
    client.force_login(facilitator)
    response = client.post(
        reverse("placements:create"),
        {"student": student.user.email, "site": site.pk, "start_date": DECEMBER_9999,
         "end_date": D(9999, 12, 31), "model": "ip_mentoring"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Give a date between 1900-01-01 and 2199-12-31." in response.content.decode()
    assert not Placement.objects.exists()


def test_the_service_refuses_it_too(site):
    with pytest.raises(ValidationError) as error:
        placement_services.placement_create(
            student=StudentFactory(), site=site, start_date=DECEMBER_9999, end_date=D(9999, 12, 2)
        )
    assert set(error.value.message_dict) == {"start_date", "end_date"}


def test_an_imported_placement_in_year_9999_is_a_row_error(facilitator, site):
    student = StudentFactory()
    rows = parse_file(
        f"student_email,site,start_date,end_date\n"
        f"{student.user.email},Site A,9999-12-01,9999-12-31\n".encode(),
        "placements",
    )
    result = run_import(
        "placements", rows, user=facilitator, sites=sites_facilitated_by(facilitator), commit=True
    )
    assert not result.ok and not result.committed
    assert "1900-01-01" in " ".join(" ".join(row.errors) for row in result.rows)
    assert not Placement.objects.exists()


def test_a_membership_joined_in_december_9999_is_refused(site):
    community = CommunityOfPracticeFactory(site=site)
    with pytest.raises(ValidationError):
        site_services.membership_add(
            community=community, person=UserFactory(preceptor=True), joined_on=DECEMBER_9999
        )
    assert not FollowUp.objects.exists()


def test_the_latest_start_still_gets_its_follow_up(facilitator, site):
    """The bound leaves room for the follow-up's arithmetic: six months after the latest
    start is still a date."""
    placement = placement_services.placement_create(
        student=StudentFactory(), site=site, start_date=LATEST, end_date=LATEST
    )
    placement_services.placement_advance_to(
        placement=placement, to_status="active", changed_by=None
    )
    assert FollowUp.objects.get().due_on > LATEST
