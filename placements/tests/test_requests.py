"""Placement requests and offers (placements.services request_* and offer_*): every step,
its history, the placement an acceptance creates through the lifecycle, and the
refusals."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import ProfessionFactory, UserFactory
from placements import services
from placements.models import (
    Placement,
    PlacementOffer,
    PlacementRequest,
    PlacementRequestStatus,
    PlacementStatus,
)
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    StudentFactory,
)
from sites.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

START = datetime.date.today() + datetime.timedelta(weeks=6)
END = START + datetime.timedelta(weeks=6)


@pytest.fixture
def coordinator(nursing_program):
    person = UserFactory(is_coordinator=True, full_name="Casey Coordinator")
    nursing_program.coordinators.add(person)
    return person


@pytest.fixture
def cohort(nursing_program):
    return [StudentFactory(program=nursing_program) for _ in range(3)]


def _request(student, site_a, coordinator, **kwargs):
    [request] = services.request_create(
        students=[student],
        site=site_a,
        start_date=kwargs.pop("start_date", START),
        end_date=kwargs.pop("end_date", END),
        requested_by=coordinator,
        **kwargs,
    )
    return request


def _steps(request):
    return [(c.from_status, c.to_status) for c in request.changes.order_by("changed_at", "id")]


def test_a_request_waits_on_the_site_with_its_history(student, site_a, unit_a, coordinator):
    request = _request(student, site_a, coordinator, unit=unit_a, notes="Evening shifts")
    assert request.status == PlacementRequestStatus.REQUESTED
    assert request.profession == student.program.profession
    assert request.batch is None
    assert _steps(request) == [("", "requested")]
    assert request.changes.get().changed_by == coordinator


def test_a_cohort_request_makes_one_request_per_student_in_one_batch(cohort, site_a, coordinator):
    requests = services.request_create(
        students=cohort, site=site_a, start_date=START, end_date=END, requested_by=coordinator
    )
    assert len(requests) == 3
    assert {r.student_id for r in requests} == {s.pk for s in cohort}
    assert len({r.batch for r in requests}) == 1
    assert requests[0].batch is not None


def test_a_cohort_with_a_student_asked_for_already_makes_nothing(cohort, site_a, coordinator):
    _request(cohort[1], site_a, coordinator)
    with pytest.raises(ValidationError, match="already has an open request"):
        services.request_create(
            students=cohort, site=site_a, start_date=START, end_date=END, requested_by=coordinator
        )
    assert PlacementRequest.objects.count() == 1


def test_a_student_placed_on_those_days_is_refused(student, site_a, coordinator):
    PlacementFactory(student=student, site=site_a, start_date=START, status="confirmed")
    with pytest.raises(ValidationError, match="the dates overlap"):
        _request(student, site_a, coordinator)
    assert not PlacementRequest.objects.exists()


def test_a_request_refuses_a_period_ending_before_it_starts_and_another_sites_unit(
    student, site_a, coordinator
):
    with pytest.raises(ValidationError, match="cannot end before"):
        _request(student, site_a, coordinator, start_date=END, end_date=START)
    with pytest.raises(ValidationError, match="is not a unit of"):
        _request(student, site_a, coordinator, unit=UnitFactory())
    with pytest.raises(ValidationError, match="at least one student"):
        services.request_create(students=[], site=site_a, start_date=START, end_date=END)
    assert not PlacementRequest.objects.exists()


def test_accepting_creates_the_placement_confirmed_through_the_lifecycle(
    student, site_a, unit_a, coordinator, facilitator
):
    request = _request(student, site_a, coordinator, unit=unit_a, model="traditional")
    services.request_accept(request=request, by=facilitator)
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.ACCEPTED
    placement = request.placement
    assert placement.status == PlacementStatus.CONFIRMED
    assert (placement.site, placement.unit, placement.start_date, placement.end_date) == (
        site_a,
        unit_a,
        START,
        END,
    )
    assert placement.model == "traditional"
    assert [(c.from_status, c.to_status) for c in placement.status_changes.all()] == [
        ("", "requested"),
        ("requested", "confirmed"),
    ]
    assert _steps(request) == [("", "requested"), ("requested", "accepted")]


def test_accepting_a_full_site_is_refused_naming_who_holds_the_places(
    student, site_a, coordinator, facilitator, nursing
):
    CapacityFactory(site=site_a, profession=nursing, period_start=START, period_end=END, places=1)
    PlacementFactory(
        student=StudentFactory(program=student.program), site=site_a, start_date=START,
        status="confirmed",
    )  # fmt: skip
    request = _request(student, site_a, coordinator)
    with pytest.raises(ValidationError, match="No place left"):
        services.request_accept(request=request, by=facilitator)
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.REQUESTED
    assert request.placement is None
    assert not Placement.objects.filter(student=student).exists()


def test_declining_needs_a_reason(student, site_a, coordinator, facilitator):
    request = _request(student, site_a, coordinator)
    with pytest.raises(ValidationError, match="reason"):
        services.request_decline(request=request, by=facilitator, reason="  ")
    services.request_decline(request=request, by=facilitator, reason="No preceptor in May")
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.DECLINED
    assert request.decline_reason == "No preceptor in May"
    assert _steps(request)[-1] == ("requested", "declined")


def test_a_proposal_taken_asks_for_the_proposed_period_and_unit(
    student, site_a, unit_a, coordinator, facilitator
):
    request = _request(student, site_a, coordinator)
    later = START + datetime.timedelta(weeks=2)
    services.request_propose(
        request=request, by=facilitator, start_date=later, end_date=END + datetime.timedelta(weeks=2),
        unit=unit_a, note="Unit 4B has a preceptor then",
    )  # fmt: skip
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.PROPOSED
    assert (request.start_date, request.unit) == (START, None)  # asked for, unchanged
    services.request_accept_proposal(request=request, by=coordinator)
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.REQUESTED
    assert (request.start_date, request.unit) == (later, unit_a)
    services.request_accept(request=request, by=facilitator)
    request.refresh_from_db()
    assert request.placement.start_date == later
    assert _steps(request) == [
        ("", "requested"),
        ("requested", "proposed"),
        ("proposed", "requested"),
        ("requested", "accepted"),
    ]


def test_a_proposal_must_change_something(student, site_a, coordinator, facilitator):
    request = _request(student, site_a, coordinator)
    with pytest.raises(ValidationError, match="other dates or another unit"):
        services.request_propose(
            request=request, by=facilitator, start_date=START, end_date=END, unit=None
        )
    with pytest.raises(ValidationError, match="is not a unit of"):
        services.request_propose(
            request=request, by=facilitator, start_date=START, end_date=END, unit=UnitFactory()
        )


@pytest.mark.parametrize("when", ["requested", "proposed"])
def test_the_program_withdraws_an_open_request(
    student, site_a, unit_a, coordinator, facilitator, when
):
    request = _request(student, site_a, coordinator)
    if when == "proposed":
        services.request_propose(
            request=request, by=facilitator, start_date=START, end_date=END, unit=unit_a
        )
    services.request_withdraw(request=request, by=coordinator, note="Student deferred")
    request.refresh_from_db()
    assert request.status == PlacementRequestStatus.WITHDRAWN
    assert _steps(request)[-1] == (when, "withdrawn")


def test_a_closed_request_takes_no_more_steps(student, site_a, unit_a, coordinator, facilitator):
    request = _request(student, site_a, coordinator)
    services.request_decline(request=request, by=facilitator, reason="Full")
    for step in (
        lambda: services.request_accept(request=request, by=facilitator),
        lambda: services.request_withdraw(request=request, by=coordinator),
        lambda: services.request_accept_proposal(request=request, by=coordinator),
        lambda: services.request_propose(
            request=request, by=facilitator, start_date=START, end_date=END, unit=unit_a
        ),
    ):
        with pytest.raises(ValidationError, match="This request is declined"):
            step()
    # Only a proposal can be taken.
    other = _request(StudentFactory(program=student.program), site_a, coordinator)
    with pytest.raises(ValidationError, match="cannot become awaiting"):
        services.request_accept_proposal(request=other, by=coordinator)


# --- Offers ------------------------------------------------------------------------------


@pytest.fixture
def offer(site_a, nursing, facilitator):
    return services.offer_create(
        site=site_a, profession=nursing, start_date=START, end_date=END, places=2,
        created_by=facilitator,
    )  # fmt: skip


def test_claiming_an_offer_confirms_a_placement_per_student(offer, cohort, coordinator):
    requests = services.offer_claim(offer=offer, students=cohort[:2], claimed_by=coordinator)
    assert len(requests) == 2
    for request in requests:
        request.refresh_from_db()
        assert request.status == PlacementRequestStatus.ACCEPTED
        assert request.offer == offer
        assert request.placement.status == PlacementStatus.CONFIRMED
    assert PlacementOffer.objects.with_taken().get(pk=offer.pk).taken == 2


def test_a_full_offer_refuses_the_claim_and_says_so(offer, cohort, coordinator):
    with pytest.raises(ValidationError, match="Not enough places: 2 offered, 0 taken, 2 left"):
        services.offer_claim(offer=offer, students=cohort, claimed_by=coordinator)
    assert not PlacementRequest.objects.exists()
    services.offer_claim(offer=offer, students=cohort[:2], claimed_by=coordinator)
    with pytest.raises(ValidationError, match="This offer is full: 2 places, 2 taken, 0 left"):
        services.offer_claim(offer=offer, students=cohort[2:], claimed_by=coordinator)
    assert PlacementRequest.objects.count() == 2


def test_a_cancelled_claim_gives_its_place_back(offer, cohort, coordinator, facilitator):
    first, _ = services.offer_claim(offer=offer, students=cohort[:2], claimed_by=coordinator)
    services.placement_cancel(placement=first.placement, changed_by=facilitator, note="Ill")
    services.offer_claim(offer=offer, students=cohort[2:], claimed_by=coordinator)
    assert PlacementOffer.objects.with_taken().get(pk=offer.pk).taken == 2


def test_an_offer_is_claimed_for_its_profession_only_and_not_once_closed(
    offer, cohort, coordinator
):
    physio = StudentFactory(program__profession=ProfessionFactory(code="physiotherapy"))
    with pytest.raises(ValidationError, match="for Nursing students"):
        services.offer_claim(offer=offer, students=[physio], claimed_by=coordinator)
    services.offer_close(offer=offer)
    with pytest.raises(ValidationError, match="closed"):
        services.offer_claim(offer=offer, students=cohort[:1], claimed_by=coordinator)
    assert not PlacementRequest.objects.exists()


def test_an_offer_refuses_no_places_and_another_sites_unit(site_a, nursing):
    with pytest.raises(ValidationError):
        services.offer_create(site=site_a, profession=nursing, start_date=START, end_date=END,
                              places=0)  # fmt: skip
    with pytest.raises(ValidationError, match="is not a unit of"):
        services.offer_create(site=site_a, profession=nursing, start_date=START, end_date=END,
                              places=1, unit=UnitFactory())  # fmt: skip
    assert not PlacementOffer.objects.exists()
