"""Adding a member to a CoP: the page and its type-ahead offer only the people linked to
the CoP's site (ipcop.permissions.people_offerable_as_members); anyone else is added by
their exact email, and nobody outside the site is ever listed."""

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from ipcop.permissions import people_offerable_as_members
from mentoring.tests.factories import MentorAssignmentFactory
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.models import Membership
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
NO_MATCH = "No active account with that exact email."


def add_url(cop) -> str:
    return reverse("sites:member_add", args=[cop.pk])


def candidates_url(cop) -> str:
    return reverse("sites:member_candidates", args=[cop.pk])


def _placed(site, name, **traits):
    return PlacementFactory(site=site, student=StudentFactory(user__full_name=name), **traits)


@pytest.fixture
def linked(site_a, cop):
    """One person for each way of being linked to site A. Every name holds "Quill", so one
    search finds them all (and the people below, were they offered)."""
    placement = _placed(site_a, "Stu Quill Placed", active=True)
    mentor = MentorAssignmentFactory(placement=placement, mentor__full_name="Meg Quill Mentor")
    contact = UserFactory(full_name="Cal Quill Contact")
    PlacementFactory(site=site_a, contact=contact)
    co_facilitator = UserFactory(facilitator=True, full_name="Fay Quill Cofacilitator")
    site_a.facilitators.add(co_facilitator)
    cop_facilitator = UserFactory(facilitator=True, full_name="Flo Quill Copfacilitator")
    CommunityOfPracticeFactory(site=site_a, facilitators=[cop_facilitator])
    other_cop_member = MembershipFactory(
        community=CommunityOfPracticeFactory(site=site_a),
        person=UserFactory(full_name="Mo Quill Member"),
    ).person
    former = MembershipFactory(
        community=cop,
        person=UserFactory(full_name="Fox Quill Former"),
        joined_on=cop.started_on,
        left_on=TODAY - datetime.timedelta(days=10),
    ).person
    return {
        "student": placement.student.user,
        "mentor": mentor.mentor,
        "contact": contact,
        "co_facilitator": co_facilitator,
        "cop_facilitator": cop_facilitator,
        "other_cop_member": other_cop_member,
        "former_member": former,
    }


@pytest.fixture
def unlinked(site_a, cop):
    """People the old page listed although nothing links them to site A."""
    site_b = SiteFactory(name="Site B")
    current = MembershipFactory(community=cop, person=UserFactory(full_name="Cur Quill Current"))
    inactive = _placed(site_a, "Ina Quill Inactive", active=True).student.user
    inactive.is_active = False
    inactive.save()
    return {
        "other_site_student": _placed(site_b, "Oto Quill Elsewhere", active=True).student.user,
        "other_site_member": MembershipFactory(
            community=CommunityOfPracticeFactory(site=site_b),
            person=UserFactory(full_name="Obi Quill Othercop"),
        ).person,
        "admin": UserFactory(admin=True, full_name="Ada Quill Admin"),
        "never_logged_in": UserFactory(full_name="Nev Quill Neverin", last_login=None),
        "cancelled_placement": _placed(site_a, "Can Quill Cancelled", cancelled=True).student.user,
        "current_member": current.person,
        "inactive": inactive,
    }


# --- Who is offered --------------------------------------------------------------------------


def test_the_site_links_decide_who_is_offered(cop, linked, unlinked):
    offered = set(people_offerable_as_members(cop))
    assert offered >= set(linked.values())
    assert offered.isdisjoint(unlinked.values())


def test_the_page_lists_only_people_linked_to_the_site(
    client_for, facilitator, cop, linked, unlinked
):
    body = client_for(facilitator).get(add_url(cop)).content.decode()
    for person in linked.values():
        assert person.email in body, person.full_name
    for kind, person in unlinked.items():
        assert person.email not in body, kind
        assert person.full_name not in body, kind


def test_the_page_search_finds_nobody_outside_the_site(client_for, facilitator, cop, unlinked):
    client = client_for(facilitator)
    for person in unlinked.values():
        body = client.get(add_url(cop), {"q": person.full_name}).content.decode()
        assert person.email not in body
        assert "Nobody linked to the site matches" in body


def test_the_page_search_narrows_the_list(client_for, facilitator, cop, linked):
    response = client_for(facilitator).get(add_url(cop), {"q": "quill mentor"})
    choices = response.context["form"].fields["person"].widget.choices
    assert [value for value, _ in choices] == ["", linked["mentor"].pk]
    assert "1 person matches" in response.content.decode()


def test_the_type_ahead_answers_only_people_linked_to_the_site(
    client_for, facilitator, cop, linked, unlinked
):
    response = client_for(facilitator).get(candidates_url(cop), {"q": "QUILL"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {row["id"] for row in body["results"]} == {p.pk for p in linked.values()}
    assert body["more"] is False
    text = response.content.decode()
    for kind, person in unlinked.items():
        assert person.email not in text, kind
    mentor = next(row for row in body["results"] if row["id"] == linked["mentor"].pk)
    assert mentor["name"] == "Meg Quill Mentor"
    assert mentor["label"].startswith(f"Meg Quill Mentor — {linked['mentor'].email}")


def test_the_type_ahead_matches_every_word_in_name_or_email(client_for, facilitator, cop, linked):
    client = client_for(facilitator)
    found = client.get(candidates_url(cop), {"q": "placed quill"}).json()["results"]
    assert [row["id"] for row in found] == [linked["student"].pk]
    email = linked["contact"].email
    found = client.get(candidates_url(cop), {"q": email[:6]}).json()["results"]
    assert linked["contact"].pk in {row["id"] for row in found}


def test_the_type_ahead_gives_at_most_twenty(client_for, facilitator, site_a, cop):
    for n in range(25):
        _placed(site_a, f"Pat Many {n:02d}")
    body = client_for(facilitator).get(candidates_url(cop), {"q": "many"}).json()
    assert len(body["results"]) == 20 and body["more"] is True
    assert body["results"][0]["name"] == "Pat Many 00"


# --- Who may ask ------------------------------------------------------------------------------


def test_the_type_ahead_needs_the_right_to_add_members(
    client, client_for, admin, outsider, preceptor, student, cop, linked
):
    url = candidates_url(cop)
    assert client.get(url, {"q": "quill"}).status_code == 302  # to log in
    assert client_for(outsider).get(url, {"q": "quill"}).status_code == 404
    assert client_for(student).get(url, {"q": "quill"}).status_code == 404
    assert client_for(preceptor).get(url, {"q": "quill"}).status_code == 403
    assert client_for(admin).get(url, {"q": "quill"}).status_code == 200


def test_another_facilitators_cop_is_not_found(client_for, facilitator, outsider):
    theirs = CommunityOfPracticeFactory(site=SiteFactory(facilitators=[outsider]))
    _placed(theirs.site, "Ber Quill Theirs", active=True)
    client = client_for(facilitator)
    assert client.get(candidates_url(theirs), {"q": "quill"}).status_code == 404
    assert client.get(add_url(theirs), {"q": "quill"}).status_code == 404


def test_an_admin_is_offered_only_the_sites_people_too(client_for, admin, cop, linked, unlinked):
    found = client_for(admin).get(candidates_url(cop), {"q": "quill"}).json()["results"]
    assert {row["id"] for row in found} == {p.pk for p in linked.values()}


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "status", "message"),
    [
        ("", 200, None),
        ("   ", 200, None),
        ("q", 400, "Type at least 2 characters."),
        ("A" * 10_000, 400, "Search with at most 100 characters."),
        ("qu\x00ill", 400, "Null characters are not allowed."),
        ("%_", 200, None),
        ("' OR 1=1 --", 200, None),
    ],
)
def test_bad_searches_get_a_message_never_an_error(
    client_for, facilitator, cop, linked, q, status, message
):
    client = client_for(facilitator)
    response = client.get(candidates_url(cop), {"q": q})
    assert response.status_code == status
    assert response.json()["results"] == []
    assert response.json().get("error") == message
    page = client.get(add_url(cop), {"q": q})
    assert page.status_code == 200
    if message:
        assert message in page.content.decode()
        assert page.context["form"].fields["person"].widget.choices == [("", "Choose a person")]


def test_a_search_too_short_lists_nobody(client_for, facilitator, cop, linked):
    response = client_for(facilitator).get(add_url(cop), {"q": "q"})
    assert "Type at least 2 characters." in response.content.decode()
    for person in linked.values():
        assert person.email not in response.content.decode()


# --- Adding ----------------------------------------------------------------------------------


def _post(client, cop, **data):
    return client.post(add_url(cop), {"role": "member", "joined_on": TODAY.isoformat(), **data})


def test_a_person_the_page_did_not_list_but_the_type_ahead_found_can_be_added(
    client_for, facilitator, site_a, cop
):
    for n in range(25):
        _placed(site_a, f"Pat Many {n:02d}")
    last = _placed(site_a, "Zoe Last", active=True).student.user
    client = client_for(facilitator)
    assert last.email not in client.get(add_url(cop)).content.decode()  # beyond the first 20
    # An error elsewhere keeps the chosen person chosen.
    response = _post(client, cop, person=last.pk, joined_on="")
    assert response.status_code == 200
    assert f'<option value="{last.pk}" selected>' in response.content.decode()
    assert _post(client, cop, person=last.pk).status_code == 302
    assert Membership.objects.filter(community=cop, person=last).exists()


@pytest.mark.parametrize("kind", ["other_site_student", "admin", "never_logged_in"])
def test_a_forged_choice_of_someone_outside_the_site_is_refused(
    client_for, facilitator, cop, unlinked, kind
):
    person = unlinked[kind]
    response = _post(client_for(facilitator), cop, person=person.pk)
    assert response.status_code == 200
    assert "not linked to the site" in response.context["form"].errors["person"][0]
    assert not Membership.objects.filter(community=cop, person=person).exists()


def test_anyone_active_can_be_added_by_exact_email(client_for, facilitator, cop, unlinked):
    person = unlinked["other_site_student"]
    written = f"  {person.email.upper()} "  # the same address once normalised
    response = _post(client_for(facilitator), cop, email=written)
    assert response.status_code == 302
    assert Membership.objects.filter(community=cop, person=person, left_on=None).exists()


@pytest.mark.parametrize(
    "email",
    [
        "person",  # a name, not an address
        "@example.org",
        "erson1@example.org",  # part of the local part
        "nobody@example.org",
        "oto.quill@example.or",
    ],
)
def test_a_partial_or_unknown_email_adds_nobody_and_reveals_nothing(
    client_for, facilitator, cop, unlinked, email
):
    response = _post(client_for(facilitator), cop, email=email)
    assert response.status_code == 200
    errors = response.context["form"].errors["email"]
    assert errors in ([NO_MATCH], ["Enter a valid email address."])
    assert Membership.objects.filter(community=cop).count() == 1  # the current member only
    body = response.content.decode()
    for person in unlinked.values():
        if person != unlinked["current_member"]:
            assert person.email not in body


def test_a_deactivated_account_is_not_found_by_email(client_for, facilitator, cop, unlinked):
    response = _post(client_for(facilitator), cop, email=unlinked["inactive"].email)
    assert response.context["form"].errors["email"] == [NO_MATCH]


def test_a_current_member_by_email_gets_the_message_next_to_the_email(
    client_for, facilitator, cop, unlinked
):
    response = _post(client_for(facilitator), cop, email=unlinked["current_member"].email)
    assert "already a member" in response.context["form"].errors["email"][0]


def test_a_person_and_an_email_together_or_neither_are_refused(
    client_for, facilitator, cop, linked, unlinked
):
    client = client_for(facilitator)
    both = _post(client, cop, person=linked["mentor"].pk, email=unlinked["admin"].email)
    assert both.context["form"].errors["email"] == [
        "Choose a person from the list or give an email, not both."
    ]
    neither = _post(client, cop)
    assert "Choose a person linked to the site" in neither.context["form"].errors["person"][0]
    assert Membership.objects.filter(community=cop).count() == 2  # current and former


# --- Queries ----------------------------------------------------------------------------------

# On top of the session lookup, the user and the session's idle-timeout save (5 queries):
# the CoP, and one read of the people.
CANDIDATES_QUERIES = 7
# ... the CoP, the people listed, and the professions' choices.
ADD_PAGE_QUERIES = 8


@pytest.mark.parametrize("n", [10, 200])
def test_the_type_ahead_query_count_is_constant(
    client_for, facilitator, site_a, cop, django_assert_max_num_queries, n
):
    for i in range(n):
        _placed(site_a, f"Pat Many {i:03d}")
    client = client_for(facilitator)
    client.get(candidates_url(cop), {"q": "ma"})  # the session's first save
    with django_assert_max_num_queries(CANDIDATES_QUERIES):
        response = client.get(candidates_url(cop), {"q": "many"})
    assert len(response.json()["results"]) == min(n, 20)


@pytest.mark.parametrize("n", [10, 200])
def test_the_add_page_query_count_is_constant(
    client_for, facilitator, site_a, cop, django_assert_max_num_queries, n
):
    for i in range(n):
        _placed(site_a, f"Pat Many {i:03d}")
    client = client_for(facilitator)
    client.get(add_url(cop))
    with django_assert_max_num_queries(ADD_PAGE_QUERIES):
        response = client.get(add_url(cop), {"q": "many"})
    assert len(response.context["form"].fields["person"].widget.choices) == min(n, 20) + 1
