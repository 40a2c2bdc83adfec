"""Personas shared by every app's tests: a facilitator of site A, an outsider who
facilitates site B, an admin. Sites A and B each have an affiliation agreement in force
with the programs' default institution (placements.tests.factories), so placements there
can be confirmed; the agreement gate's tests make sites without one. Apps add their own personas (a preceptor, a student) in
their tests/conftest.py, and may override these where a test needs a variant."""

import pytest

from accounts.tests.factories import UserFactory
from placements.tests.factories import AffiliationAgreementFactory
from sites.tests.factories import SiteFactory


@pytest.fixture
def facilitator(db):
    return UserFactory(facilitator=True, full_name="Fran Facilitator")


@pytest.fixture
def site_a(facilitator):
    site = SiteFactory(name="Site A", facilitators=[facilitator])
    AffiliationAgreementFactory(site=site)
    return site


@pytest.fixture
def outsider(db):
    return UserFactory(facilitator=True, full_name="Otto Outsider")


@pytest.fixture
def site_b(outsider):
    site = SiteFactory(name="Site B", facilitators=[outsider])
    AffiliationAgreementFactory(site=site)
    return site


@pytest.fixture
def admin_user(db):
    return UserFactory(admin=True, full_name="Ada Admin")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the login throttle's counters (and cached
    panels) of one test must not leak into the next."""
    from django.core.cache import cache

    cache.clear()
