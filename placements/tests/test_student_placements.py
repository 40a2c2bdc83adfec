"""The student's home panel (placements.panels.student): each of the student's own
placements with its site, unit, contact and mentoring team (by role, then name), split
into current, upcoming and past (most recent first), and its Django template."""

import datetime

import pytest
from django.template.loader import render_to_string

from accounts.tests.factories import UserFactory
from mentoring.tests.factories import MentorAssignmentFactory
from placements import panels
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2030, 6, 1)


@pytest.fixture
def student_world():
    student = StudentFactory()
    site = SiteFactory(name="Home Site", address="1 Main St", city="Edmonton", phone="780-555-0100")
    contact = UserFactory(full_name="Fay Contact", phone="780-555-0101")
    starts = [TODAY - datetime.timedelta(days=10), TODAY + datetime.timedelta(days=30)]
    starts += [TODAY - datetime.timedelta(days=300), TODAY - datetime.timedelta(days=200)]
    placements = []
    for n, start in enumerate(starts):
        placement = PlacementFactory(
            student=student,
            site=site if n % 2 == 0 else SiteFactory(name=f"Other {n}"),
            unit=UnitFactory(site=site, name="Ward 2") if n == 0 else None,
            contact=contact if n < 2 else None,
            start_date=start,
            end_date=start + datetime.timedelta(days=42),
            status=PlacementStatus.ACTIVE if n == 0 else PlacementStatus.CONFIRMED,
        )
        for name in ("Zed", "Amy")[: n % 3]:
            MentorAssignmentFactory(placement=placement, mentor=UserFactory(full_name=name))
        placements.append(placement)
    PlacementFactory(site=site)  # another student's
    return student, placements


def test_the_panel_splits_the_students_placements_with_their_details(student_world):
    student, placements = student_world
    ctx = panels.student(student.user, today=TODAY)
    assert [p["pk"] for p in ctx["current"]] == [placements[0].pk]
    assert [p["pk"] for p in ctx["upcoming"]] == [placements[1].pk]
    assert [p["pk"] for p in ctx["past"]] == [placements[3].pk, placements[2].pk]
    now = ctx["current"][0]
    assert (now["site_name"], now["unit_name"], now["address"], now["city"]) == (
        "Home Site",
        "Ward 2",
        "1 Main St",
        "Edmonton",
    )
    assert (now["contact_name"], now["contact_email"], now["contact_phone"]) == (
        "Fay Contact",
        placements[0].contact.email,
        "780-555-0101",
    )
    assert (now["status_label"], now["model_label"]) == ("Active", "IP mentoring")
    assert now["team"] == []
    upcoming = ctx["upcoming"][0]
    assert [m["name"] for m in upcoming["team"]] == ["Zed"]
    # The team in its order: the primary preceptor first, then by name.
    past = ctx["past"][1]
    team = placements[2].mentors.select_related("mentor", "profession")
    assert [(m["name"], m["profession"], m["role_label"]) for m in past["team"]] == [
        (a.mentor.full_name, a.profession.name, a.get_role_display())
        for a in sorted(team, key=lambda a: (a.role, a.mentor.full_name))
    ]
    assert ctx["past"][0]["contact_email"] is None


def test_cancelled_and_completed_placements_are_past(student_world):
    student, placements = student_world
    placements[1].status = PlacementStatus.CANCELLED
    placements[1].save()
    ctx = panels.student(student.user, today=TODAY)
    assert ctx["upcoming"] == [] and placements[1].pk in [p["pk"] for p in ctx["past"]]


def test_the_template_shows_cards_now_and_upcoming_and_a_table_of_the_past(student_world):
    student, placements = student_world
    ctx = panels.student(student.user, today=TODAY)
    html = render_to_string("placements/panels/student.html", {"ctx": ctx, "panel_id": 3})
    assert '<h2 class="h4" id="panel-3">Your placements</h2>' in html
    assert html.count('<article class="card mb-3">') == 2
    assert f'href="/placements/{placements[0].pk}/">Home Site, Ward 2</a>' in html
    assert '<span class="badge text-bg-success">Active</span>' in html
    assert "Zed (" in html and "Amy (" in html
    assert '<a href="mailto:' in html and "Your program will tell you whom to contact." not in html
    assert '<caption class="visually-hidden">Your past placements</caption>' in html
    assert "13 Nov 2029" in html  # a past placement's dates
    # The site's and the contact's phone numbers are tap-to-call links.
    assert '<a href="tel:+17805550100">780-555-0100</a>' in html
    assert '<a href="tel:+17805550101">780-555-0101</a>' in html


def test_a_student_without_placements_is_told_so():
    student = StudentFactory()
    html = render_to_string(
        "placements/panels/student.html", {"ctx": panels.student(student.user), "panel_id": 1}
    )
    assert "You have no placement yet." in html


@pytest.mark.parametrize("rows", [10, 200])
def test_the_panel_is_one_query_whatever_the_placements(rows, django_assert_max_num_queries):
    student = StudentFactory()
    site = SiteFactory()
    mentor = UserFactory(preceptor=True)
    for n in range(rows):
        start = TODAY + datetime.timedelta(days=7 * (n - rows // 2))
        placement = PlacementFactory(student=student, site=site, start_date=start)
        if n < 5:
            MentorAssignmentFactory(placement=placement, mentor=mentor)
    with django_assert_max_num_queries(10):
        ctx = panels.student(student.user, today=TODAY)
        render_to_string("placements/panels/student.html", {"ctx": ctx, "panel_id": 1})
    assert sum(len(ctx[part]) for part in ("current", "upcoming", "past")) == rows
