"""The preceptor's home panel: their students on active placements, by site and student
name, with the names each row shows and the date of the last session on the placement."""

import datetime

import pytest
from django.template.loader import render_to_string

from accounts.tests.factories import UserFactory
from mentoring.panels import PANEL_ROWS, preceptor, preceptor_placements
from mentoring.tests.factories import MentorAssignmentFactory, MentoringSessionFactory
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_preceptor_placements_list_active_mentored_placements_by_site_and_name():
    mentor = UserFactory(is_preceptor=True)
    north, central = SiteFactory(name="North"), SiteFactory(name="Central")
    unit = UnitFactory(site=north, name="Ward 3")
    rows = {}
    for n, (site, name) in enumerate(
        [(north, "Zoe"), (central, "Yann"), (north, "Abel"), (central, "Bea")]
    ):
        placement = PlacementFactory(
            site=site,
            unit=unit if site == north else None,
            student=StudentFactory(user__full_name=name),
            status=PlacementStatus.ACTIVE,
        )
        MentorAssignmentFactory(placement=placement, mentor=mentor)
        for days in range(n):
            MentoringSessionFactory(
                placement=placement,
                held_on=placement.start_date + datetime.timedelta(days=days),
                with_attendance=True,
            )
        rows[name] = placement
    # Not listed: a completed placement, and another preceptor's student.
    completed = PlacementFactory(status=PlacementStatus.COMPLETED)
    MentorAssignmentFactory(placement=completed, mentor=mentor)
    MentorAssignmentFactory(placement=PlacementFactory(status=PlacementStatus.ACTIVE))

    listed = preceptor_placements(mentor)
    assert [(r["site_name"], r["student_name"]) for r in listed] == [
        ("Central", "Bea"),
        ("Central", "Yann"),
        ("North", "Abel"),
        ("North", "Zoe"),
    ]
    abel = listed[2]
    placement = rows["Abel"]
    assert abel == {
        "pk": placement.pk,
        "student_id": placement.student_id,
        "end_date": placement.end_date,
        "student_name": "Abel",
        "profession_name": placement.student.program.profession.name,
        "site_name": "North",
        "unit_name": "Ward 3",
        "last_session": placement.start_date + datetime.timedelta(days=1),
    }
    assert listed[0]["unit_name"] is None
    assert listed[3]["last_session"] is None  # Zoe: no session yet


def test_preceptor_panel_shows_at_most_fifty_students_and_renders(client):
    mentor = UserFactory(is_preceptor=True)
    for placement in PlacementFactory.create_batch(PANEL_ROWS + 1, status=PlacementStatus.ACTIVE):
        MentorAssignmentFactory(placement=placement, mentor=mentor)
    ctx = preceptor(mentor)
    assert len(ctx["placements"]) == PANEL_ROWS
    html = render_to_string("mentoring/panels/preceptor.html", {"ctx": ctx, "panel_id": 3})
    assert '<h2 class="h4" id="panel-3">Students you mentor</h2>' in html
    assert html.count("Last session: none yet") == PANEL_ROWS
    first = ctx["placements"][0]
    assert f"?placement={first['pk']}" in html
