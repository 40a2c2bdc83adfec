"""The placement lifecycle, the overlap rule and capacity, through the services."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import FollowUp
from placements import services
from placements.models import Placement, PlacementStatus, PlacementStatusChange, Student
from placements.signals import placement_activated
from placements.tests.factories import (
    AffiliationAgreementFactory,
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

D = datetime.date
JAN_6 = D(2030, 1, 6)


def make_placement(student, site, start=JAN_6, weeks=6, **kwargs):
    return PlacementFactory(
        student=student,
        site=site,
        start_date=start,
        end_date=start + datetime.timedelta(weeks=weeks, days=-1),
        **kwargs,
    )


class TestCreateAndEdit:
    def test_create_records_requested_with_who(self, student, site_a, facilitator):
        placement = services.placement_create(
            student=student,
            site=site_a,
            start_date=D(2030, 1, 6),
            end_date=D(2030, 2, 14),
            created_by=facilitator,
        )
        assert placement.status == PlacementStatus.REQUESTED
        change = placement.status_changes.get()
        assert (change.from_status, change.to_status, change.changed_by) == (
            "",
            PlacementStatus.REQUESTED,
            facilitator,
        )

    def test_end_before_start_is_refused(self, student, site_a):
        with pytest.raises(ValidationError, match="cannot end before it starts"):
            services.placement_create(
                student=student, site=site_a, start_date=D(2030, 2, 1), end_date=D(2030, 1, 1)
            )
        assert not Placement.objects.exists()

    def test_unit_of_another_site_is_refused(self, student, site_a, site_b):
        other_unit = UnitFactory(site=site_b)
        with pytest.raises(ValidationError, match="is not a unit of"):
            services.placement_create(
                student=student,
                site=site_a,
                unit=other_unit,
                start_date=D(2030, 1, 1),
                end_date=D(2030, 1, 31),
            )

    def test_overlap_with_open_placement_of_same_student_is_refused(self, student, site_a, site_b):
        make_placement(student, site_a, start=D(2030, 1, 6), confirmed=True)
        with pytest.raises(ValidationError, match="dates overlap"):
            services.placement_create(
                student=student, site=site_b, start_date=D(2030, 2, 1), end_date=D(2030, 3, 1)
            )
        assert Placement.objects.count() == 1

    def test_overlap_with_cancelled_or_completed_placement_is_allowed(self, student, site_a):
        make_placement(student, site_a, start=D(2030, 1, 6), cancelled=True)
        make_placement(student, site_a, start=D(2030, 1, 6), status=PlacementStatus.COMPLETED)
        placement = services.placement_create(
            student=student, site=site_a, start_date=D(2030, 1, 6), end_date=D(2030, 2, 1)
        )
        assert placement.pk

    def test_overlap_with_another_students_placement_is_allowed(self, student, site_a):
        make_placement(StudentFactory(program=student.program), site_a, confirmed=True)
        assert services.placement_create(
            student=student, site=site_a, start_date=D(2030, 1, 6), end_date=D(2030, 2, 1)
        ).pk

    def test_edit_into_overlap_is_refused(self, student, site_a):
        make_placement(student, site_a, start=D(2030, 1, 6))
        later = make_placement(student, site_a, start=D(2030, 6, 1))
        with pytest.raises(ValidationError, match="dates overlap"):
            services.placement_update(
                placement=later,
                site=site_a,
                unit=None,
                start_date=D(2030, 1, 20),
                end_date=D(2030, 7, 1),
                model=later.model,
                contact=None,
                notes="",
            )
        later.refresh_from_db()
        assert later.start_date == D(2030, 6, 1)

    def test_completed_placement_cannot_be_edited(self, student, site_a):
        done = make_placement(student, site_a, status=PlacementStatus.COMPLETED)
        with pytest.raises(ValidationError, match="completed placement cannot be edited"):
            services.placement_update(
                placement=done,
                site=site_a,
                unit=None,
                start_date=done.start_date,
                end_date=done.end_date,
                model=done.model,
                contact=None,
                notes="changed",
            )

    def test_moving_a_confirmed_placement_into_a_full_period_is_refused(self, student, site_a):
        profession = student.program.profession
        CapacityFactory(
            site=site_a,
            profession=profession,
            period_start=D(2030, 9, 1),
            period_end=D(2030, 12, 31),
            places=1,
        )
        make_placement(
            StudentFactory(program=student.program), site_a, start=D(2030, 9, 1), confirmed=True
        )
        mine = make_placement(student, site_a, start=D(2030, 1, 6), confirmed=True)
        with pytest.raises(ValidationError, match="No place left"):
            services.placement_update(
                placement=mine,
                site=site_a,
                unit=None,
                start_date=D(2030, 9, 1),
                end_date=D(2030, 10, 1),
                model=mine.model,
                contact=None,
                notes="",
            )


class TestLifecycle:
    def test_each_step_is_recorded_with_who_and_when(self, placement, facilitator):
        services.placement_confirm(placement=placement, changed_by=facilitator)
        services.placement_activate(placement=placement, changed_by=facilitator)
        services.placement_complete(placement=placement, changed_by=facilitator, note="Done")
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.COMPLETED
        steps = list(
            PlacementStatusChange.objects.filter(placement=placement).values_list(
                "from_status", "to_status", "changed_by", "note"
            )
        )
        assert steps == [
            ("requested", "confirmed", facilitator.pk, ""),
            ("confirmed", "active", facilitator.pk, ""),
            ("active", "completed", facilitator.pk, "Done"),
        ]
        assert all(c.changed_at for c in placement.status_changes.all())

    @pytest.mark.parametrize(
        ("start", "target"),
        [
            (PlacementStatus.REQUESTED, PlacementStatus.ACTIVE),
            (PlacementStatus.REQUESTED, PlacementStatus.COMPLETED),
            (PlacementStatus.CONFIRMED, PlacementStatus.REQUESTED),
            (PlacementStatus.COMPLETED, PlacementStatus.CANCELLED),
            (PlacementStatus.CANCELLED, PlacementStatus.CONFIRMED),
            (PlacementStatus.ACTIVE, PlacementStatus.CONFIRMED),
        ],
    )
    def test_steps_outside_the_lifecycle_are_refused(self, student, site_a, start, target):
        placement = make_placement(student, site_a, status=start)
        with pytest.raises(ValidationError, match="cannot become"):
            services.placement_transition(placement=placement, to_status=target, changed_by=None)
        placement.refresh_from_db()
        assert placement.status == start
        assert not placement.status_changes.exists()

    @pytest.mark.parametrize(
        "start", [PlacementStatus.REQUESTED, PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE]
    )
    def test_any_open_placement_can_be_cancelled(self, student, site_a, start):
        placement = make_placement(student, site_a, status=start)
        services.placement_cancel(placement=placement, changed_by=None)
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.CANCELLED

    def test_activating_creates_the_students_followup(self, placement, facilitator):
        services.placement_confirm(placement=placement, changed_by=facilitator)
        services.placement_activate(placement=placement, changed_by=facilitator)
        followup = FollowUp.objects.get(placement=placement)
        assert followup.participant == placement.student.user
        assert followup.site == placement.site

    def test_a_failing_receiver_rolls_back_the_activation(self, placement):
        services.placement_confirm(placement=placement, changed_by=None)

        def broken(sender, *, placement, **kwargs):
            raise RuntimeError("interviews down")

        placement_activated.connect(broken, dispatch_uid="test-broken")
        try:
            with pytest.raises(RuntimeError):
                services.placement_activate(placement=placement, changed_by=None)
        finally:
            placement_activated.disconnect(dispatch_uid="test-broken")
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.CONFIRMED
        assert placement.status_changes.filter(to_status="active").count() == 0

    def test_advance_to_active_takes_each_step(self, placement):
        services.placement_advance_to(
            placement=placement, to_status=PlacementStatus.ACTIVE, changed_by=None
        )
        assert list(placement.status_changes.values_list("to_status", flat=True)) == [
            "confirmed",
            "active",
        ]


class TestCapacity:
    @pytest.fixture
    def capacity(self, site_a, nursing):
        return CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=1,
        )

    def test_confirming_the_last_place_then_one_more_is_refused_naming_the_holders(
        self, capacity, nursing_program, site_a
    ):
        first = make_placement(
            StudentFactory(program=nursing_program, user__full_name="Ann Holder"), site_a
        )
        second = make_placement(StudentFactory(program=nursing_program), site_a)
        services.placement_confirm(placement=first, changed_by=None)
        with pytest.raises(ValidationError) as caught:
            services.placement_confirm(placement=second, changed_by=None)
        message = caught.value.messages[0]
        assert "offers 1 place for Nursing" in message
        assert "Ann Holder (6 Jan 2030 to 16 Feb 2030, confirmed)" in message
        second.refresh_from_db()
        assert second.status == PlacementStatus.REQUESTED

    def test_other_professions_and_periods_do_not_count(self, capacity, nursing_program, site_a):
        pharmacy_student = StudentFactory(
            program=ProgramFactory(profession=ProfessionFactory(code="pharmacy"))
        )
        make_placement(pharmacy_student, site_a, confirmed=True)
        make_placement(
            StudentFactory(program=nursing_program), site_a, start=D(2030, 6, 1), confirmed=True
        )
        mine = make_placement(StudentFactory(program=nursing_program), site_a)
        services.placement_confirm(placement=mine, changed_by=None)
        assert mine.status == PlacementStatus.CONFIRMED

    def test_a_cancelled_placement_gives_its_place_back(self, capacity, nursing_program, site_a):
        first = make_placement(StudentFactory(program=nursing_program), site_a)
        services.placement_confirm(placement=first, changed_by=None)
        services.placement_cancel(placement=first, changed_by=None)
        second = make_placement(StudentFactory(program=nursing_program), site_a)
        services.placement_confirm(placement=second, changed_by=None)
        assert second.status == PlacementStatus.CONFIRMED

    def test_no_capacity_recorded_means_no_limit(self, nursing_program, site_a):
        for _ in range(3):
            placement = make_placement(StudentFactory(program=nursing_program), site_a)
            services.placement_confirm(placement=placement, changed_by=None)
        assert Placement.objects.filter(status="confirmed").count() == 3

    def test_unit_capacity_limits_only_that_unit_and_site_capacity_counts_all_units(
        self, nursing, nursing_program, site_a
    ):
        unit_1, unit_2 = UnitFactory(site=site_a), UnitFactory(site=site_a)
        CapacityFactory(
            unit=unit_1,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=1,
        )
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=2,
        )
        in_unit_1 = make_placement(StudentFactory(program=nursing_program), site_a, unit=unit_1)
        services.placement_confirm(placement=in_unit_1, changed_by=None)
        second_in_unit_1 = make_placement(
            StudentFactory(program=nursing_program), site_a, unit=unit_1
        )
        with pytest.raises(ValidationError, match=r", Unit .* offers 1 place"):
            services.placement_confirm(placement=second_in_unit_1, changed_by=None)
        in_unit_2 = make_placement(StudentFactory(program=nursing_program), site_a, unit=unit_2)
        services.placement_confirm(placement=in_unit_2, changed_by=None)
        # The site's two places are now both held, by placements in its two units.
        no_unit = make_placement(StudentFactory(program=nursing_program), site_a)
        with pytest.raises(ValidationError, match="Site A offers 2 places"):
            services.placement_confirm(placement=no_unit, changed_by=None)


def _confirm_in_thread(placement_pk, results, key, *, before=None, hold=None):
    """Confirm in this thread's own connection and transaction; record the outcome."""
    try:
        if before:
            before.wait(timeout=10)
        with transaction.atomic():
            placement = Placement.objects.get(pk=placement_pk)
            try:
                services.placement_confirm(placement=placement, changed_by=None)
                results[key] = "confirmed"
            except ValidationError as error:
                results[key] = error.messages[0]
            if hold:
                hold()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
class TestParallelConfirmation:
    """Two facilitators confirming at the same moment cannot both take the last place."""

    @pytest.fixture
    def two_requests(self, nursing, nursing_program):
        site = SiteFactory(name="Race Site")
        AffiliationAgreementFactory(site=site)
        CapacityFactory(
            site=site,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=1,
        )
        return [make_placement(StudentFactory(program=nursing_program), site).pk for _ in range(2)]

    def test_second_confirmation_waits_for_the_first_and_is_refused(self, two_requests):
        first_pk, second_pk = two_requests
        results = {}
        first_holds_lock = threading.Event()
        release_first = threading.Event()

        def hold_open():
            # The first transaction has confirmed but not committed yet.
            first_holds_lock.set()
            release_first.wait(timeout=10)

        first = threading.Thread(
            target=_confirm_in_thread, args=(first_pk, results, "first"), kwargs={"hold": hold_open}
        )
        second = threading.Thread(
            target=_confirm_in_thread,
            args=(second_pk, results, "second"),
            kwargs={"before": first_holds_lock},
        )
        first.start()
        second.start()
        assert first_holds_lock.wait(timeout=10)
        second.join(timeout=1)
        # Blocked on the capacity row's lock, not reading a stale count.
        assert second.is_alive()
        release_first.set()
        first.join(timeout=10)
        second.join(timeout=10)
        assert results["first"] == "confirmed"
        assert results["second"].startswith("No place left")
        statuses = dict(Placement.objects.values_list("pk", "status"))
        assert statuses == {first_pk: "confirmed", second_pk: "requested"}

    def test_many_simultaneous_confirmations_fill_exactly_the_places(
        self, nursing, nursing_program
    ):
        site = SiteFactory()
        AffiliationAgreementFactory(site=site)
        CapacityFactory(
            site=site,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=2,
        )
        pks = [make_placement(StudentFactory(program=nursing_program), site).pk for _ in range(6)]
        results = {}
        start = threading.Barrier(len(pks))

        def run(pk):
            start.wait(timeout=10)
            _confirm_in_thread(pk, results, pk)

        threads = [threading.Thread(target=run, args=(pk,)) for pk in pks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(v == "confirmed" for v in results.values()) == [False] * 4 + [True] * 2
        assert Placement.objects.filter(status="confirmed").count() == 2


class TestStudents:
    def test_enrol_creates_account_without_usable_password(self, nursing_program):
        student = services.student_enrol(
            email="New.Person@Example.org",
            full_name="New Person",
            program=nursing_program,
            student_number="123",
        )
        assert student.user.email == "new.person@example.org"
        assert student.user.is_student
        assert student.user.profession == nursing_program.profession
        assert not student.user.has_usable_password()

    def test_enrol_existing_person_keeps_their_name(self, nursing_program):
        person = UserFactory(full_name="Original Name")
        student = services.student_enrol(
            email=person.email, full_name="Other", program=nursing_program
        )
        person.refresh_from_db()
        assert student.user == person
        assert person.full_name == "Original Name"
        assert person.is_student

    def test_enrolling_twice_in_one_program_is_refused(self, student):
        with pytest.raises(ValidationError):
            services.student_enrol(email=student.user.email, full_name="x", program=student.program)
        assert Student.objects.count() == 1

    def test_duplicate_student_number_in_program_is_refused(self, student):
        with pytest.raises(ValidationError):
            services.student_enrol(
                email="other@example.org",
                full_name="Other",
                program=student.program,
                student_number=student.student_number,
            )
        assert not Student.objects.filter(user__email="other@example.org").exists()


@pytest.mark.parametrize(
    ("status", "words"),
    [(PlacementStatus.ACTIVE, "an active"), (PlacementStatus.CONFIRMED, "a confirmed")],
)
def test_the_overlap_message_takes_the_right_article(student, site_a, site_b, status, words):
    PlacementFactory(
        student=student,
        site=site_a,
        start_date=D(2030, 1, 6),
        end_date=D(2030, 4, 1),
        status=status,
    )
    with pytest.raises(ValidationError, match=f"already has {words} placement at"):
        services.placement_create(
            student=student, site=site_b, start_date=D(2030, 2, 1), end_date=D(2030, 3, 1)
        )
