"""`site_choices_for` (the list filter's site options): the sites a person may read, by
name, for every persona and every mix of roles."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.tests.factories import UserFactory
from ipcop.permissions import site_choices_for
from mentoring.tests.factories import MentorAssignmentFactory
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites():
    # Names out of id order, so that the order by name is checked too.
    return [SiteFactory(name=name) for name in ("Delta", "Alpha", "Echo", "Charlie", "Bravo")]


def _roles(sites, *, facilitator=False, preceptor=False, student=False, member=False, **flags):
    """A person holding the given roles, each at its own sites; a role's flag without
    the rows (or rows without the flag) must not change the set either."""
    person = UserFactory(is_facilitator=facilitator, is_preceptor=preceptor, **flags)
    if facilitator:
        sites[0].facilitators.add(person)
        sites[1].facilitators.add(person)
    if preceptor:
        MentorAssignmentFactory(placement=PlacementFactory(site=sites[2]), mentor=person)
    if student:
        person.is_student = True
        person.save()
        PlacementFactory(site=sites[3], student=StudentFactory(user=person))
    if member:
        MembershipFactory(person=person, community__site=sites[4])
        MembershipFactory(person=person, community__site=sites[0])
    return person


# The sites each role's rows in `_roles` give (by name): facilitated sites, the site of a
# mentored placement, of one's own placement, of one's CoPs.
ROLE_SITES = {
    "facilitator": {"Delta", "Alpha"},
    "preceptor": {"Echo"},
    "student": {"Charlie"},
    "member": {"Bravo", "Delta"},
}


@pytest.mark.parametrize(
    "roles",
    [
        {},
        {"facilitator": True},
        {"preceptor": True},
        {"student": True},
        {"member": True},
        {"facilitator": True, "member": True},
        {"preceptor": True, "member": True},
        {"student": True, "member": True},
        {"facilitator": True, "preceptor": True, "student": True, "member": True},
    ],
    ids=lambda roles: "+".join(roles) or "no-role",
)
def test_site_choices_are_the_sites_of_each_role_by_name(sites, roles):
    person = _roles(sites, **roles)
    names = sorted(set().union(*(ROLE_SITES[role] for role in roles)))
    by_name = {site.name: site.pk for site in sites}
    assert site_choices_for(person) == [(by_name[name], name) for name in names]


def test_an_inactive_person_has_no_site_choice(sites):
    person = _roles(sites, facilitator=True, preceptor=True, student=True, is_active=False)
    assert site_choices_for(person) == []


def test_staff_choose_among_all_sites(sites):
    person = _roles(sites, facilitator=True, is_staff=True)
    assert [name for _, name in site_choices_for(person)] == sorted(s.name for s in sites)


def test_site_choices_ignore_rows_of_a_role_the_person_lacks(sites):
    # Mentor rows, a placement and facilitation, but none of the role flags: only the
    # CoP membership counts, as in sites_visible_to.
    person = UserFactory()
    sites[0].facilitators.add(person)
    MentorAssignmentFactory(placement=PlacementFactory(site=sites[2]), mentor=person)
    PlacementFactory(site=sites[3], student=StudentFactory(user=person))
    MembershipFactory(person=person, community__site=sites[4])
    assert site_choices_for(person) == [(sites[4].pk, "Bravo")]


def test_site_choices_of_an_admin_are_all_sites(sites, admin_user):
    assert [name for _, name in site_choices_for(admin_user)] == sorted(s.name for s in sites)


def test_site_choices_of_anonymous_are_none(sites):
    assert site_choices_for(AnonymousUser()) == []


def test_site_choices_are_one_query(sites, django_assert_num_queries):
    person = _roles(sites, facilitator=True, preceptor=True, student=True, member=True)
    with django_assert_num_queries(1):
        assert len(site_choices_for(person)) == 5
