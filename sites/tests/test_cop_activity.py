"""A CoP's activity columns (last meeting, current members, active initiatives) are kept
by PostgreSQL triggers (sites/migrations/0003): every kind of write keeps them equal to
a recomputation from the meetings, memberships and initiatives themselves."""

import datetime
import random
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from accounts.tests.factories import UserFactory
from sites.models import (
    ACTIVE_INITIATIVE_STATUSES,
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
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


def _columns(cop) -> tuple:
    cop.refresh_from_db()
    return (cop.last_meeting_on, cop.member_count, cop.active_initiative_count)


def _recomputed() -> dict:
    """Every CoP's activity as aggregates of the three tables (the columns' definition)."""
    return {
        c.pk: (c.recomputed_last, c.recomputed_members, c.recomputed_active)
        for c in CommunityOfPractice.objects.annotate(
            recomputed_last=Max("meetings__held_on"),
            recomputed_members=Count(
                "memberships", filter=Q(memberships__left_on__isnull=True), distinct=True
            ),
            recomputed_active=Count(
                "initiatives",
                filter=Q(initiatives__status__in=ACTIVE_INITIATIVE_STATUSES),
                distinct=True,
            ),
        )
    }


def _stored() -> dict:
    return {
        pk: (last, members, active)
        for pk, last, members, active in CommunityOfPractice.objects.values_list(
            "pk", "last_meeting_on", "member_count", "active_initiative_count"
        )
    }


def test_a_new_cop_has_no_activity():
    assert _columns(CommunityOfPracticeFactory()) == (None, 0, 0)


def test_meetings_set_the_last_meeting_and_a_deletion_goes_back_to_the_one_before():
    cop = CommunityOfPracticeFactory()
    MeetingFactory(community=cop, held_on=D(2026, 3, 1))
    latest = MeetingFactory(community=cop, held_on=D(2026, 5, 1))
    assert _columns(cop)[0] == D(2026, 5, 1)
    latest.held_on = D(2026, 2, 1)
    latest.save()
    assert _columns(cop)[0] == D(2026, 3, 1)
    Meeting.objects.filter(held_on=D(2026, 3, 1)).delete()
    assert _columns(cop)[0] == D(2026, 2, 1)
    latest.delete()
    assert _columns(cop)[0] is None


def test_members_count_while_they_have_not_left():
    cop = CommunityOfPracticeFactory()
    first, second = MembershipFactory(community=cop), MembershipFactory(community=cop)
    assert _columns(cop)[1] == 2
    first.left_on = first.joined_on + datetime.timedelta(days=1)
    first.save(update_fields=["left_on"])
    assert _columns(cop)[1] == 1
    Membership.objects.filter(pk=first.pk).update(left_on=None)  # a queryset update too
    assert _columns(cop)[1] == 2
    second.delete()
    assert _columns(cop)[1] == 1


def test_initiatives_count_while_planned_in_progress_or_implemented():
    cop = CommunityOfPracticeFactory()
    initiative = InitiativeFactory(community=cop, status=InitiativeStatus.PLANNED)
    InitiativeFactory(community=cop, status=InitiativeStatus.DROPPED)
    assert _columns(cop)[2] == 1
    Initiative.objects.filter(pk=initiative.pk).update(status=InitiativeStatus.SUSTAINED)
    assert _columns(cop)[2] == 0


def test_a_row_moved_to_another_cop_updates_both():
    source, target = CommunityOfPracticeFactory(), CommunityOfPracticeFactory()
    meeting = MeetingFactory(community=source, held_on=D(2026, 4, 1))
    member = MembershipFactory(community=source)
    initiative = InitiativeFactory(community=source, status=InitiativeStatus.IN_PROGRESS)
    for row in (meeting, member, initiative):
        row.community = target
        row.save()
    assert _columns(source) == (None, 0, 0)
    assert _columns(target) == (D(2026, 4, 1), 1, 1)


def test_saving_a_stale_copy_of_the_cop_keeps_the_columns():
    """A form or the admin saves every column of the CoP it loaded; the triggers' values
    survive it."""
    cop = CommunityOfPracticeFactory()
    stale = CommunityOfPractice.objects.get(pk=cop.pk)
    MeetingFactory(community=cop, held_on=D(2026, 6, 1))
    MembershipFactory(community=cop)
    stale.name = "Renamed"
    stale.save()
    assert _columns(cop) == (D(2026, 6, 1), 1, 0)
    CommunityOfPractice.objects.filter(pk=cop.pk).update(member_count=99)
    assert _columns(cop)[1] == 1
    assert cop.name == "Renamed"


def test_deleting_a_cop_with_activity_works():
    cop = CommunityOfPracticeFactory()
    MeetingFactory(community=cop)
    MembershipFactory(community=cop)
    InitiativeFactory(community=cop)
    cop.delete()
    assert not CommunityOfPractice.objects.filter(pk=cop.pk).exists()


def test_random_writes_keep_every_column_equal_to_its_recomputation():
    rng = random.Random(9)
    cops = [CommunityOfPracticeFactory() for _ in range(4)]
    statuses = list(InitiativeStatus.values)
    for _ in range(80):
        cop = rng.choice(cops)
        action = rng.randrange(7)
        if action == 0:
            MeetingFactory(
                community=cop, held_on=D(2026, 1, 1) + datetime.timedelta(rng.randrange(300))
            )
        elif action == 1:
            MembershipFactory(community=cop)
        elif action == 2:
            InitiativeFactory(community=cop, status=rng.choice(statuses))
        elif action == 3 and (m := Membership.objects.order_by("?").first()):
            m.left_on = None if m.left_on else m.joined_on + datetime.timedelta(days=1)
            m.save()
        elif action == 4 and (i := Initiative.objects.order_by("?").first()):
            Initiative.objects.filter(pk=i.pk).update(status=rng.choice(statuses))
        elif action == 5 and (meeting := Meeting.objects.order_by("?").first()):
            meeting.delete()
        elif action == 6 and (i := Initiative.objects.order_by("?").first()):
            i.community = rng.choice(cops)
            i.save()
    assert _stored() == _recomputed()
    assert any(members for _, members, _ in _stored().values())


@pytest.mark.django_db(transaction=True)
def test_members_joining_at_once_are_all_counted():
    """Two transactions add a member to the same CoP at the same time: the second waits
    for the first's lock on the CoP and counts its row, so no update is lost."""
    cop = CommunityOfPracticeFactory()
    people = [UserFactory(), UserFactory()]
    first_inserted, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                MembershipFactory(community=cop, person=people[0])
                first_inserted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    first_inserted.wait(10)
    second = threading.Thread(
        target=lambda: (MembershipFactory(community=cop, person=people[1]), connection.close())
    )
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second insert waits for the first transaction's lock"
    release.set()
    thread.join(10)
    second.join(10)
    assert _columns(cop)[1] == 2 == Membership.objects.filter(community=cop).count()


def test_the_refresh_function_recomputes_after_a_load_with_triggers_off():
    """bench/dataset.py loads with triggers off (replica role), then calls the function."""
    cop = CommunityOfPracticeFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role TO replica")
        try:
            MembershipFactory(community=cop)
            MeetingFactory(community=cop, held_on=D(2026, 7, 1))
        finally:
            cursor.execute("SET session_replication_role TO DEFAULT")
        assert _columns(cop) == (None, 0, 0)
        cursor.execute("SELECT sites_cop_refresh_activity(id) FROM sites_communityofpractice")
    assert _columns(cop) == (D(2026, 7, 1), 1, 0)
