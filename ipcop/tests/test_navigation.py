"""The navigation bar: each role's links, and the current page marked for screen readers."""

import re

import pytest

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERYONE = {"Home"}
# Communities: to those who start or may be added to a CoP, and to anyone in one (a
# student or a person with no role sees it once they are a member).
STAFF = {"Communities", "Sites", "Placements", "Capacity", "Import", "Log a session"}
STAFF |= {"Sessions", "Evaluations", "Follow-ups", "Outcomes", "Requests", "Offers"}
EXPECTED = {
    "no-role": EVERYONE,
    "is_facilitator": EVERYONE | STAFF,
    "is_preceptor": EVERYONE
    | {"Communities", "Placements", "Log a session", "Sessions", "Evaluations"}
    | {"Mentoring hours"},
    "is_student": EVERYONE | {"Sessions", "My IP learning record", "Evaluations"},
    # Placement requests and offers between their programs and the sites; their students'
    # evaluations.
    "is_coordinator": EVERYONE
    | {"Students", "Placements", "Import", "Requests", "Offers", "Agreements", "Evaluations"},
    "is_staff": EVERYONE | STAFF | {"Admin"},
}


def nav_links(html: str) -> list[tuple[str, str, bool]]:
    nav = html.split('id="main-nav"', 1)[1].split('<ul class="navbar-nav">', 1)[0]
    return [
        (label, href, "aria-current" in attrs)
        for attrs, href, label in re.findall(
            r'<a class="nav-link([^"]*"[^>]*?) href="([^"]+)">([^<]+)</a>', nav
        )
    ]


@pytest.mark.parametrize("role", EXPECTED)
def test_each_role_sees_its_own_links(client, role):
    user = UserFactory(**({} if role == "no-role" else {role: True}))
    client.force_login(user)
    html = client.get("/sites/cops/").content.decode()
    assert {label for label, _, _ in nav_links(html)} == EXPECTED[role]


def test_a_person_with_two_roles_sees_both_sets(client):
    client.force_login(UserFactory(is_preceptor=True, is_student=True))
    labels = {label for label, _, _ in nav_links(client.get("/").content.decode())}
    assert labels == EXPECTED["is_preceptor"] | EXPECTED["is_student"]


def test_the_current_page_is_marked(client):
    client.force_login(UserFactory(is_facilitator=True))
    links = nav_links(client.get("/placements/").content.decode())
    current = [(label, href) for label, href, is_current in links if is_current]
    assert current == [("Placements", "/placements/")]
