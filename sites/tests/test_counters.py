"""The CoP counters (last meeting, active initiatives) that the triggers on meetings and
initiatives keep: after writes through the services and through plain ORM writes (as the
admin makes them), every counter equals a recount (`counters_check()` finds nothing), and
`counters_recount()` repairs them after writes that bypassed the triggers."""

import datetime
import random
import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from sites import services
from sites.models import (
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
)
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = datetime.date.today()


def _counters(cop) -> tuple:
    cop.refresh_from_db()
    return (cop.last_meeting_on, cop.active_initiative_count)


def test_a_new_cop_has_no_activity():
    assert _counters(CommunityOfPracticeFactory()) == (None, 0)


def test_meetings_set_the_last_meeting_and_a_deletion_goes_back_to_the_one_before():
    cop = CommunityOfPracticeFactory()
    MeetingFactory(community=cop, held_on=D(2026, 3, 1))
    latest = MeetingFactory(community=cop, held_on=D(2026, 5, 1))
    assert _counters(cop)[0] == D(2026, 5, 1)
    latest.held_on = D(2026, 2, 1)
    latest.save()
    assert _counters(cop)[0] == D(2026, 3, 1)
    Meeting.objects.filter(held_on=D(2026, 3, 1)).delete()
    assert _counters(cop)[0] == D(2026, 2, 1)
    latest.delete()
    assert _counters(cop)[0] is None


def test_a_meeting_recorded_by_the_service_sets_the_last_meeting(cop):
    services.meeting_record(community=cop, held_on=TODAY - datetime.timedelta(days=2))
    services.meeting_record(community=cop, held_on=TODAY - datetime.timedelta(days=9))
    assert _counters(cop)[0] == TODAY - datetime.timedelta(days=2)
    assert services.counters_check() == []


def test_initiatives_count_while_planned_in_progress_or_implemented():
    cop = CommunityOfPracticeFactory()
    initiative = InitiativeFactory(community=cop, status=InitiativeStatus.PLANNED)
    InitiativeFactory(community=cop, status=InitiativeStatus.DROPPED)
    assert _counters(cop)[1] == 1
    Initiative.objects.filter(pk=initiative.pk).update(status=InitiativeStatus.SUSTAINED)
    assert _counters(cop)[1] == 0


def test_initiatives_moved_along_the_workflow_count_while_active(cop):
    initiative = services.initiative_create(
        community=cop, title="Huddles", theme=InitiativeTheme.COMMUNICATION
    )
    assert _counters(cop)[1] == 0
    for status, active in [
        (InitiativeStatus.PLANNED, 1),
        (InitiativeStatus.IN_PROGRESS, 1),
        (InitiativeStatus.IMPLEMENTED, 1),
        (InitiativeStatus.SUSTAINED, 0),
    ]:
        initiative = services.initiative_move(initiative=initiative, to_status=status)
        assert _counters(cop)[1] == active
    services.initiative_update(initiative=initiative, title="Daily huddles", theme="other")
    assert _counters(cop)[1] == 0
    assert services.counters_check() == []


def test_a_row_moved_to_another_cop_updates_both():
    source, target = CommunityOfPracticeFactory(), CommunityOfPracticeFactory()
    meeting = MeetingFactory(community=source, held_on=D(2026, 4, 1))
    initiative = InitiativeFactory(community=source, status=InitiativeStatus.IN_PROGRESS)
    for row in (meeting, initiative):
        row.community = target
        row.save()
    assert _counters(source) == (None, 0)
    assert _counters(target) == (D(2026, 4, 1), 1)


def test_saving_a_stale_copy_of_the_cop_keeps_its_counters(cop):
    """A form or the admin saves every column of the CoP it loaded, but not its counters."""
    stale = CommunityOfPractice.objects.get(pk=cop.pk)
    held_on = cop.started_on + datetime.timedelta(days=10)
    MeetingFactory(community=cop, held_on=held_on)
    InitiativeFactory(community=cop, in_progress=True)
    stale.name = "Renamed"
    stale.save()
    services.community_update(
        community=CommunityOfPractice.objects.only("site", "started_on").get(pk=cop.pk),
        name="Renamed again",
        started_on=cop.started_on,
    )
    assert _counters(cop) == (held_on, 1)
    assert cop.name == "Renamed again"


def test_deleting_a_cop_with_activity_works():
    cop = CommunityOfPracticeFactory()
    MeetingFactory(community=cop)
    MembershipFactory(community=cop)
    InitiativeFactory(community=cop)
    cop.delete()
    assert not CommunityOfPractice.objects.filter(pk=cop.pk).exists()


def test_members_are_counted_while_they_have_not_left_through_ending_and_rejoining(cop):
    def member_count():
        return CommunityOfPractice.objects.with_member_count().get(pk=cop.pk).member_count

    person = UserFactory()
    membership = services.membership_add(
        community=cop, person=person, joined_on=TODAY - datetime.timedelta(days=20)
    )
    MembershipFactory(community=cop)
    assert member_count() == 2
    services.membership_end(membership=membership, left_on=TODAY - datetime.timedelta(days=10))
    assert member_count() == 1
    services.membership_add(community=cop, person=person, joined_on=TODAY)
    assert member_count() == 2
    assert services.counters_check() == []


def test_random_writes_through_services_and_the_orm_keep_every_counter_equal_to_a_recount():
    rng = random.Random(9)
    cops = [CommunityOfPracticeFactory() for _ in range(4)]
    statuses = list(InitiativeStatus.values)
    for _ in range(120):
        cop = rng.choice(cops)
        action = rng.randrange(10)
        day = cop.started_on + datetime.timedelta(rng.randrange(150))
        if action == 0:
            services.meeting_record(community=cop, held_on=day)
        elif action == 1:
            Meeting.objects.create(community=cop, held_on=day)
        elif action == 2:
            services.membership_add(community=cop, person=UserFactory(), joined_on=day)
        elif action == 3:
            InitiativeFactory(community=cop, status=rng.choice(statuses))
        elif action == 4 and (m := Membership.objects.current().order_by("?").first()):
            services.membership_end(membership=m, left_on=m.joined_on)
        elif action == 5 and (i := Initiative.objects.order_by("?").first()):
            Initiative.objects.filter(pk=i.pk).update(status=rng.choice(statuses))
        elif action == 6 and (meeting := Meeting.objects.order_by("?").first()):
            meeting.delete()
        elif action == 7 and (i := Initiative.objects.order_by("?").first()):
            i.community = rng.choice(cops)
            i.save()
        elif action == 8 and (i := Initiative.objects.order_by("?").first()):
            moves = [s for s in statuses if s in services.INITIATIVE_TRANSITIONS[i.status]]
            if moves:
                services.initiative_move(initiative=i, to_status=rng.choice(moves))
        elif action == 9:
            Meeting.objects.filter(community=cop).update(held_on=day)
    assert services.counters_check() == []
    assert any(last for last, _ in map(_counters, cops))
    assert any(active for _, active in map(_counters, cops))


def test_recount_repairs_counters_after_writes_with_triggers_off():
    """A bulk load runs with triggers off (replica role), then calls counters_recount()."""
    cop = CommunityOfPracticeFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role TO replica")
        try:
            MeetingFactory(community=cop, held_on=D(2026, 7, 1))
            InitiativeFactory(community=cop, in_progress=True)
        finally:
            cursor.execute("SET session_replication_role TO DEFAULT")
    assert _counters(cop) == (None, 0)
    assert services.counters_check() == [
        f"CoP {cop.pk} ({cop.name}): last_meeting_on is None, a recount gives 2026-07-01",
        f"CoP {cop.pk} ({cop.name}): active_initiative_count is 0, a recount gives 1",
    ]
    services.counters_recount()
    assert _counters(cop) == (D(2026, 7, 1), 1)
    assert services.counters_check() == []


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_writing_at_once_neither_deadlock_nor_lose_a_count():
    """16 threads at once, each write its own transaction as the services and the admin
    make them: meetings, initiatives, moves between CoPs both ways, status changes. The
    triggers lock the CoPs a write touches in one order, so none deadlocks, and each
    recount sees the writes committed before it took the lock."""
    cops = [CommunityOfPracticeFactory() for _ in range(3)]
    errors = []
    start = threading.Barrier(16)

    def write(n: int):
        rng = random.Random(n)
        try:
            start.wait(10)
            for _ in range(5):
                source, target = rng.sample(cops, 2)
                services.meeting_record(
                    community=source,
                    held_on=source.started_on + datetime.timedelta(rng.randrange(150)),
                )
                initiative = services.initiative_create(
                    community=source, title=f"I{n}", theme="other", status="planned"
                )
                initiative.community = target  # a move locks both CoPs
                initiative.save()
                services.initiative_move(initiative=initiative, to_status="in_progress")
                if rng.random() < 0.5:
                    Initiative.objects.filter(pk=initiative.pk).update(status="dropped")
                meeting = Meeting.objects.filter(community=target).order_by("?").first()
                if meeting is not None and rng.random() < 0.3:
                    meeting.delete()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert services.counters_check() == []
    assert Initiative.objects.count() == 16 * 5
