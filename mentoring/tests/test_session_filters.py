"""The sessions list's filters: student, site, dates, activity and the notes' words; bad
values answered with a message, never a 500; choices limited to what the person sees."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from mentoring.models import Activity, MentoringSession
from mentoring.tests.conftest import bulk_sessions
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

URL = reverse("mentoring:session_list")


@pytest.fixture
def sessions(placement, team, site_b):
    """Four sessions at site A of the placement's student and one of another student."""
    other = PlacementFactory(site=placement.site, status=PlacementStatus.ACTIVE)
    made = bulk_sessions(count=4, placements=[placement], logged_by=team[0])
    notes = [
        "Joint assessment of discharge planning with pharmacy",
        "Shadowed the physiotherapist on rounds",
        "Debrief after a family meeting",
        "",
    ]
    for session, text in zip(made, notes, strict=True):
        session.notes = text
        session.save(update_fields=["notes"])
    (elsewhere,) = bulk_sessions(count=1, placements=[other], logged_by=team[0])
    return made, elsewhere, other


def listed(response):
    assert response.status_code == 200
    return {row["pk"] for row in response.context["page"].object_list}


def test_filters_by_student_site_activity_and_dates(client, facilitator, site_a, sessions):
    made, elsewhere, other = sessions
    client.force_login(facilitator)
    everything = {s.pk for s in made} | {elsewhere.pk}
    assert listed(client.get(URL)) == everything
    assert listed(client.get(URL, {"site": site_a.pk})) == everything
    student = made[0].students.get()
    assert listed(client.get(URL, {"site": site_a.pk, "student": student.pk})) == {
        s.pk for s in made
    }
    rounds = {s.pk for s in made if s.activity == Activity.IP_ROUNDS}
    assert listed(client.get(URL, {"activity": "ip_rounds", "student": student.pk})) == rounds
    day = made[1].held_on
    assert listed(client.get(URL, {"held_from": day, "held_to": day})) == {
        s.pk for s in [*made, elsewhere] if s.held_on == day
    }


def test_notes_search_finds_words_and_their_forms(client, facilitator, sessions):
    made, _, _ = sessions
    client.force_login(facilitator)
    assert listed(client.get(URL, {"q": "discharge"})) == {made[0].pk}
    assert listed(client.get(URL, {"q": "assessed pharmacy"})) == {made[0].pk}  # stemmed
    assert listed(client.get(URL, {"q": "rounds or family"})) == {made[1].pk, made[2].pk}
    assert listed(client.get(URL, {"q": "rounds -physiotherapist"})) == set()
    page = client.get(URL, {"q": "nothing-like-this"}).content.decode()
    assert "No session matches these filters." in page


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"site": "abc"}, "site", "Select a valid choice"),
        ({"student": "99999999999999999999"}, "student", "Select a valid choice"),
        ({"activity": "dancing"}, "activity", "Select a valid choice"),
        ({"held_from": "31/31/2026"}, "held_from", "Enter a valid date"),
        ({"held_from": "0001-01-01"}, "held_from", "Give a date between"),
        ({"held_from": "2026-05-02", "held_to": "2026-05-01"}, "held_to", "before its start"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "!!! & | :*"}, None, None),  # punctuation only: no words, no error
    ],
)
def test_bad_filters_get_a_message_and_no_500(
    client, facilitator, sessions, params, field, message
):
    client.force_login(facilitator)
    response = client.get(URL, params)
    assert response.status_code == 200
    form = response.context["form"]
    if field is None:
        assert not form.errors
    else:
        assert message in " ".join(form.errors[field])
        assert message in response.content.decode()


def test_choices_are_the_sites_and_students_the_person_may_see(
    client, outsider, site_a, site_b, sessions
):
    made, _, _ = sessions
    student = made[0].students.get()
    client.force_login(outsider)
    response = client.get(URL, {"site": site_a.pk, "student": student.pk})
    form = response.context["form"]
    assert [pk for pk, _ in form.fields["site"].choices if pk] == [site_b.pk]
    assert "site" in form.errors and "student" in form.errors
    assert listed(response) == set()


def test_a_facilitator_is_offered_the_chosen_sites_students(client, facilitator, site_a, sessions):
    made, _, other = sessions
    client.force_login(facilitator)
    form = client.get(URL).context["form"]
    assert list(form.fields["student"].queryset) == []  # a province's: choose a site first
    form = client.get(URL, {"site": site_a.pk}).context["form"]
    assert set(form.fields["student"].queryset) == {made[0].students.get(), other.student}


def test_filters_are_kept_in_the_page_links(client, facilitator, placement, team, monkeypatch):
    from mentoring import selectors

    monkeypatch.setattr(selectors, "SESSIONS_PER_PAGE", 2)
    bulk_sessions(count=5, placements=[placement], logged_by=team[0])
    client.force_login(facilitator)
    page = client.get(URL, {"activity": "shadowing"}).context["page"]
    assert "activity=shadowing" in page.next_query
    rest = client.get(f"{URL}?{page.next_query}").context["page"]
    shown = [row["pk"] for row in page] + [row["pk"] for row in rest]
    assert shown == list(
        MentoringSession.objects.filter(activity="shadowing")
        .order_by("-held_on", "-pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("count", [10, 200])
def test_filtered_list_queries_are_constant(
    client, django_assert_max_num_queries, facilitator, site_a, placement, team, count
):
    bulk_sessions(count=count, placements=[placement], logged_by=team[0])
    client.force_login(facilitator)
    params = {
        "site": site_a.pk,
        "student": placement.student_id,
        "activity": "shadowing",
        "held_from": placement.start_date,
        "held_to": placement.start_date + datetime.timedelta(days=30),
        "q": "rounds",
    }
    # The session and user, the facilitator's sessions elsewhere, the site and student
    # choices (validated, then shown), the page, its names, the count, the matrix sites,
    # and the session's save.
    with django_assert_max_num_queries(12):
        response = client.get(URL, params)
    assert response.status_code == 200 and not response.context["form"].errors


def test_notes_search_reads_the_gin_index(facilitator, placement, team):
    bulk_sessions(count=50, placements=[placement], logged_by=team[0])
    sessions = MentoringSession.objects.matching(q="discharge").order_by("-held_on", "-pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = sessions.explain()
    assert "session_notes_search_idx" in plan


def test_the_list_without_parameters_is_every_visible_session(client, facilitator, sessions):
    made, elsewhere, _ = sessions
    client.force_login(facilitator)
    response = client.get(URL)
    assert listed(response) == {s.pk for s in made} | {elsewhere.pk}
    assert "No session matches" not in response.content.decode()
