"""Every rule of sites/services.py: what it saves, and what it refuses (saving nothing)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import FollowUp
from sites import services
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    Unit,
)
from sites.signals import membership_started
from sites.tests.factories import (
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


# --- Sites and units -------------------------------------------------------------------


def test_facilitator_who_creates_a_site_becomes_its_facilitator(facilitator):
    site = services.site_create(
        name="Foothills", kind="hospital", zone="calgary", created_by=facilitator
    )
    assert list(site.facilitators.all()) == [facilitator]


def test_admin_who_creates_a_site_is_not_added_as_facilitator(admin):
    site = services.site_create(name="Foothills", kind="hospital", zone="calgary", created_by=admin)
    assert site.facilitators.count() == 0


def test_site_with_a_taken_name_is_refused(site_a):
    with pytest.raises(ValidationError) as error:
        services.site_create(name="Site A", kind="hospital", zone="calgary")
    assert "name" in error.value.message_dict
    assert Site.objects.filter(name="Site A").count() == 1


def test_site_with_unknown_zone_is_refused():
    with pytest.raises(ValidationError) as error:
        services.site_create(name="Nowhere", kind="hospital", zone="atlantis")
    assert "zone" in error.value.message_dict
    assert not Site.objects.filter(name="Nowhere").exists()


def test_site_update_changes_details_and_facilitators(site_a, facilitator):
    other = UserFactory(facilitator=True)
    services.site_update(
        site=site_a, name="Site A2", kind="rehab", zone="north", facilitators=[facilitator, other]
    )
    site_a.refresh_from_db()
    assert (site_a.name, site_a.kind, site_a.zone) == ("Site A2", "rehab", "north")
    assert set(site_a.facilitators.all()) == {facilitator, other}


def test_unit_names_are_unique_per_site(site_a):
    services.unit_create(site=site_a, name="4 West")
    with pytest.raises(ValidationError) as error:
        services.unit_create(site=site_a, name="4 west")
    assert "already has a unit" in error.value.message_dict["name"][0]
    assert Unit.objects.filter(site=site_a).count() == 1
    # The same name at another site is fine.
    services.unit_create(site=SiteFactory(), name="4 West")


def test_unit_update_refuses_the_name_of_a_sibling(site_a):
    UnitFactory(site=site_a, name="4 West")
    unit = UnitFactory(site=site_a, name="5 East")
    with pytest.raises(ValidationError):
        services.unit_update(unit=unit, name="4 West")
    unit.refresh_from_db()
    assert unit.name == "5 East"


# --- Communities -----------------------------------------------------------------------


def test_community_create_sets_facilitators(site_a, facilitator):
    community = services.community_create(
        site=site_a, name="Rehab CoP", started_on=TODAY, facilitators=[facilitator]
    )
    assert list(community.facilitators.all()) == [facilitator]
    assert community.status == CoPStatus.ACTIVE


def test_community_name_is_unique_per_site(cop):
    with pytest.raises(ValidationError) as error:
        services.community_create(site=cop.site, name=cop.name, started_on=TODAY)
    assert "name" in error.value.message_dict
    assert CommunityOfPractice.objects.filter(site=cop.site).count() == 1


def test_community_cannot_start_after_its_first_meeting(cop):
    MeetingFactory(community=cop, held_on=cop.started_on + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        services.community_update(
            community=cop, name=cop.name, started_on=cop.started_on + datetime.timedelta(days=5)
        )
    assert "started_on" in error.value.message_dict
    cop.refresh_from_db()
    assert cop.started_on == TODAY - datetime.timedelta(days=180)


def test_community_update_changes_status(cop):
    services.community_update(
        community=cop, name="Renamed", started_on=cop.started_on, status=CoPStatus.DORMANT
    )
    cop.refresh_from_db()
    assert (cop.name, cop.status) == ("Renamed", CoPStatus.DORMANT)


# --- Members ---------------------------------------------------------------------------


def test_membership_add_copies_profession_and_creates_followup(cop):
    person = UserFactory()
    membership = services.membership_add(
        community=cop, person=person, joined_on=TODAY, role=MembershipRole.CHAMPION
    )
    assert membership.profession == person.profession
    followup = FollowUp.objects.get(membership=membership)
    assert followup.participant == person
    assert followup.site == cop.site


def test_membership_add_uses_a_given_profession(cop):
    pharmacy = ProfessionFactory(code="pharmacy")
    membership = services.membership_add(
        community=cop, person=UserFactory(), joined_on=TODAY, profession=pharmacy
    )
    assert membership.profession == pharmacy


def test_duplicate_member_is_refused_and_nothing_saved(cop):
    existing = MembershipFactory(community=cop)
    with pytest.raises(ValidationError) as error:
        services.membership_add(community=cop, person=existing.person, joined_on=TODAY)
    assert "already a member" in error.value.message_dict["person"][0]
    assert Membership.objects.filter(community=cop).count() == 1
    assert not FollowUp.objects.exists()


def test_former_member_rejoins_with_a_new_membership_and_followup(cop):
    left = TODAY - datetime.timedelta(days=30)
    past = MembershipFactory(
        community=cop, joined_on=left - datetime.timedelta(days=90), left_on=left
    )
    again = services.membership_add(community=cop, person=past.person, joined_on=TODAY)
    assert again.pk != past.pk and again.left_on is None
    past.refresh_from_db()
    assert past.left_on == left  # the old membership stays as history
    assert FollowUp.objects.filter(membership=again).exists()
    assert CommunityOfPractice.objects.with_member_count().get(pk=cop.pk).member_count == 1
    assert list(Membership.objects.filter(community=cop, person=past.person).current()) == [again]


@pytest.mark.parametrize("days_after_leaving", [0, -5])
def test_rejoining_on_or_before_the_day_they_left_is_refused(cop, days_after_leaving):
    past = MembershipFactory(
        community=cop,
        joined_on=TODAY - datetime.timedelta(days=60),
        left_on=TODAY - datetime.timedelta(days=10),
    )
    with pytest.raises(ValidationError) as error:
        services.membership_add(
            community=cop,
            person=past.person,
            joined_on=past.left_on + datetime.timedelta(days=days_after_leaving),
        )
    assert "can rejoin from the day after" in error.value.message_dict["joined_on"][0]
    assert Membership.objects.filter(community=cop).count() == 1


def test_the_database_refuses_two_current_memberships(cop):
    current = MembershipFactory(community=cop)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            community=cop,
            person=current.person,
            profession=current.profession,
            joined_on=TODAY,
        )


def test_member_without_profession_needs_one(cop):
    person = UserFactory(profession=None)
    with pytest.raises(ValidationError) as error:
        services.membership_add(community=cop, person=person, joined_on=TODAY)
    assert "profession" in error.value.message_dict
    assert not Membership.objects.exists()


def test_member_cannot_join_before_the_community_started(cop):
    with pytest.raises(ValidationError) as error:
        services.membership_add(
            community=cop,
            person=UserFactory(),
            joined_on=cop.started_on - datetime.timedelta(days=1),
        )
    assert "joined_on" in error.value.message_dict
    assert not Membership.objects.exists()


def test_membership_rolls_back_when_a_receiver_fails(cop):
    def broken(sender, *, membership, **kwargs):
        raise RuntimeError("interviews down")

    membership_started.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            services.membership_add(community=cop, person=UserFactory(), joined_on=TODAY)
    finally:
        membership_started.disconnect(dispatch_uid="test-broken")
    assert not Membership.objects.exists()


def test_membership_end_keeps_the_row(cop):
    membership = MembershipFactory(community=cop)
    services.membership_end(membership=membership, left_on=TODAY)
    membership.refresh_from_db()
    assert membership.left_on == TODAY
    assert not membership.is_current


def test_membership_cannot_end_before_it_started(cop):
    membership = MembershipFactory(community=cop, joined_on=TODAY)
    with pytest.raises(ValidationError) as error:
        services.membership_end(membership=membership, left_on=TODAY - datetime.timedelta(days=1))
    assert "before it started" in error.value.message_dict["left_on"][0]
    membership.refresh_from_db()
    assert membership.left_on is None


def test_membership_cannot_end_twice(cop):
    membership = MembershipFactory(community=cop, left_on=TODAY)
    with pytest.raises(ValidationError) as error:
        services.membership_end(membership=membership, left_on=TODAY)
    assert "already ended" in error.value.message_dict["left_on"][0]


# --- Meetings --------------------------------------------------------------------------


def test_meeting_records_attendees(cop, facilitator):
    a, b = MembershipFactory(community=cop), MembershipFactory(community=cop)
    meeting = services.meeting_record(
        community=cop,
        held_on=TODAY,
        duration_minutes=45,
        attendees=[a, b],
        topics="Handover",
        recorded_by=facilitator,
    )
    assert set(meeting.attendees.all()) == {a, b}
    assert meeting.recorded_by == facilitator


def test_attendee_from_another_community_is_refused(cop):
    stranger = MembershipFactory()
    with pytest.raises(ValidationError) as error:
        services.meeting_record(community=cop, held_on=TODAY, attendees=[stranger])
    assert str(stranger.person) in error.value.message_dict["attendees"][0]
    assert not Meeting.objects.exists()


def test_attendee_who_had_left_by_the_meeting_is_refused(cop):
    left = MembershipFactory(community=cop, left_on=TODAY - datetime.timedelta(days=10))
    with pytest.raises(ValidationError) as error:
        services.meeting_record(community=cop, held_on=TODAY, attendees=[left])
    assert "Not a member" in error.value.message_dict["attendees"][0]
    assert not Meeting.objects.exists()


def test_attendee_who_joined_after_the_meeting_is_refused(cop):
    late = MembershipFactory(community=cop, joined_on=TODAY)
    with pytest.raises(ValidationError):
        services.meeting_record(
            community=cop, held_on=TODAY - datetime.timedelta(days=3), attendees=[late]
        )
    assert not Meeting.objects.exists()


def test_meeting_in_the_future_or_before_the_community_is_refused(cop):
    for held_on in (TODAY + datetime.timedelta(days=1), cop.started_on - datetime.timedelta(1)):
        with pytest.raises(ValidationError) as error:
            services.meeting_record(community=cop, held_on=held_on)
        assert "held_on" in error.value.message_dict
    assert not Meeting.objects.exists()


def test_meeting_duration_out_of_range_is_refused(cop):
    with pytest.raises(ValidationError):
        services.meeting_record(community=cop, held_on=TODAY, duration_minutes=800)
    assert not Meeting.objects.exists()


# --- Initiatives -----------------------------------------------------------------------


def test_initiative_create_at_idea(cop):
    initiative = services.initiative_create(
        community=cop, title="Joint intake", theme=InitiativeTheme.ADMISSION_INTAKE
    )
    assert initiative.status == InitiativeStatus.IDEA


def test_initiative_ending_before_it_starts_is_refused(cop):
    with pytest.raises(ValidationError):
        services.initiative_create(
            community=cop,
            title="Discharge",
            theme=InitiativeTheme.DISCHARGE,
            started_on=TODAY,
            ended_on=TODAY - datetime.timedelta(days=1),
        )
    assert not Initiative.objects.exists()


def test_initiative_update_keeps_the_status(cop):
    initiative = InitiativeFactory(community=cop, in_progress=True)
    services.initiative_update(
        initiative=initiative,
        title="New title",
        theme=InitiativeTheme.DISCHARGE,
        started_on=initiative.started_on,
        outcome="Shorter stays",
    )
    initiative.refresh_from_db()
    assert (initiative.title, initiative.status) == ("New title", InitiativeStatus.IN_PROGRESS)


def test_initiative_moves_along_the_workflow_and_fills_dates(cop):
    initiative = InitiativeFactory(community=cop)
    for status in ("planned", "in_progress", "implemented", "sustained"):
        initiative = services.initiative_move(initiative=initiative, to_status=status)
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.SUSTAINED
    assert initiative.started_on == TODAY
    assert initiative.ended_on == TODAY


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("idea", "in_progress"),
        ("idea", "implemented"),
        ("planned", "sustained"),
        ("implemented", "in_progress"),
        ("dropped", "idea"),
        ("idea", "nonsense"),
    ],
)
def test_disallowed_status_jump_is_refused(cop, start, target):
    initiative = InitiativeFactory(community=cop, status=start)
    with pytest.raises(ValidationError) as error:
        services.initiative_move(initiative=initiative, to_status=target)
    assert "cannot move" in error.value.message_dict["status"][0]
    initiative.refresh_from_db()
    assert initiative.status == start


def test_any_live_initiative_may_be_dropped(cop):
    initiative = InitiativeFactory(community=cop, in_progress=True)
    services.initiative_move(initiative=initiative, to_status="dropped")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.DROPPED
    assert initiative.ended_on == TODAY


def test_a_site_name_differing_only_in_case_is_refused(site_a):
    """The review's finding: "Site A" and "site a" could coexist, and the import took the
    first of them."""
    with pytest.raises(ValidationError) as error:
        services.site_create(name=site_a.name.upper(), kind=site_a.kind, zone=site_a.zone)
    assert "already exists" in str(error.value)
    assert Site.objects.filter(name__iexact=site_a.name).count() == 1
