"""Factories for sites, units and communities of practice."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import ProfessionFactory, UserFactory
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    HealthZone,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    SiteKind,
    Unit,
)


def _add_all(relation, create, extracted):
    """post_generation helper: `XFactory(facilitators=[a, b])` adds them to the M2M."""
    if create and extracted:
        relation.add(*extracted)


class SiteFactory(DjangoModelFactory):
    """A site. `SiteFactory(facilitators=[user])` makes the user one of its facilitators."""

    class Meta:
        model = Site
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Site {n}")
    kind = SiteKind.HOSPITAL_UNIT
    zone = HealthZone.EDMONTON
    city = "Edmonton"

    @factory.post_generation
    def facilitators(self, create, extracted, **kwargs):
        _add_all(self.facilitators, create, extracted)


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")


class CommunityOfPracticeFactory(DjangoModelFactory):
    """An active CoP started about six months ago."""

    class Meta:
        model = CommunityOfPractice
        skip_postgeneration_save = True

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Community of practice {n}")
    focus = "Working together across professions on the unit."
    started_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=180))
    status = CoPStatus.ACTIVE

    @factory.post_generation
    def facilitators(self, create, extracted, **kwargs):
        _add_all(self.facilitators, create, extracted)


class MembershipFactory(DjangoModelFactory):
    """A current membership; its profession is the person's (as the services copy it)."""

    class Meta:
        model = Membership

    community = factory.SubFactory(CommunityOfPracticeFactory)
    person = factory.SubFactory(UserFactory)
    profession = factory.LazyAttribute(lambda o: o.person.profession or ProfessionFactory())
    role = MembershipRole.MEMBER
    joined_on = factory.LazyAttribute(lambda o: o.community.started_on)
    left_on = None


class MeetingFactory(DjangoModelFactory):
    """A meeting a week ago. `MeetingFactory(attendees=[membership, ...])`."""

    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityOfPracticeFactory)
    held_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=7))
    duration_minutes = 60
    topics = "How we share information at shift change."
    decisions = "Try a joint huddle every morning."

    @factory.post_generation
    def attendees(self, create, extracted, **kwargs):
        _add_all(self.attendees, create, extracted)


class InitiativeFactory(DjangoModelFactory):
    """An initiative at the idea stage. Trait `in_progress` gives it a status and a start."""

    class Meta:
        model = Initiative

    community = factory.SubFactory(CommunityOfPracticeFactory)
    title = factory.Sequence(lambda n: f"Initiative {n}")
    theme = InitiativeTheme.COMMUNICATION
    description = "Joint meetings of all professionals on the unit."
    status = InitiativeStatus.IDEA

    class Params:
        in_progress = factory.Trait(
            status=InitiativeStatus.IN_PROGRESS,
            started_on=factory.LazyAttribute(lambda o: o.community.started_on),
        )
        implemented = factory.Trait(
            status=InitiativeStatus.IMPLEMENTED,
            started_on=factory.LazyAttribute(lambda o: o.community.started_on),
            ended_on=factory.LazyAttribute(
                lambda o: o.community.started_on + datetime.timedelta(days=90)
            ),
            outcome="All professions now meet weekly.",
        )
