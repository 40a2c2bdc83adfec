"""Personas of the sites tests: a facilitator of site A, a preceptor who is a member of a
CoP at site A, a student, an outsider facilitating site B, and an admin."""

import pytest

from accounts.tests.factories import UserFactory
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    MembershipFactory,
    SiteFactory,
)


@pytest.fixture
def cop(site_a, facilitator):
    return CommunityOfPracticeFactory(site=site_a, name="4 West CoP", facilitators=[facilitator])


@pytest.fixture
def preceptor(cop):
    """A preceptor who is a member of the CoP at site A (may read it, not change it)."""
    person = UserFactory(preceptor=True, full_name="Pat Preceptor")
    MembershipFactory(community=cop, person=person)
    return person


@pytest.fixture
def student(db):
    return UserFactory(is_student=True, full_name="Sam Student")


@pytest.fixture
def outsider(db):
    """A facilitator of another site (site B)."""
    person = UserFactory(facilitator=True, full_name="Olive Outsider")
    SiteFactory(name="Site B", facilitators=[person])
    return person


@pytest.fixture
def admin(db):
    return UserFactory(admin=True, full_name="Ada Admin")


@pytest.fixture
def client_for(client):
    """`client_for(user)` logs the test client in as that person."""

    def login(user):
        client.force_login(user)
        return client

    return login
