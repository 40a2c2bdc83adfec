"""The outcomes report is cached under the versions of the data it reads: read again, it
costs no query; after a service changes any of that data, the next read shows the change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interviews import services as interview_services
from interviews.selectors.report import outcomes_report_cached
from interviews.tests.factories import FollowUpFactory, InterviewRecordFactory, ThemeFactory
from mentoring import services as mentoring_services
from mentoring.models import Activity
from mentoring.tests.factories import MentorAssignmentFactory
from placements import services as placement_services
from placements.tests.factories import PlacementFactory, StudentFactory
from sites import services as site_services
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def world(today):
    site = SiteFactory(name="Site A")
    placement = PlacementFactory(site=site, active=True, start_date=today - timedelta(10))
    mentor = MentorAssignmentFactory(placement=placement).mentor
    return {"site": site, "placement": placement, "mentor": mentor}


def report(world, today):
    site = world["site"]
    return outcomes_report_cached(
        sites={site.pk: site.name}, start=today - timedelta(30), end=today
    )


def placements_counted(outcomes) -> int:
    return sum(row["placements"] for row in outcomes.placements_by_model)


def test_a_second_read_costs_no_query(world, today, django_assert_num_queries):
    first = report(world, today)
    with django_assert_num_queries(0):
        again = report(world, today)
    assert again.placements_by_model == first.placements_by_model


def test_a_new_placement_shows_on_the_next_read(world, today, django_capture_on_commit_callbacks):
    assert placements_counted(report(world, today)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        placement_services.placement_create(
            student=StudentFactory(), site=world["site"], start_date=today, end_date=today
        )
    assert placements_counted(report(world, today)) == 2


def test_a_logged_session_shows_on_the_next_read(world, today, django_capture_on_commit_callbacks):
    assert report(world, today).exposure["students"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        mentoring_services.session_log(
            logged_by=world["mentor"],
            site=world["site"],
            held_on=today,
            duration_minutes=60,
            activity=Activity.SHADOWING,
            students=[world["placement"].student],
        )
    assert report(world, today).exposure["students"] == 1


def test_a_new_community_shows_on_the_next_read(world, today, django_capture_on_commit_callbacks):
    assert report(world, today).community_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        site_services.community_create(
            site=world["site"], name="Falls", focus="x", started_on=today, status="active"
        )
    assert report(world, today).community_count == 1


def test_a_closed_follow_up_and_a_recorded_interview_show_on_the_next_read(
    world, today, django_capture_on_commit_callbacks
):
    followup = FollowUpFactory(placement=world["placement"], due_on=today)
    assert report(world, today).followups["completed"] == 0
    InterviewRecordFactory(followup=followup, consent_given=True, conducted_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        interview_services.interview_record_save(
            followup=followup,
            conducted_on=today,
            notes="",
            themes=[ThemeFactory(name="Roles")],
            by=None,
        )
    outcomes = report(world, today)
    assert outcomes.followups["completed"] == 1
    assert [theme.name for theme in outcomes.themes] == ["Roles"]
