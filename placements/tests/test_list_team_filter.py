"""The placements list's "Mentoring team: incomplete" filter, which the facilitator's
to-do line links to: the same rule as mentoring's (a primary preceptor and, in IP
mentoring, a mentor of another profession)."""

import pytest
from django.urls import reverse

from mentoring.models import MentorRole
from mentoring.tests.factories import MentorAssignmentFactory
from placements.tests.factories import PlacementFactory, StudentFactory

pytestmark = pytest.mark.django_db
LIST = reverse("placements:list")


@pytest.fixture
def teams(site_a, nursing_program):
    def placed(name, **extra):
        student = StudentFactory(program=nursing_program, user__full_name=name)
        return PlacementFactory(student=student, site=site_a, **extra)

    complete = placed("Alma Complete")
    MentorAssignmentFactory(placement=complete, role=MentorRole.PRIMARY)  # her profession
    MentorAssignmentFactory(placement=complete)  # an IP mentor of another profession
    no_team = placed("Bea Noteam")
    # A primary of the student's own profession: IP mentoring still lacks another one.
    own_profession = placed("Cy Ownprofession")
    MentorAssignmentFactory(
        placement=own_profession,
        role=MentorRole.PRIMARY,
        mentor__profession=nursing_program.profession,
        profession=nursing_program.profession,
    )
    traditional = placed("Di Traditional", traditional=True)
    MentorAssignmentFactory(
        placement=traditional,
        role=MentorRole.PRIMARY,
        mentor__profession=nursing_program.profession,
        profession=nursing_program.profession,
    )
    return {"complete": complete, "no_team": no_team, "own": own_profession, "trad": traditional}


def test_incomplete_lists_only_the_placements_whose_team_is_incomplete(client, facilitator, teams):
    client.force_login(facilitator)
    page = client.get(LIST, {"team": "incomplete"}).content.decode()
    assert "Bea Noteam" in page and "Cy Ownprofession" in page
    assert "Alma Complete" not in page and "Di Traditional" not in page
    unfiltered = client.get(LIST).content.decode()
    assert all(name in unfiltered for name in ("Alma Complete", "Di Traditional"))


def test_a_bad_team_value_is_reported_and_ignored(client, facilitator, teams):
    client.force_login(facilitator)
    response = client.get(LIST, {"team": "whatever"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "Alma Complete" in page and "Bea Noteam" in page


def test_the_filter_costs_no_extra_query(client, facilitator, teams, django_assert_max_num_queries):
    client.force_login(facilitator)
    client.get(LIST)
    with django_assert_max_num_queries(12):
        assert client.get(LIST, {"team": "incomplete"}).status_code == 200
