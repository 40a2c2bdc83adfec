"""The sites pages for each role: who reads, who changes, who gets 403 or 404, and what
bad input shows."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import FollowUp
from mentoring.tests.factories import MentorAssignmentFactory
from placements.tests.factories import PlacementFactory
from sites import panels
from sites.models import (
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
    Meeting,
    Membership,
    Site,
    Unit,
)
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def text(response) -> str:
    return response.content.decode()


# --- Site list ---------------------------------------------------------------------------


def test_facilitator_sees_only_their_sites(client_for, facilitator, site_a, outsider):
    response = client_for(facilitator).get(reverse("sites:list"))
    assert response.status_code == 200
    assert "Site A" in text(response)
    assert "Site B" not in text(response)


def test_admin_sees_all_sites(client_for, admin, site_a, outsider):
    response = client_for(admin).get(reverse("sites:list"))
    assert "Site A" in text(response) and "Site B" in text(response)


@pytest.mark.parametrize("persona", ["preceptor", "student"])
def test_site_list_needs_the_facilitator_role(client_for, request, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("sites:list")).status_code == 403


def test_site_list_filters_by_name_zone_and_kind(client_for, facilitator):
    SiteFactory(name="Foothills Rehab", zone="calgary", kind="rehab", facilitators=[facilitator])
    SiteFactory(
        name="Foothills Medicine", zone="calgary", kind="hospital", facilitators=[facilitator]
    )
    SiteFactory(name="Red Deer Rehab", zone="central", kind="rehab", facilitators=[facilitator])
    client = client_for(facilitator)
    body = text(client.get(reverse("sites:list"), {"q": "foothills", "kind": "rehab"}))
    assert "Foothills Rehab" in body
    assert "Foothills Medicine" not in body and "Red Deer Rehab" not in body
    body = text(client.get(reverse("sites:list"), {"zone": "central"}))
    assert "Red Deer Rehab" in body and "Foothills Rehab" not in body


def test_site_list_ignores_bad_filters_and_page_numbers(client_for, facilitator, site_a):
    response = client_for(facilitator).get(
        reverse("sites:list"), {"zone": "atlantis", "kind": "x", "page": "abc"}
    )
    assert response.status_code == 200
    assert "Site A" in text(response)


def test_site_list_is_paginated(client_for, facilitator):
    for n in range(30):
        SiteFactory(name=f"Clinic {n:02d}", facilitators=[facilitator])
    client = client_for(facilitator)
    first = text(client.get(reverse("sites:list")))
    second = text(client.get(reverse("sites:list"), {"page": 2}))
    assert "Clinic 00" in first and "Clinic 29" not in first
    assert "Clinic 29" in second and "Page 2 of 2" in second


# --- Site detail -------------------------------------------------------------------------


def test_site_page_shows_units_cops_placements_initiatives_and_facilitators(
    client_for, facilitator, site_a, cop
):
    UnitFactory(site=site_a, name="4 West medicine")
    InitiativeFactory(community=cop, title="Joint huddles", in_progress=True)
    PlacementFactory(site=site_a, active=True, model="ip_mentoring")
    PlacementFactory(site=site_a, active=True, model="ip_mentoring")
    PlacementFactory(site=site_a, active=True, model="traditional")
    PlacementFactory(site=site_a, model="traditional")  # requested: not current
    response = client_for(facilitator).get(reverse("sites:detail", args=[site_a.pk]))
    body = text(response)
    assert response.status_code == 200
    assert "4 West medicine" in body and "4 West CoP" in body and "Joint huddles" in body
    assert "Fran Facilitator" in body
    placements_url = reverse("placements:list")
    assert f"{placements_url}?site={site_a.pk}&amp;model=ip_mentoring&amp;status=active" in body
    assert response.context["placements_by_model"] == [
        {"model": "traditional", "label": "Traditional preceptorship", "count": 1},
        {"model": "ip_mentoring", "label": "IP mentoring", "count": 2},
    ]


def test_outsider_gets_404_for_another_sites_page(client_for, outsider, site_a):
    assert client_for(outsider).get(reverse("sites:detail", args=[site_a.pk])).status_code == 404


def test_cop_member_without_facilitating_the_site_gets_403_on_the_site_page(
    client_for, preceptor, site_a
):
    assert client_for(preceptor).get(reverse("sites:detail", args=[site_a.pk])).status_code == 403


def test_student_gets_404_for_a_site_page(client_for, student, site_a):
    assert client_for(student).get(reverse("sites:detail", args=[site_a.pk])).status_code == 404


def test_admin_reads_any_site_page(client_for, admin, site_a):
    assert client_for(admin).get(reverse("sites:detail", args=[site_a.pk])).status_code == 200


# --- Site and unit writes ------------------------------------------------------------------


def test_facilitator_creates_a_site_and_looks_after_it(client_for, facilitator):
    response = client_for(facilitator).post(
        reverse("sites:create"), {"name": "Misericordia", "kind": "hospital", "zone": "edmonton"}
    )
    site = Site.objects.get(name="Misericordia")
    assert response.status_code == 302
    assert facilitator in site.facilitators.all()


def test_site_form_shows_errors_next_to_fields(client_for, facilitator, site_a):
    response = client_for(facilitator).post(
        reverse("sites:create"), {"name": "Site A", "kind": "hospital", "zone": "nowhere"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"zone"}
    response = client_for(facilitator).post(
        reverse("sites:create"), {"name": "Site A", "kind": "hospital", "zone": "south"}
    )
    assert "name" in response.context["form"].errors
    assert Site.objects.filter(name="Site A").count() == 1


def test_preceptor_cannot_create_a_site(client_for, preceptor):
    response = client_for(preceptor).post(
        reverse("sites:create"), {"name": "X", "kind": "hospital", "zone": "south"}
    )
    assert response.status_code == 403
    assert not Site.objects.filter(name="X").exists()


def test_facilitator_edits_their_site(client_for, facilitator, site_a):
    response = client_for(facilitator).post(
        reverse("sites:edit", args=[site_a.pk]),
        {
            "name": "Site A renamed",
            "kind": "rehab",
            "zone": "north",
            "is_active": "on",
            "facilitators": [facilitator.pk],
        },
    )
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert (site_a.name, site_a.kind) == ("Site A renamed", "rehab")


def test_outsider_cannot_edit_another_site(client_for, outsider, site_a):
    response = client_for(outsider).post(
        reverse("sites:edit", args=[site_a.pk]),
        {"name": "Hijacked", "kind": "rehab", "zone": "north"},
    )
    assert response.status_code == 404
    site_a.refresh_from_db()
    assert site_a.name == "Site A"


def test_facilitator_adds_and_edits_a_unit(client_for, facilitator, site_a):
    client = client_for(facilitator)
    client.post(reverse("sites:unit_create", args=[site_a.pk]), {"name": "5 East"})
    unit = Unit.objects.get(site=site_a)
    client.post(reverse("sites:unit_edit", args=[unit.pk]), {"name": "5 East surgery"})
    unit.refresh_from_db()
    assert unit.name == "5 East surgery"


def test_duplicate_unit_name_shows_a_message(client_for, facilitator, site_a):
    UnitFactory(site=site_a, name="5 East")
    response = client_for(facilitator).post(
        reverse("sites:unit_create", args=[site_a.pk]), {"name": "5 East"}
    )
    assert "already has a unit" in text(response)
    assert Unit.objects.filter(site=site_a).count() == 1


def test_outsider_gets_404_on_another_sites_unit(client_for, outsider, site_a):
    unit = UnitFactory(site=site_a)
    client = client_for(outsider)
    assert client.get(reverse("sites:unit_edit", args=[unit.pk])).status_code == 404
    assert client.get(reverse("sites:unit_create", args=[site_a.pk])).status_code == 404


# --- CoP pages -----------------------------------------------------------------------------


def test_cop_page_shows_members_mix_meetings_newest_first_and_board(client_for, facilitator, cop):
    nursing = ProfessionFactory(code="nursing")
    nurse = MembershipFactory(
        community=cop, person=UserFactory(full_name="Nora Nurse", profession=nursing)
    )
    MembershipFactory(community=cop, profession=nurse.profession)
    pharmacy = ProfessionFactory(code="pharmacy")
    MembershipFactory(community=cop, profession=pharmacy)
    MeetingFactory(community=cop, held_on=TODAY - datetime.timedelta(days=20), topics="Older")
    MeetingFactory(community=cop, held_on=TODAY - datetime.timedelta(days=2), topics="Newer")
    InitiativeFactory(community=cop, title="Morning huddle", in_progress=True)
    response = client_for(facilitator).get(reverse("sites:cop_detail", args=[cop.pk]))
    body = text(response)
    assert "Nora Nurse" in body
    mix = {row["profession__name"]: row["n"] for row in response.context["profession_mix"]}
    assert mix[nurse.profession.name] == 2 and mix[pharmacy.name] == 1
    assert body.index("Newer") < body.index("Older")
    in_progress = next(c for c in response.context["board"] if c["status"] == "in_progress")
    assert [c["initiative"].title for c in in_progress["initiatives"]] == ["Morning huddle"]
    assert "No meeting in the last 60 days" not in body
    assert "Add member" in body


def test_cop_without_a_recent_meeting_is_flagged(client_for, facilitator, cop):
    MeetingFactory(community=cop, held_on=TODAY - datetime.timedelta(days=61))
    body = text(client_for(facilitator).get(reverse("sites:cop_detail", args=[cop.pk])))
    assert "No meeting in the last 60 days" in body
    assert "No active initiative" in body


def test_member_preceptor_reads_the_cop_without_change_links(client_for, preceptor, cop):
    response = client_for(preceptor).get(reverse("sites:cop_detail", args=[cop.pk]))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert "Add member" not in text(response)


@pytest.mark.parametrize("persona", ["outsider", "student"])
def test_cop_of_another_site_answers_404(client_for, request, persona, cop):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse("sites:cop_detail", args=[cop.pk])).status_code == 404


def test_cop_list_shows_a_preceptor_their_communities_only(client_for, preceptor, cop):
    CommunityOfPracticeFactory(name="Somebody else's CoP")
    body = text(client_for(preceptor).get(reverse("sites:cop_list"), {"page": "x"}))
    assert "4 West CoP" in body and "Somebody else" not in body


def test_meeting_page_is_readable_by_members_and_hidden_from_outsiders(
    client_for, preceptor, outsider, cop
):
    meeting = MeetingFactory(community=cop, decisions="Daily huddle at 9")
    url = reverse("sites:meeting_detail", args=[meeting.pk])
    assert "Daily huddle at 9" in text(client_for(preceptor).get(url))
    assert client_for(outsider).get(url).status_code == 404


# --- CoP writes ----------------------------------------------------------------------------


def test_facilitator_creates_and_edits_a_cop(client_for, facilitator, site_a):
    client = client_for(facilitator)
    response = client.post(
        reverse("sites:cop_create", args=[site_a.pk]),
        {"name": "Rehab CoP", "started_on": "2025-01-15", "status": "forming", "focus": "Intake"},
    )
    community = CommunityOfPractice.objects.get(name="Rehab CoP")
    assert response.status_code == 302 and community.site == site_a
    client.post(
        reverse("sites:cop_edit", args=[community.pk]),
        {"name": "Rehab CoP", "started_on": "2025-01-15", "status": "active"},
    )
    community.refresh_from_db()
    assert community.status == "active"


def test_preceptor_member_cannot_change_the_cop(client_for, preceptor, cop):
    client = client_for(preceptor)
    assert client.get(reverse("sites:cop_edit", args=[cop.pk])).status_code == 403
    assert client.get(reverse("sites:member_add", args=[cop.pk])).status_code == 403
    assert client.get(reverse("sites:meeting_create", args=[cop.pk])).status_code == 403
    response = client.post(
        reverse("sites:initiative_create", args=[cop.pk]), {"title": "X", "theme": "other"}
    )
    assert response.status_code == 403
    assert not Initiative.objects.exists()


def test_preceptor_cannot_create_a_cop(client_for, preceptor, site_a):
    response = client_for(preceptor).get(reverse("sites:cop_create", args=[site_a.pk]))
    assert response.status_code == 403


def test_outsider_cannot_change_another_sites_cop(client_for, outsider, cop):
    client = client_for(outsider)
    assert client.get(reverse("sites:cop_edit", args=[cop.pk])).status_code == 404
    assert client.post(reverse("sites:member_add", args=[cop.pk])).status_code == 404


def test_member_add_creates_membership_and_followup(client_for, facilitator, site_a, cop):
    person = UserFactory(full_name="Olu Therapist")
    MentorAssignmentFactory(placement=PlacementFactory(site=site_a), mentor=person)
    response = client_for(facilitator).post(
        reverse("sites:member_add", args=[cop.pk]),
        {"person": person.pk, "role": "member", "joined_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(community=cop, person=person)
    assert FollowUp.objects.filter(membership=membership).exists()


def test_duplicate_member_gets_a_message_and_nothing_is_saved(
    client_for, facilitator, preceptor, cop
):
    response = client_for(facilitator).post(
        reverse("sites:member_add", args=[cop.pk]),
        {"person": preceptor.pk, "role": "member", "joined_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert "already a member" in response.context["form"].errors["person"][0]
    assert Membership.objects.filter(community=cop, person=preceptor).count() == 1


def test_a_former_member_is_offered_and_rejoins(client_for, facilitator, cop):
    past = MembershipFactory(
        community=cop,
        person=UserFactory(full_name="Rae Rejoin"),
        joined_on=TODAY - datetime.timedelta(days=90),
        left_on=TODAY - datetime.timedelta(days=30),
    )
    client = client_for(facilitator)
    form = client.get(reverse("sites:member_add", args=[cop.pk])).context["form"]
    assert past.person in form.fields["person"].queryset
    response = client.post(
        reverse("sites:member_add", args=[cop.pk]),
        {"person": past.person.pk, "role": "member", "joined_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(community=cop, person=past.person).count() == 2
    body = text(client.get(reverse("sites:cop_detail", args=[cop.pk])))
    # Listed once among the current members and once among the past ones.
    current, past_part = body.split("Past members (1)")
    assert "Rae Rejoin" in current and "Rae Rejoin" in past_part


def test_a_current_member_is_not_offered(client_for, facilitator, cop):
    current = MembershipFactory(community=cop)
    form = client_for(facilitator).get(reverse("sites:member_add", args=[cop.pk])).context["form"]
    assert current.person not in form.fields["person"].queryset


def test_member_end_before_start_gets_a_message(client_for, facilitator, cop):
    membership = MembershipFactory(community=cop, joined_on=TODAY)
    response = client_for(facilitator).post(
        reverse("sites:member_end", args=[membership.pk]),
        {"left_on": (TODAY - datetime.timedelta(days=1)).isoformat()},
    )
    assert "before it started" in response.context["form"].errors["left_on"][0]
    membership.refresh_from_db()
    assert membership.left_on is None


def test_member_end_keeps_the_membership_in_history(client_for, facilitator, cop):
    membership = MembershipFactory(community=cop, person=UserFactory(full_name="Lee Left"))
    client = client_for(facilitator)
    client.post(reverse("sites:member_end", args=[membership.pk]), {"left_on": TODAY.isoformat()})
    membership.refresh_from_db()
    assert membership.left_on == TODAY
    body = text(client.get(reverse("sites:cop_detail", args=[cop.pk])))
    assert "Past members (1)" in body and "Lee Left" in body


def test_meeting_is_recorded_with_attendees(client_for, facilitator, cop):
    member = MembershipFactory(community=cop)
    response = client_for(facilitator).post(
        reverse("sites:meeting_create", args=[cop.pk]),
        {
            "held_on": TODAY.isoformat(),
            "duration_minutes": "45",
            "attendees": [member.pk],
            "topics": "Handover",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(community=cop)
    assert list(meeting.attendees.all()) == [member]
    assert meeting.recorded_by == facilitator


def test_meeting_with_an_attendee_who_is_not_a_member_is_refused(client_for, facilitator, cop):
    stranger = MembershipFactory()  # a member of another CoP
    left = MembershipFactory(community=cop, left_on=TODAY - datetime.timedelta(days=30))
    client = client_for(facilitator)
    response = client.post(
        reverse("sites:meeting_create", args=[cop.pk]),
        {"held_on": TODAY.isoformat(), "duration_minutes": "60", "attendees": [stranger.pk]},
    )
    assert "not a member of this community" in response.context["form"].errors["attendees"][0]
    response = client.post(
        reverse("sites:meeting_create", args=[cop.pk]),
        {"held_on": TODAY.isoformat(), "duration_minutes": "60", "attendees": [left.pk]},
    )
    assert "Not a member of this community on" in response.context["form"].errors["attendees"][0]
    assert not Meeting.objects.exists()


def test_initiative_create_edit_and_move(client_for, facilitator, cop):
    client = client_for(facilitator)
    client.post(
        reverse("sites:initiative_create", args=[cop.pk]),
        {"title": "One intake person", "theme": "admission_intake", "status": "idea"},
    )
    initiative = Initiative.objects.get(community=cop)
    client.post(
        reverse("sites:initiative_edit", args=[initiative.pk]),
        {"title": "One intake person", "theme": "admission_intake", "outcome": "Faster"},
    )
    response = client.post(
        reverse("sites:initiative_move", args=[initiative.pk]), {"status": "planned"}, follow=True
    )
    initiative.refresh_from_db()
    assert (initiative.status, initiative.outcome) == (InitiativeStatus.PLANNED, "Faster")
    assert "moved to Planned" in text(response)


def test_disallowed_status_jump_shows_a_message_and_changes_nothing(client_for, facilitator, cop):
    initiative = InitiativeFactory(community=cop)
    response = client_for(facilitator).post(
        reverse("sites:initiative_move", args=[initiative.pk]),
        {"status": "implemented"},
        follow=True,
    )
    assert "cannot move from Idea to Implemented" in text(response)
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IDEA


def test_initiative_with_end_before_start_shows_a_message(client_for, facilitator, cop):
    response = client_for(facilitator).post(
        reverse("sites:initiative_create", args=[cop.pk]),
        {
            "title": "Discharge",
            "theme": "discharge",
            "status": "idea",
            "started_on": "2025-05-01",
            "ended_on": "2025-04-01",
        },
    )
    assert response.status_code == 200
    assert "cannot end before it started" in text(response)
    assert not Initiative.objects.exists()


def test_preceptor_cannot_move_an_initiative(client_for, preceptor, cop):
    initiative = InitiativeFactory(community=cop)
    response = client_for(preceptor).post(
        reverse("sites:initiative_move", args=[initiative.pk]), {"status": "planned"}
    )
    assert response.status_code == 403
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.IDEA


def test_initiative_move_needs_post(client_for, facilitator, cop):
    initiative = InitiativeFactory(community=cop)
    url = reverse("sites:initiative_move", args=[initiative.pk])
    assert client_for(facilitator).get(url).status_code == 405


# --- Dashboard -------------------------------------------------------------------------------


def test_facilitator_panel_shows_sites_cops_attention_themes_and_activity(
    facilitator, site_a, cop, outsider
):
    """The home page includes this panel (ipcop/dashboard.py) with its context and id."""
    quiet = CommunityOfPracticeFactory(site=site_a, name="Quiet CoP")
    MeetingFactory(community=cop, held_on=TODAY - datetime.timedelta(days=3), topics="x")
    InitiativeFactory(community=cop, title="Joint huddles", in_progress=True)
    InitiativeFactory(community=quiet, theme="discharge")
    CommunityOfPracticeFactory(site=outsider.facilitated_sites.get(), name="Elsewhere CoP")
    context = panels.facilitator(facilitator)
    body = render_to_string("sites/panels/facilitator.html", {"ctx": context, "panel_id": 3})
    assert 'id="panel-3"' in body
    assert "Site A" in body and "4 West CoP" in body
    assert "Elsewhere CoP" not in body
    assert [c["name"] for c in context["attention"]] == ["Quiet CoP"]
    rows = {r["theme"]: r for r in context["initiatives"]["rows"]}
    assert rows["Communication"]["total"] == 1 and rows["Discharge"]["total"] == 1
    assert "Meeting of 4 West CoP" in body
    assert "Initiatives by theme and status" in body


def test_cop_search_ignores_nul_characters(client_for, facilitator, cop):
    # Found by the hostile-input test: psycopg2 refuses NUL in a query parameter (a 500).
    response = client_for(facilitator).get(reverse("sites:cop_list"), {"q": "4 West\x00"})
    assert response.status_code == 200
    assert [c.name for c in response.context["page_obj"]] == ["4 West CoP"]


# --- A new CoP's first meeting -----------------------------------------------------------


@pytest.mark.parametrize(("age", "flagged"), [(0, False), (59, False), (60, True), (200, True)])
def test_a_new_cop_is_not_flagged_for_no_meeting_until_60_days_after_it_started(
    client_for, facilitator, site_a, age, flagged
):
    new = CommunityOfPracticeFactory(
        site=site_a, name="New CoP", started_on=TODAY - datetime.timedelta(days=age)
    )
    InitiativeFactory(community=new, in_progress=True)  # only the meeting rule is tested
    badge = "no meeting in 60 days"
    c = client_for(facilitator)
    assert (badge in c.get(reverse("sites:cop_list")).content.decode()) is flagged
    assert (badge in c.get(reverse("sites:detail", args=[site_a.pk])).content.decode()) is flagged
    detail = c.get(reverse("sites:cop_detail", args=[new.pk])).content.decode()
    assert ("No meeting in the last 60 days" in detail) is flagged
    context = panels.facilitator(facilitator)
    assert ([c["name"] for c in context["attention"]] == ["New CoP"]) is flagged
    body = render_to_string("sites/panels/facilitator.html", {"ctx": context, "panel_id": 1})
    assert (badge in body) is flagged


# --- No dead ends ------------------------------------------------------------------------


def test_the_communities_list_offers_a_new_community_to_those_who_may_start_one(
    client_for, facilitator, site_a, cop, admin_user
):
    page = client_for(facilitator).get(reverse("sites:cop_list")).content.decode()
    assert f'href="{reverse("sites:cop_create", args=[site_a.pk])}">New community</a>' in page
    # Several sites: one link per site, under the one button.
    SiteFactory(name="Site Z", facilitators=[facilitator])
    page = client_for(facilitator).get(reverse("sites:cop_list")).content.decode()
    assert page.count(">New community</button>") == 1 and "Site Z</a>" in page
    member = MembershipFactory(community=cop).person
    page = client_for(member).get(reverse("sites:cop_list")).content.decode()
    assert "New community" not in page


@pytest.mark.parametrize("sites", [1, 12])
def test_the_communities_list_query_count_with_the_new_community_button(
    client_for, admin_user, sites, django_assert_max_num_queries
):
    for n in range(sites):
        CommunityOfPracticeFactory(site=SiteFactory(name=f"Site {n:02d}"))
    c = client_for(admin_user)
    # Session, user, the sites to start one at, the page's CoPs and their count, and the
    # session's save (an UPDATE in a savepoint).
    with django_assert_max_num_queries(8):
        page = c.get(reverse("sites:cop_list")).content.decode()
    assert ("Another site…" in page) is (sites > 10)


def test_the_site_page_links_to_its_learning_matrix(client_for, facilitator, site_a):
    page = client_for(facilitator).get(reverse("sites:detail", args=[site_a.pk])).content.decode()
    assert f'href="{reverse("mentoring:site_matrix", args=[site_a.pk])}"' in page


def test_a_student_in_no_community_is_not_offered_the_communities_list(client_for, cop):
    from placements.tests.factories import StudentFactory

    nav_link = f'href="{reverse("sites:cop_list")}"'
    student = StudentFactory().user
    assert nav_link not in client_for(student).get(reverse("home")).content.decode()
    MembershipFactory(community=cop, person=student)
    assert nav_link in client_for(student).get(reverse("home")).content.decode()
    preceptor = UserFactory(preceptor=True)  # may be added to one: the list stays offered
    assert nav_link in client_for(preceptor).get(reverse("home")).content.decode()
