import datetime
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ipcop.lib.formats import weekday_date
from mentoring import services
from mentoring.models import Activity, MentoringSession, SessionStudent
from mentoring.tests.factories import default_domains
from placements.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

LOG_URL = reverse("mentoring:session_log")


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def session(placement, team, student):
    return services.session_log(
        logged_by=team[0],
        site=placement.site,
        held_on=timezone.localdate(),
        duration_minutes=60,
        activity=Activity.SHADOWING,
        students=[student],
    )


def age(session, days):
    MentoringSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def initial_post_data(form):
    """What a browser submits when the person changes nothing on the opened form."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        value = value() if callable(value) else value
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


# --- Session log -----------------------------------------------------------------------


def test_common_session_takes_at_most_six_inputs(client, placement, team, physiotherapist):
    preceptor, pharmacist = team
    response = client_for(client, preceptor).get(f"{LOG_URL}?placement={placement.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    data = initial_post_data(form)
    assert data["held_on"] == timezone.localdate().isoformat()
    assert data["students"] == [str(placement.student_id)]
    domains = list(default_domains())
    changes = {
        "professionals": [str(pharmacist.pk), str(physiotherapist.pk)],  # 2 taps
        "activity": Activity.JOINT_ASSESSMENT,  # 1 tap
        "domains": [str(domains[0].pk), str(domains[2].pk)],  # 2 taps
        "duration_minutes": "30",  # 1 choice
    }
    inputs = sum(len(v) if isinstance(v, list) else 1 for v in changes.values())
    assert inputs <= 6
    response = client.post(f"{LOG_URL}?placement={placement.pk}", {**data, **changes})
    session = MentoringSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("mentoring:session_detail", args=[session.pk])
    assert session.duration_minutes == 30
    assert session.professionals.count() == 3  # the two checked and the preceptor


def test_log_form_preselects_the_preceptors_current_students(client, placement, team, site_a):
    response = client_for(client, team[0]).get(LOG_URL)
    assert response.status_code == 200  # one site: no site to choose
    assert response.context["form"].initial["students"] == [placement.student_id]


def test_log_form_lists_site_staff_with_professions(client, placement, team, physiotherapist):
    response = client_for(client, team[0]).get(f"{LOG_URL}?placement={placement.pk}")
    assert "Phoebe Physio — Physiotherapy" in response.content.decode()
    assert "Phil Pharmacist — Pharmacy" in response.content.decode()


def test_future_session_is_refused_next_to_the_date(client, placement, team):
    response = client_for(client, team[0]).get(f"{LOG_URL}?placement={placement.pk}")
    data = initial_post_data(response.context["form"])
    data["held_on"] = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    data["activity"] = Activity.DEBRIEF
    response = client.post(f"{LOG_URL}?placement={placement.pk}", data)
    assert response.status_code == 200
    assert "cannot be in the future" in str(response.context["form"].errors["held_on"])
    assert not MentoringSession.objects.exists()


def test_garbage_duration_and_placement_param_give_messages_not_errors(client, placement, team):
    client_for(client, team[0])
    assert client.get(f"{LOG_URL}?placement=abc").status_code == 200  # ignored
    response = client.post(
        f"{LOG_URL}?placement={placement.pk}", {"held_on": "yesterday", "duration_minutes": "x"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"held_on", "duration_minutes", "activity"}


def test_student_cannot_log_a_session(client, placement, student):
    assert client_for(client, student.user).get(LOG_URL).status_code == 403


def test_outsider_cannot_log_at_another_site(client, placement, outsider):
    client_for(client, outsider)
    assert client.get(f"{LOG_URL}?placement={placement.pk}").status_code == 404
    assert client.get(f"{LOG_URL}?site={placement.site_id}").status_code == 404


# --- Edit / delete ---------------------------------------------------------------------


def test_preceptor_edits_own_session_within_window(client, session, team):
    client_for(client, team[0])
    response = client.get(reverse("mentoring:session_edit", args=[session.pk]))
    assert response.status_code == 200
    data = initial_post_data(response.context["form"])
    data["notes"] = "Discussed medication reconciliation."
    response = client.post(reverse("mentoring:session_edit", args=[session.pk]), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.notes == "Discussed medication reconciliation."


def test_preceptor_gets_403_after_the_edit_window(client, session, team):
    age(session, 15)
    client_for(client, team[0])
    assert client.get(reverse("mentoring:session_edit", args=[session.pk])).status_code == 403
    assert client.post(reverse("mentoring:session_delete", args=[session.pk])).status_code == 403
    assert MentoringSession.objects.filter(pk=session.pk).exists()


def test_facilitator_deletes_an_old_session(client, session, facilitator):
    age(session, 60)
    client_for(client, facilitator)
    response = client.post(reverse("mentoring:session_delete", args=[session.pk]))
    assert response.status_code == 302
    assert not MentoringSession.objects.exists()


def test_present_colleague_sees_but_cannot_edit(client, session, team):
    pharmacist = team[1]
    client_for(client, pharmacist)
    assert client.get(reverse("mentoring:session_detail", args=[session.pk])).status_code == 200
    assert client.get(reverse("mentoring:session_edit", args=[session.pk])).status_code == 403


def test_outsider_gets_404_on_session_pages(client, session, outsider):
    client_for(client, outsider)
    for name in ("session_detail", "session_edit", "session_delete"):
        assert client.get(reverse(f"mentoring:{name}", args=[session.pk])).status_code == 404


# --- Reflection ------------------------------------------------------------------------


def test_student_reflects_and_preceptor_sees_it(client, session, student, team):
    url = reverse("mentoring:session_reflect", args=[session.pk])
    response = client_for(client, student.user).post(url, {"reflection": "OT explained seating."})
    assert response.status_code == 302
    assert SessionStudent.objects.get(session=session).reflection == "OT explained seating."
    client.force_login(team[0])
    page = client.get(reverse("mentoring:session_detail", args=[session.pk])).content.decode()
    assert "OT explained seating." in page


def test_a_reflection_is_for_its_author_and_the_sessions_preceptors(
    client, placement, team, student, facilitator
):
    """The review's finding: a student read another student's private reflection on a
    session they both attended."""
    from placements.tests.factories import PlacementFactory

    classmate = StudentFactory()
    PlacementFactory(student=classmate, site=placement.site, active=True)
    session = services.session_log(
        logged_by=team[0],
        site=placement.site,
        held_on=timezone.localdate(),
        duration_minutes=60,
        activity=Activity.SHADOWING,
        students=[student, classmate],
        professionals=[team[1]],
    )
    SessionStudent.objects.filter(session=session, student=student).update(
        reflection="My private thoughts."
    )
    detail = reverse("mentoring:session_detail", args=[session.pk])

    def sees(person) -> bool:
        client.force_login(person)
        response = client.get(detail)
        assert response.status_code == 200
        return "My private thoughts." in response.content.decode()

    assert sees(student.user)  # its author
    assert sees(team[0]) and sees(team[1])  # who logged it, a professional present
    assert not sees(classmate.user)
    assert not sees(facilitator)


def test_other_student_cannot_reflect(client, session, placement):
    stranger = StudentFactory()
    url = reverse("mentoring:session_reflect", args=[session.pk])
    assert client_for(client, stranger.user).post(url, {"reflection": "x"}).status_code == 404


# --- Learning record -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["student", "preceptor", "pharmacist", "facilitator", "admin"])
def test_record_visible_to_student_mentors_facilitator_admin(
    client, session, student, team, facilitator, admin_user, who
):
    user = {
        "student": student.user,
        "preceptor": team[0],
        "pharmacist": team[1],
        "facilitator": facilitator,
        "admin": admin_user,
    }[who]
    response = client_for(client, user).get(reverse("mentoring:learning_record", args=[student.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No session yet on Interprofessional Conflict Resolution" in page
    assert "Never worked with Pharmacy" in page  # the pharmacist mentors but was not present
    assert '<rect class="domain-bar-fill"' not in page or "style=" not in page


def test_record_hidden_from_outsider_and_other_student(client, session, student, outsider):
    url = reverse("mentoring:learning_record", args=[student.pk])
    assert client_for(client, outsider).get(url).status_code == 404
    client.force_login(StudentFactory().user)
    assert client.get(url).status_code == 404


def test_record_page_has_no_inline_styles(client, session, student):
    page = client_for(client, student.user).get(
        reverse("mentoring:learning_record", args=[student.pk])
    )
    assert "style=" not in page.content.decode()
    assert "<svg" in page.content.decode()


def test_record_lists_each_session_with_its_people_domains_and_reflection(
    client, placement, team, student, site_a
):
    site_a.name = "Site <A>"
    site_a.save()
    preceptor, pharmacist = team
    domains = list(default_domains()[:2])
    logged = services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=timezone.localdate(),
        duration_minutes=45,
        activity=Activity.JOINT_ASSESSMENT,
        students=[student],
        professionals=[pharmacist],
        domains=domains,
    )
    SessionStudent.objects.filter(session=logged).update(reflection="Learnt a lot.")
    page = client_for(client, student.user).get(
        reverse("mentoring:learning_record", args=[student.pk])
    )
    html = page.content.decode()
    detail = reverse("mentoring:session_detail", args=[logged.pk])
    assert f'<a href="{detail}">{weekday_date(timezone.localdate())}</a>' in html
    assert '<td data-label="Activity">Joint assessment or care planning</td>' in html
    assert '<td data-label="Minutes">45</td>' in html
    assert '<td data-label="Site">Site &lt;A&gt;</td>' in html  # escaped like the rest
    assert '<td data-label="Professions">Nursing, Pharmacy</td>' in html  # the logger too
    assert f'<td data-label="Domains">{domains[0].name}; {domains[1].name}</td>' in html
    assert '<td data-label="Reflection">Yes</td>' in html


def test_record_pages_its_sessions_newest_first(client, placement, team, student):
    from mentoring.tests.conftest import bulk_sessions

    sessions = bulk_sessions(count=30, placements=[placement], logged_by=team[0])
    client_for(client, student.user)
    url = reverse("mentoring:learning_record", args=[student.pk])
    first, second = client.get(url), client.get(f"{url}?page=2")
    newest = sorted(sessions, key=lambda s: (s.held_on, s.pk), reverse=True)
    detail = reverse("mentoring:session_detail", args=[newest[25].pk])
    assert detail not in first.content.decode()
    assert f'<a href="{detail}">' in second.content.decode()
    assert second.content.decode().count('<td class="text-nowrap" data-label="Date">') == 5
    assert "Page 2 of 2" in second.content.decode()
    # Out of range, malformed or huge: the last page, or the first.
    last = client.get(f"{url}?page=999").content.decode()
    assert "Page 2 of 2" in last and last.count('<td class="text-nowrap" data-label="Date">') == 5
    assert "Page 1 of 2" in client.get(f"{url}?page=abc").content.decode()
    assert client.get(f"{url}?page=99999999999999999999999").status_code == 200


def test_my_record_redirects_the_student(client, student):
    response = client_for(client, student.user).get(reverse("mentoring:my_learning_record"))
    assert response.url == reverse("mentoring:learning_record", args=[student.pk])


# --- Site matrix -----------------------------------------------------------------------


def test_facilitator_sees_matrix_and_csv(client, session, site_a, facilitator, student):
    client_for(client, facilitator)
    assert client.get(reverse("mentoring:site_matrix", args=[site_a.pk])).status_code == 200
    response = client.get(reverse("mentoring:site_matrix_csv", args=[site_a.pk]))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Student,Profession,Program,Framework,Sessions with Nursing")
    assert lines[1].startswith("Sam Student,Nursing,")
    assert f",{student.program},cihc-2010," in lines[1]


def test_matrix_marks_gaps_and_other_frameworks(client, session, site_a, facilitator, student):
    from mentoring.models import CompetencyFramework
    from placements.models import PlacementStatus
    from placements.tests.factories import PlacementFactory, ProgramFactory

    ipec = CompetencyFramework.objects.get(code="ipec-2023")
    other = StudentFactory(program=ProgramFactory(framework=ipec), user__full_name="<Olga>")
    PlacementFactory(student=other, site=site_a, status=PlacementStatus.CONFIRMED)
    PlacementFactory(student=StudentFactory(), site=site_a, status=PlacementStatus.CANCELLED)
    html = (
        client_for(client, facilitator)
        .get(reverse("mentoring:site_matrix", args=[site_a.pk]))
        .content.decode()
    )
    assert html.count('<th scope="row">') == 2  # the cancelled placement's student is not listed
    record = reverse("mentoring:learning_record", args=[other.pk])
    assert f'<a href="{record}">&lt;Olga&gt;</a>' in html
    assert '<td data-label="With Nursing">1</td>' in html  # Sam met nursing (the logger) once
    assert re.search(r'<td class="matrix-gap" data-label="[^"]+">0</td>', html)
    assert (
        html.count("not this student&#39;s framework") + html.count("not this student's framework")
        == 6 + 4
    )  # Sam: 4 IPEC domains; Olga: 6 CIHC 2010 domains


def test_matrix_csv_defuses_formulas(client, session, site_a, facilitator, student):
    student.user.full_name = "=HYPERLINK(evil)"
    student.user.save()
    client_for(client, facilitator)
    body = client.get(reverse("mentoring:site_matrix_csv", args=[site_a.pk])).content.decode()
    assert "'=HYPERLINK(evil)" in body
    assert "\n=HYPERLINK" not in body


def test_matrix_is_403_for_preceptor_and_404_for_outsider(client, session, site_a, team, outsider):
    url = reverse("mentoring:site_matrix", args=[site_a.pk])
    assert client_for(client, team[0]).get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("mentoring:site_matrix_csv", args=[site_a.pk])).status_code == 404


def test_matrix_bad_page_param_is_harmless(client, session, site_a, facilitator):
    url = reverse("mentoring:site_matrix", args=[site_a.pk])
    assert client_for(client, facilitator).get(f"{url}?page=abc").status_code == 200


def test_matrix_pages_fifty_students_by_name(client, site_a, facilitator):
    from placements.models import PlacementStatus
    from placements.tests.factories import PlacementFactory

    for i in range(51):
        PlacementFactory(
            site=site_a,
            status=PlacementStatus.CONFIRMED,
            student=StudentFactory(user__full_name=f"Student {i:02d}"),
        )
    client_for(client, facilitator)
    url = reverse("mentoring:site_matrix", args=[site_a.pk])
    first = client.get(url).content.decode()
    assert first.count('<th scope="row">') == 50
    assert "Student 00" in first and "Student 50" not in first
    for asked in ["2", "999", "99999999999999999999999"]:
        last = client.get(f"{url}?page={asked}").content.decode()
        assert last.count('<th scope="row">') == 1, asked
        assert "Student 50" in last and "Page 2 of 2" in last
    assert "Page 1 of 2" in client.get(f"{url}?page=0x").content.decode()
    csv = client.get(reverse("mentoring:site_matrix_csv", args=[site_a.pk])).content.decode()
    assert len(csv.splitlines()) == 52


# --- Teams -----------------------------------------------------------------------------


def test_facilitator_sees_the_rule_when_the_team_breaks_it(
    client, placement, team, facilitator, nursing
):
    preceptor, _ = team
    url = reverse("mentoring:team_edit", args=[placement.pk])
    client_for(client, facilitator)
    assert client.get(url).status_code == 200
    response = client.post(url, {"primary": preceptor.pk})  # the pharmacist unchecked
    assert response.status_code == 200
    assert "at least one mentor of a profession other than the student" in response.content.decode()
    assert placement.mentors.count() == 2


def test_facilitator_adds_a_mentor(client, placement, team, facilitator, physiotherapist):
    preceptor, pharmacist = team
    url = reverse("mentoring:team_edit", args=[placement.pk])
    response = client_for(client, facilitator).post(
        url, {"primary": preceptor.pk, "mentors": [pharmacist.pk, physiotherapist.pk]}
    )
    assert response.status_code == 302
    assert placement.mentors.count() == 3


def test_remove_refused_with_message_when_it_breaks_the_rule(client, placement, team, facilitator):
    assignment = placement.mentors.get(mentor=team[1])
    client_for(client, facilitator)
    response = client.post(reverse("mentoring:team_remove", args=[assignment.pk]), follow=True)
    assert "cannot be removed" in response.content.decode()
    assert placement.mentors.count() == 2


def test_team_pages_403_for_mentor_and_404_for_outsider(client, placement, team, outsider):
    url = reverse("mentoring:team_edit", args=[placement.pk])
    assert client_for(client, team[0]).get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assignment = placement.mentors.first()
    assert client.post(reverse("mentoring:team_remove", args=[assignment.pk])).status_code == 404


def test_placement_team_tag_shows_team_and_manage_link_for_facilitator(
    placement, team, facilitator, preceptor
):
    template = Template("{% load mentoring_tags %}{% placement_team placement %}")
    html = template.render(Context({"placement": placement, "user": facilitator}))
    assert "Pat Preceptor" in html and "Primary preceptor" in html
    assert reverse("mentoring:team_edit", args=[placement.pk]) in html
    html = template.render(Context({"placement": placement, "user": preceptor}))
    assert reverse("mentoring:team_edit", args=[placement.pk]) not in html
    assert f"{LOG_URL}?placement={placement.pk}" in html


# --- Recognition -----------------------------------------------------------------------


def test_preceptor_statement_shows_hours(client, placement, team, student, settings):
    """Hours as h:mm with a total under each column, the organisation's name and a block
    for the preceptor's and a facilitator's signatures."""
    settings.ORGANISATION_NAME = "Rehab Health Services"
    pharmacist = team[1]
    for minutes in (95, 50):
        services.session_log(
            logged_by=pharmacist,
            site=placement.site,
            held_on=timezone.localdate(),
            duration_minutes=minutes,
            activity=Activity.SHADOWING,
            students=[student],
        )
    response = client_for(client, pharmacist).get(reverse("mentoring:recognition"))
    assert response.status_code == 200
    assert response.context["statement"]["minutes"] == 145
    page = response.content.decode()
    assert (
        '<td class="text-end" data-label="Hours (h:mm)">2:25</td>' in page
    )  # the nursing row: 95 + 50 min
    assert '<td class="text-end statement-sessions" data-label="Sessions">2</td>' in page
    assert '<td class="text-end statement-students" data-label="Students">1</td>' in page
    assert '<td class="text-end statement-hours" data-label="Hours (h:mm)">2:25</td>' in page
    assert "Rehab Health Services" in page
    assert "Signature and verification" in page
    for role in ("Preceptor", "Facilitator (verified by)"):
        assert f'<th scope="row">{role}</th>' in page
    assert "data-print" in page and "js/print.js" in page


def test_statement_leaves_out_the_mentors_own_profession(client, session, team):
    """The nurse's session with a nursing student is not interprofessional mentoring."""
    response = client_for(client, team[0]).get(reverse("mentoring:recognition"))
    statement = response.context["statement"]
    assert (statement["sessions"], statement["minutes"]) == (0, 0)
    page = response.content.decode()
    assert '<td class="text-end statement-hours" data-label="Hours (h:mm)">0:00</td>' in page
    assert "1 session, 1:00 h:mm with such students only" in page


def test_statement_queries_do_not_grow_with_sessions(
    client, placement, team, student, django_assert_max_num_queries
):
    pharmacist = team[1]
    client_for(client, pharmacist)
    url = reverse("mentoring:recognition")
    for count in (10, 200):
        MentoringSession.objects.all().delete()
        for _ in range(count):
            services.session_log(
                logged_by=pharmacist,
                site=placement.site,
                held_on=timezone.localdate(),
                duration_minutes=30,
                activity=Activity.SHADOWING,
                students=[student],
            )
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


def test_statement_bad_dates_give_messages(client, team, placement):
    client_for(client, team[0])
    url = reverse("mentoring:recognition")
    response = client.get(f"{url}?start=2025-05-01&end=2025-01-01")
    assert response.status_code == 200
    assert response.context["statement"] is None
    assert "before the start" in response.content.decode()
    assert client.get(f"{url}?start=abc&end=").status_code == 200


def test_student_cannot_open_a_statement(client, student):
    assert client_for(client, student.user).get(reverse("mentoring:recognition")).status_code == 403


# --- Home panel ------------------------------------------------------------------------


def test_preceptor_home_lists_students_with_last_session_and_log_link(
    client, session, placement, team
):
    page = client_for(client, team[0]).get(reverse("home")).content.decode()
    assert "Sam Student" in page
    assert f"{LOG_URL}?placement={placement.pk}" in page
    assert timezone.localdate().strftime("%Y") in page


def test_session_list_for_each_role(client, session, team, student, outsider):
    url = reverse("mentoring:session_list")
    assert "Sam Student" in client_for(client, team[0]).get(url).content.decode()
    client.force_login(student.user)
    assert client.get(url).status_code == 200
    client.force_login(outsider)
    assert "Sam Student" not in client.get(f"{url}?page=zz&site=q").content.decode()


def test_nobody_role_less_sees_nothing(client, session, student):
    nobody = UserFactory()
    client_for(client, nobody)
    assert client.get(reverse("mentoring:learning_record", args=[student.pk])).status_code == 404
    assert client.get(reverse("mentoring:session_detail", args=[session.pk])).status_code == 404


def test_an_empty_reflection_is_refused_with_a_message(client, session, student):
    SessionStudent.objects.filter(session=session).update(reflection="Kept as it was.")
    url = reverse("mentoring:session_reflect", args=[session.pk])
    for blank in ("", "   \n "):
        response = client_for(client, student.user).post(url, {"reflection": blank})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Write your reflection before saving it" in page
        assert "Reflection saved" not in page
        assert 'href="#id_reflection"' in page  # the error summary links to the field
    assert SessionStudent.objects.get(session=session).reflection == "Kept as it was."


def test_the_reflection_heading_and_text_appear_once(client, session, student):
    SessionStudent.objects.filter(session=session).update(reflection="OT explained seating.")
    client_for(client, student.user)
    page = client.get(reverse("mentoring:session_detail", args=[session.pk])).content.decode()
    assert page.count("Your reflection") == 1
    assert page.count("OT explained seating.") == 1
    assert '<label for="id_reflection">Your reflection</label>' in page


# --- No dead ends ------------------------------------------------------------------------


def test_record_links_only_to_sessions_the_viewer_may_open(
    client, placement, team, student, facilitator, site_b
):
    from mentoring.tests.factories import MentoringSessionFactory
    from placements.models import PlacementStatus
    from placements.tests.factories import PlacementFactory

    here = services.session_log(
        logged_by=team[0],
        site=placement.site,
        held_on=timezone.localdate(),
        duration_minutes=60,
        activity=Activity.SHADOWING,
        students=[student],
    )
    earlier = PlacementFactory(
        student=student,
        site=site_b,
        start_date=timezone.localdate() - datetime.timedelta(days=200),
        end_date=timezone.localdate() - datetime.timedelta(days=150),
        status=PlacementStatus.COMPLETED,
    )
    elsewhere = MentoringSessionFactory(placement=earlier, with_attendance=True)
    record = reverse("mentoring:learning_record", args=[student.pk])
    client.force_login(facilitator)
    assert client.get(reverse("mentoring:session_detail", args=[elsewhere.pk])).status_code == 404
    html = client.get(record).content.decode()
    assert reverse("mentoring:session_detail", args=[here.pk]) in html
    assert reverse("mentoring:session_detail", args=[elsewhere.pk]) not in html
    assert weekday_date(elsewhere.held_on) in html  # listed, without a link
    client.force_login(student.user)  # the student opens both
    html = client.get(record).content.decode()
    assert reverse("mentoring:session_detail", args=[elsewhere.pk]) in html
    assert client.get(reverse("mentoring:session_detail", args=[elsewhere.pk])).status_code == 200
