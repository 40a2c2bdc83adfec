"""The request and offer pages: what a coordinator of the student's program, a
coordinator of another program, the site's facilitator, another site's facilitator and a
student get; the forms' flows and refusals; queries that do not grow with the rows."""

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from placements.models import (
    PlacementOffer,
    PlacementRequest,
    PlacementRequestStatus,
    PlacementStatus,
)
from placements.tests.factories import (
    PlacementOfferFactory,
    PlacementRequestFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

START = datetime.date.today() + datetime.timedelta(weeks=6)
END = START + datetime.timedelta(weeks=6)
OK, GO, NO, NF = 200, 302, 403, 404


@pytest.fixture
def coordinator(nursing_program):
    person = UserFactory(is_coordinator=True, full_name="Casey Coordinator")
    nursing_program.coordinators.add(person)
    return person


@pytest.fixture
def other_coordinator(nursing):
    person = UserFactory(is_coordinator=True, full_name="Olive Other")
    ProgramFactory(name="Other BScN", profession=nursing).coordinators.add(person)
    return person


@pytest.fixture
def outsider():
    return UserFactory(facilitator=True, full_name="Otto Outsider")


@pytest.fixture
def placement_request(student, site_a, coordinator):
    return PlacementRequestFactory(student=student, site=site_a, requested_by=coordinator)


@pytest.fixture
def personas(coordinator, other_coordinator, facilitator, outsider, student):
    SiteFactory(name="Site B", facilitators=[outsider])
    return {
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "facilitator": facilitator,
        "outsider": outsider,
        "student": student.user,
    }


# (url name, method, with the request's pk, data) → answers by persona.
CASES = [
    ("request_detail", "get", {"coordinator": OK, "other_coordinator": NF, "facilitator": OK,
                                "outsider": NF, "student": NO}),
    ("request_accept", "post", {"coordinator": NO, "other_coordinator": NF, "facilitator": GO,
                                "outsider": NF, "student": NO}),
    ("request_decline", "get", {"coordinator": NO, "other_coordinator": NF, "facilitator": OK,
                                 "outsider": NF, "student": NO}),
    ("request_propose", "get", {"coordinator": NO, "other_coordinator": NF, "facilitator": OK,
                                 "outsider": NF, "student": NO}),
    ("request_withdraw", "post", {"coordinator": GO, "other_coordinator": NF, "facilitator": NO,
                                  "outsider": NF, "student": NO}),
    ("request_accept_proposal", "post", {"coordinator": GO, "other_coordinator": NF,
                                         "facilitator": NO, "outsider": NF, "student": NO}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "method", "answers"), CASES)
@pytest.mark.parametrize(
    "persona", ["coordinator", "other_coordinator", "facilitator", "outsider", "student"]
)
def test_request_pages_by_persona(client, personas, placement_request, name, method, answers,
                                  persona):  # fmt: skip
    client.force_login(personas[persona])
    url = reverse(f"placements:{name}", args=[placement_request.pk])
    response = client.get(url) if method == "get" else client.post(url)
    assert response.status_code == answers[persona]


@pytest.mark.parametrize(
    ("persona", "answer"),
    [("coordinator", OK), ("other_coordinator", OK), ("facilitator", OK), ("outsider", OK),
     ("student", NO)],
)  # fmt: skip
def test_lists_by_persona(client, personas, placement_request, persona, answer):
    client.force_login(personas[persona])
    response = client.get(reverse("placements:request_list"))
    assert response.status_code == answer
    if answer == OK:
        shown = placement_request.student.user.full_name in response.content.decode()
        assert shown == (persona in ("coordinator", "facilitator"))
    assert client.get(reverse("placements:offer_list")).status_code == answer


def test_coordinator_requests_for_a_cohort(client, coordinator, nursing_program, site_a, unit_a):
    cohort = [StudentFactory(program=nursing_program) for _ in range(3)]
    client.force_login(coordinator)
    url = reverse("placements:request_create")
    first = client.get(url, {"program": nursing_program.pk, "site": site_a.pk})
    assert first.status_code == OK
    assert cohort[0].user.full_name in first.content.decode()
    response = client.post(url, {
        "program": nursing_program.pk, "site": site_a.pk, "students": [s.pk for s in cohort[:2]],
        "unit": unit_a.pk, "start_date": START, "end_date": END, "model": "ip_mentoring",
    })  # fmt: skip
    assert response.status_code == GO
    made = PlacementRequest.objects.filter(student__in=cohort)
    assert made.count() == 2
    assert len({r.batch for r in made}) == 1
    assert all(r.unit == unit_a for r in made)


def test_bad_input_gets_a_message_and_makes_nothing(client, coordinator, nursing_program, site_a,
                                                    student):  # fmt: skip
    client.force_login(coordinator)
    response = client.post(reverse("placements:request_create"), {
        "program": nursing_program.pk, "site": site_a.pk, "students": [student.pk],
        "start_date": END, "end_date": START, "model": "ip_mentoring",
    })  # fmt: skip
    assert response.status_code == OK
    assert "The placement cannot end before it starts." in response.content.decode()
    response = client.post(reverse("placements:request_create"), {
        "program": nursing_program.pk, "site": site_a.pk, "start_date": START, "end_date": END,
        "model": "ip_mentoring",
    })  # fmt: skip
    assert "This field is required." in response.content.decode()
    assert not PlacementRequest.objects.exists()


def test_another_programs_students_cannot_be_requested(client, other_coordinator, nursing_program,
                                                       site_a, student):  # fmt: skip
    client.force_login(other_coordinator)
    response = client.post(reverse("placements:request_create"), {
        "program": nursing_program.pk, "site": site_a.pk, "students": [student.pk],
        "start_date": START, "end_date": END, "model": "ip_mentoring",
    })  # fmt: skip
    assert response.status_code == OK
    assert "Select a valid choice" in response.content.decode()
    assert not PlacementRequest.objects.exists()


def test_a_closed_site_cannot_be_asked_for_places(client, coordinator, nursing_program, student):
    closed = SiteFactory(name="Closed Hospital", is_active=False)
    client.force_login(coordinator)
    url = reverse("placements:request_create")
    assert "Closed Hospital" not in client.get(url).content.decode()
    response = client.post(url, {
        "program": nursing_program.pk, "site": closed.pk, "students": [student.pk],
        "start_date": START, "end_date": END, "model": "ip_mentoring",
    })  # fmt: skip
    assert response.status_code == OK
    assert "Select a valid choice" in response.content.decode()
    assert not PlacementRequest.objects.exists()


def test_facilitator_accepts_and_the_student_sees_the_placement(client, facilitator,
                                                                placement_request):  # fmt: skip
    client.force_login(facilitator)
    page = client.get(reverse("placements:request_detail", args=[placement_request.pk]))
    assert "Accept: confirm the placement" in page.content.decode()
    client.post(reverse("placements:request_accept", args=[placement_request.pk]))
    placement_request.refresh_from_db()
    assert placement_request.status == PlacementRequestStatus.ACCEPTED
    client.force_login(placement_request.student.user)
    home = client.get(reverse("home")).content.decode()
    assert "Site A" in home


def test_decline_without_a_reason_is_refused_in_words(client, facilitator, placement_request):
    client.force_login(facilitator)
    url = reverse("placements:request_decline", args=[placement_request.pk])
    response = client.post(url, {"reason": ""})
    assert "Give the reason for declining." in response.content.decode()
    placement_request.refresh_from_db()
    assert placement_request.status == PlacementRequestStatus.REQUESTED


def test_propose_then_coordinator_takes_it(client, facilitator, coordinator, placement_request,
                                           unit_a):  # fmt: skip
    client.force_login(facilitator)
    url = reverse("placements:request_propose", args=[placement_request.pk])
    later = placement_request.start_date + datetime.timedelta(weeks=1)
    response = client.post(url, {"start_date": later, "end_date": later, "unit": unit_a.pk})
    assert response.status_code == GO
    client.force_login(coordinator)
    page = client.get(reverse("placements:request_detail", args=[placement_request.pk]))
    assert "Take the proposal" in page.content.decode()
    client.post(reverse("placements:request_accept_proposal", args=[placement_request.pk]))
    placement_request.refresh_from_db()
    assert (placement_request.status, placement_request.start_date) == ("requested", later)


def test_facilitator_publishes_and_closes_an_offer(client, facilitator, site_a, nursing):
    client.force_login(facilitator)
    response = client.post(reverse("placements:offer_create"), {
        "site": site_a.pk, "profession": nursing.pk, "start_date": START, "end_date": END,
        "places": 2, "model": "ip_mentoring",
    })  # fmt: skip
    assert response.status_code == GO
    offer = PlacementOffer.objects.get()
    client.post(reverse("placements:offer_close", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.closed_at is not None


def test_a_full_offer_says_so_on_the_claim_page(client, coordinator, nursing_program, site_a,
                                                nursing):  # fmt: skip
    offer = PlacementOfferFactory(site=site_a, profession=nursing, places=1)
    students = [StudentFactory(program=nursing_program) for _ in range(2)]
    client.force_login(coordinator)
    url = reverse("placements:offer_claim", args=[offer.pk])
    response = client.post(url, {"students": [s.pk for s in students]})
    assert "Not enough places: 1 offered, 0 taken, 1 left" in response.content.decode()
    assert client.post(url, {"students": [students[0].pk]}).status_code == GO
    assert PlacementRequest.objects.get().placement.status == PlacementStatus.CONFIRMED
    response = client.post(url, {"students": [students[1].pk]})
    assert "This offer is full" in response.content.decode()


@pytest.mark.parametrize("rows", [10, 200])
def test_request_list_queries_do_not_grow(client, coordinator, facilitator, nursing_program,
                                          site_a, rows, django_assert_max_num_queries):  # fmt: skip
    for _ in range(rows):
        PlacementRequestFactory(student=StudentFactory(program=nursing_program), site=site_a)
    for person in (coordinator, facilitator):
        client.force_login(person)
        with django_assert_max_num_queries(10):
            assert client.get(reverse("placements:request_list")).status_code == OK


@pytest.mark.parametrize("rows", [10, 200])
def test_offer_list_queries_do_not_grow(client, coordinator, facilitator, site_a, nursing, rows,
                                        django_assert_max_num_queries):  # fmt: skip
    PlacementOffer.objects.bulk_create(
        PlacementOffer(site=site_a, profession=nursing, start_date=START, end_date=END, places=2)
        for _ in range(rows)
    )
    for person in (coordinator, facilitator):
        client.force_login(person)
        with django_assert_max_num_queries(10):
            assert client.get(reverse("placements:offer_list")).status_code == OK


def test_detail_queries(client, coordinator, placement_request, django_assert_max_num_queries):
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        client.get(reverse("placements:request_detail", args=[placement_request.pk]))


def test_facilitators_todo_counts_requests_awaiting_them(client, facilitator, placement_request):
    client.force_login(facilitator)
    home = client.get(reverse("home")).content.decode()
    assert "<strong>1</strong> request awaiting your answer" in home
