"""Views per role (403/404), POST writes, the calendar feed, the report and query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews import panels, services
from interviews.models import FollowUp, FollowUpStatus, InterviewRecord, Quote, Theme
from interviews.tests.factories import (
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ThemeFactory,
)
from ipcop.lib.formats import weekday_datetime
from mentoring.tests.factories import (
    MentoringSessionFactory,
    SessionProfessionalFactory,
    default_domains,
)
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.tests.factories import CommunityOfPracticeFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followup(site_a):
    return FollowUpFactory(
        placement=PlacementFactory(site=site_a), due_on=timezone.localdate() + timedelta(days=10)
    )


@pytest.fixture
def record(site_a):
    return InterviewRecordFactory(
        followup=FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True)
    )


def url(name, *args):
    from django.urls import reverse

    return reverse(f"interviews:{name}", args=args)


# --- Access ----------------------------------------------------------------------------


def test_facilitator_sees_followup_of_own_site(client_for, facilitator, followup):
    response = client_for(facilitator).get(url("followup_detail", followup.pk))
    assert response.status_code == 200
    assert str(followup.participant) in response.content.decode()


def test_outsider_gets_404_on_another_sites_followup(client_for, outsider, site_b, followup):
    assert client_for(outsider).get(url("followup_detail", followup.pk)).status_code == 404
    assert client_for(outsider).get(url("followup_schedule", followup.pk)).status_code == 404
    assert client_for(outsider).get(url("record_consent", followup.pk)).status_code == 404


def test_participant_sees_own_followup_but_not_the_record_or_schedule(client_for, record):
    participant = record.followup.participant
    c = client_for(participant)
    response = c.get(url("followup_detail", record.followup.pk))
    assert response.status_code == 200
    assert record.notes not in response.content.decode()
    assert c.get(url("record_interview", record.followup.pk)).status_code == 403
    assert c.get(url("quote_add", record.followup.pk)).status_code == 403
    assert c.get(url("followup_schedule", record.followup.pk)).status_code == 403


def test_interviewer_who_is_not_the_sites_facilitator_cannot_read_the_record(client_for, record):
    interviewer = record.followup.interviewer  # a facilitator, but of no site here
    c = client_for(interviewer)
    response = c.get(url("followup_detail", record.followup.pk))
    assert response.status_code == 200
    assert record.notes not in response.content.decode()
    assert c.get(url("record_interview", record.followup.pk)).status_code == 403


def test_site_facilitator_and_admin_read_the_record(client_for, facilitator, admin_user, record):
    for user in (facilitator, admin_user):
        response = client_for(user).get(url("followup_detail", record.followup.pk))
        assert record.notes in response.content.decode()


def test_preceptor_gets_403_on_codebook_report_and_calendar(client_for, preceptor):
    c = client_for(preceptor)
    for name in ("theme_list", "report", "report_csv", "calendar_feed_manage"):
        assert c.get(url(name)).status_code == 403, name


def test_anonymous_is_sent_to_login(client, followup):
    response = client.get(url("followup_list"))
    assert response.status_code == 302 and "/login" in response["Location"]


# --- Writes ----------------------------------------------------------------------------


def test_facilitator_schedules_with_a_form(
    client_for, facilitator, followup, mailoutbox, django_capture_on_commit_callbacks
):
    when = timezone.localtime() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(facilitator).post(
            url("followup_schedule", followup.pk),
            {
                "interviewer": facilitator.pk,
                "scheduled_at": when.strftime("%Y-%m-%dT%H:%M"),
                "mode": "video",
                "location": "https://meet.example/x",
            },
        )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.SCHEDULED
    assert len(mailoutbox) == 1 and mailoutbox[0].attachments


def test_schedule_form_errors_are_shown_and_nothing_saved(client_for, facilitator, followup):
    response = client_for(facilitator).post(
        url("followup_schedule", followup.pk),
        {"interviewer": facilitator.pk, "scheduled_at": "yesterday", "mode": "in_person"},
    )
    assert response.status_code == 200
    assert "Enter a valid date/time" in response.content.decode()
    response = client_for(facilitator).post(
        url("followup_schedule", followup.pk),
        {"interviewer": facilitator.pk, "scheduled_at": "2001-01-01T10:00", "mode": "in_person"},
    )
    assert "in the future" in response.content.decode()
    assert "Give the place" in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.PENDING


def test_close_followup_as_declined(client_for, facilitator, followup):
    response = client_for(facilitator).post(
        url("followup_close", followup.pk), {"action": "decline"}
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.DECLINED
    assert not followup.reminders.unsent().exists()


def test_recording_redirects_to_consent_first_then_records(client_for, facilitator, followup):
    c = client_for(facilitator)
    response = c.get(url("record_interview", followup.pk))
    assert response.status_code == 302 and response["Location"] == url(
        "record_consent", followup.pk
    )
    assert c.post(url("record_consent", followup.pk), {"consent_given": "yes"}).status_code == 302
    theme = Theme.objects.active().first()
    response = c.post(
        url("record_interview", followup.pk),
        {
            "conducted_on": timezone.localdate().isoformat(),
            "notes": "Huddles daily.",
            "themes": [theme.pk],
        },
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.COMPLETED
    assert list(followup.record.themes.all()) == [theme]
    response = c.post(
        url("quote_add", followup.pk),
        {"text": "We talk more.", "speaker_role": "Nurse preceptor", "may_publish": "on"},
    )
    assert response.status_code == 302
    assert Quote.objects.get().may_publish is True


def test_a_facilitator_reads_the_codebook_but_cannot_change_it(client_for, facilitator):
    """The codebook codes every site's interviews: a facilitator renaming or merging a
    theme changed other sites' coding (the review's finding), so admins change it."""
    c = client_for(facilitator)
    theme = ThemeFactory(name="Shared charting")
    page = c.get(url("theme_list"))
    assert page.status_code == 200 and "Shared charting" in page.content.decode()
    assert "Add theme" not in page.content.decode()
    assert c.post(url("theme_list"), {"name": "New"}).status_code == 403
    assert c.post(url("theme_rename", theme.pk), {"name": "Renamed"}).status_code == 403
    assert c.post(url("theme_merge", theme.pk), {"target": ThemeFactory().pk}).status_code == 403
    theme.refresh_from_db()
    assert theme.name == "Shared charting" and theme.merged_into is None


def test_codebook_add_rename_merge(client_for, admin_user):
    c = client_for(admin_user)
    assert c.post(url("theme_list"), {"name": "Shared charting"}).status_code == 302
    theme = Theme.objects.get(name="Shared charting")
    assert c.post(url("theme_list"), {"name": "shared charting"}).status_code == 200  # duplicate
    assert (
        c.post(url("theme_rename", theme.pk), {"name": "Shared documentation"}).status_code == 302
    )
    target = ThemeFactory()
    record = InterviewRecordFactory(themes=[theme])
    assert c.post(url("theme_merge", theme.pk), {"target": target.pk}).status_code == 302
    assert list(record.themes.all()) == [target]
    assert c.get(url("theme_merge", theme.pk)).status_code == 404  # merged themes are history


# --- The private calendar feed ---------------------------------------------------------


def test_calendar_feed_lists_my_interviews_without_login_and_stops_when_revoked(
    client_for, client, facilitator, followup
):
    services.followup_schedule(
        followup=followup,
        interviewer=facilitator,
        scheduled_at=timezone.now() + timedelta(days=2),
        mode="phone",
    )
    other = FollowUpFactory(scheduled=True, scheduled_at=timezone.now() + timedelta(days=3))
    response = client_for(facilitator).post(url("calendar_feed_manage"), {"action": "create"})
    feed_url = response.context["feed_url"]
    client.logout()
    response = client.get(feed_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    uids = {str(e["UID"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert uids == {str(followup.calendar_uid)}
    assert str(other.calendar_uid) not in uids
    assert client.get(url("calendar_feed", "not-the-token")).status_code == 404
    client_for(facilitator).post(url("calendar_feed_manage"), {"action": "revoke"})
    client.logout()
    assert client.get(feed_url).status_code == 404


def test_a_calendar_feed_ends_with_its_owners_role(client_for, client, facilitator, followup):
    """The review's finding: a feed kept serving interview details after its owner lost
    the role that made it."""
    services.followup_schedule(
        followup=followup,
        interviewer=facilitator,
        scheduled_at=timezone.now() + timedelta(days=2),
        mode="phone",
    )
    response = client_for(facilitator).post(url("calendar_feed_manage"), {"action": "create"})
    feed_url = response.context["feed_url"]
    client.logout()
    assert client.get(feed_url).status_code == 200
    type(facilitator).objects.filter(pk=facilitator.pk).update(is_facilitator=False)
    assert client.get(feed_url).status_code == 404
    type(facilitator).objects.filter(pk=facilitator.pk).update(is_facilitator=True)
    assert client.get(feed_url).status_code == 200  # the role back, the same feed again


# --- Lists, report and their query counts ----------------------------------------------


def test_list_filters_and_counts(client_for, facilitator, site_a, site_b):
    today = timezone.localdate()
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today + timedelta(days=5))
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today - timedelta(days=5))
    FollowUpFactory(placement=PlacementFactory(site=site_b), due_on=today - timedelta(days=5))
    c = client_for(facilitator)
    response = c.get(url("followup_list"), {"due": "overdue"})
    assert response.context["counts"]["overdue"] == 1
    assert response.context["counts"]["next30"] == 1
    assert len(response.context["page"].object_list) == 1
    # Bad parameters are ignored, not a 500.
    for params in ({"site": "xyz"}, {"page": "abc"}, {"status": "nope"}, {"site": site_b.pk}):
        assert c.get(url("followup_list"), params).status_code == 200


def test_list_pages_by_keyset_in_due_date_order(client_for, facilitator, site_a, monkeypatch):
    from interviews import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    make_followups(site_a, 7)
    c = client_for(facilitator)
    seen = []
    response = c.get(url("followup_list"))
    while True:
        page = response.context["page"]
        seen += [row["pk"] for row in page]
        if not page.has_next:
            break
        response = c.get(url("followup_list") + "?" + page.next_query)
    expected = list(FollowUp.objects.order_by("due_on", "id").values_list("pk", flat=True))
    assert seen == expected
    assert page.number == 3
    assert response.context["page"].count == 7
    # Back one page from the last.
    back_page = c.get(url("followup_list") + "?" + page.previous_query)
    back = back_page.context["page"]
    assert [row["pk"] for row in back] == expected[3:6]
    assert f'href="{url("followup_detail", expected[3])}"' in back_page.content.decode()


def test_list_shows_the_site_of_an_interview_at_a_site_not_otherwise_visible(client_for, site_b):
    interviewer = UserFactory(facilitator=True)
    followup = FollowUpFactory(placement=PlacementFactory(site=site_b), scheduled=True)
    FollowUp.objects.filter(pk=followup.pk).update(interviewer=interviewer)
    response = client_for(interviewer).get(url("followup_list"))
    assert [row["site"] for row in response.context["page"]] == ["Site B"]


def make_followups(site, n):
    today = timezone.localdate()
    placements = [PlacementFactory(site=site) for _ in range(n)]
    FollowUp.objects.bulk_create(
        FollowUp(
            placement=p,
            participant_id=p.student.user_id,
            site=site,
            due_on=today + timedelta(days=i % 60 - 20),
        )
        for i, p in enumerate(placements)
    )


def populate_report(site, n):
    make_followups(site, n)
    theme = Theme.objects.active().first()
    for i in range(min(n, 10)):
        record = InterviewRecordFactory(
            followup=FollowUpFactory(
                placement=PlacementFactory(site=site),
                completed=True,
                due_on=timezone.localdate() - timedelta(days=i + 1),
            ),
            themes=[theme],
        )
        QuoteFactory(record=record, may_publish=bool(i % 2), theme=theme)
    cop = CommunityOfPracticeFactory(site=site)
    InitiativeFactory(community=cop, implemented=True, title="Joint meetings of all professionals")


@pytest.mark.parametrize("rows", [10, 200])
def test_list_query_count_is_constant(
    client_for, facilitator, site_a, rows, django_assert_max_num_queries
):
    make_followups(site_a, rows)
    c = client_for(facilitator)
    # Session, user, site choices, the tab counts (kept counts, due windows, those
    # elsewhere), the page, and the session's save (an UPDATE in a savepoint): the tab
    # counts give the list's size.
    with django_assert_max_num_queries(10):
        response = c.get(url("followup_list"))
    assert response.status_code == 200


def test_list_caption_counts_what_the_filters_keep(client_for, facilitator, site_a):
    today = timezone.localdate()
    for days in (-40, -3, 5, 20, 60, 90):
        FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today + timedelta(days))
    FollowUpFactory(
        placement=PlacementFactory(site=site_a), scheduled=True, due_on=today - timedelta(2)
    )
    FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True, due_on=today)
    c = client_for(facilitator)
    expected = {
        "": 8,
        "?status=pending": 6,
        "?status=scheduled": 1,
        "?due=overdue": 3,
        "?due=next30": 2,
        "?status=pending&due=overdue": 2,  # both filters: counted by the database
        "?status=completed&due=next30": 0,
    }
    for query, n in expected.items():
        response = c.get(url("followup_list") + query)
        assert response.context["page"].count == n, query
        assert len(response.context["page"].object_list) == n, query


@pytest.mark.parametrize("rows", [10, 200])
def test_home_panel_query_count_is_constant(
    facilitator, site_a, rows, django_assert_max_num_queries
):
    make_followups(site_a, rows)
    # The kept counts per status and the open follow-ups' due windows.
    with django_assert_max_num_queries(2):
        html = render_to_string(
            "interviews/panels/facilitator.html",
            {"ctx": panels.facilitator(facilitator), "panel_id": 2},
        )
    assert "due in the next 30 days" in html and 'id="panel-2"' in html


@pytest.mark.parametrize("rows", [10, 200])
def test_report_query_count_is_constant(
    client_for, facilitator, site_a, rows, django_assert_max_num_queries
):
    populate_report(site_a, rows)
    c = client_for(facilitator)
    # Session, user, the person's sites, communities, initiatives and their examples,
    # placements, exposure (students, professions, domains), follow-ups, themes, quotes and
    # the session's save (an UPDATE in a savepoint).
    with django_assert_max_num_queries(15):
        response = c.get(url("report"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Joint meetings of all professionals" in page
    assert "Communities implemented initiatives such as" in page


@pytest.mark.parametrize("rows", [10, 200])
def test_detail_query_count_is_constant(
    client_for, facilitator, site_a, rows, django_assert_max_num_queries
):
    record = InterviewRecordFactory(
        followup=FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True)
    )
    for _ in range(rows // 10):
        QuoteFactory(record=record)
    c = client_for(facilitator)
    # 12: includes the one INSERT of the audit events (follow-up and record viewed).
    with django_assert_max_num_queries(12):
        response = c.get(url("followup_detail", record.followup.pk))
    assert response.status_code == 200


def test_report_shows_only_publishable_quotes_and_own_sites(
    client_for, facilitator, site_a, site_b
):
    populate_report(site_a, 4)
    hidden = QuoteFactory(
        record=InterviewRecordFactory(
            followup=FollowUpFactory(
                placement=PlacementFactory(site=site_b),
                completed=True,
                due_on=timezone.localdate() - timedelta(days=3),
            )
        ),
        may_publish=True,
        text="Another site's words",
    )
    response = client_for(facilitator).get(url("report"))
    report = response.context["report"]
    publishable = Quote.objects.filter(may_publish=True, record__followup__site=site_a)
    assert len(report.quotes) == publishable.count() > 0
    assert hidden.text not in response.content.decode()
    assert report.site_names == ["Site A"]
    # Another facilitator's site as a parameter is refused next to the field.
    response = client_for(facilitator).get(url("report"), {"site": site_b.pk})
    assert response.context["report"] is None and "valid choice" in response.content.decode()


def test_report_counts_professions_met_and_domains_in_sql(client_for, facilitator, site_a):
    nursing, pharmacy = ProfessionFactory(code="nursing"), ProfessionFactory(code="pharmacy")
    student = StudentFactory(program__profession=nursing)
    placement = PlacementFactory(
        site=site_a,
        student=student,
        active=True,
        start_date=timezone.localdate() - timedelta(days=10),
    )
    domains = list(default_domains())[:2]
    session = MentoringSessionFactory(placement=placement, with_attendance=True, domains=domains)
    SessionProfessionalFactory(session=session, person=UserFactory(profession=pharmacy))
    SessionProfessionalFactory(session=session, person=UserFactory(profession=nursing))
    report = client_for(facilitator).get(url("report")).context["report"]
    assert report.exposure["students"] == 1
    met = {row["profession"] for row in report.professions_met}
    assert "Pharmacy" in met and "Nursing" not in met  # the student's own profession is not IP
    assert {row["domain"] for row in report.domains_covered} == {d.name for d in domains}


def test_report_csv_export(client_for, facilitator, site_a):
    populate_report(site_a, 3)
    response = client_for(facilitator).get(url("report_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "period_start", "period_end", "section", "measure",
        "dimension", "dimension_value", "dimension_2", "dimension_2_value", "value",
    ]  # fmt: skip
    assert all(len(row) == 9 for row in rows)
    sections = {row[2] for row in rows[1:]}
    assert {"follow_ups", "interviews", "initiatives", "communities"} <= sections
    assert client_for(facilitator).get(url("report_csv"), {"start": "abc"}).status_code == 400


def test_report_bad_range_is_a_form_error(client_for, facilitator, site_a):
    response = client_for(facilitator).get(
        url("report"), {"start": "2025-05-01", "end": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "must be after its start" in response.content.decode()


def test_record_count_unaffected_by_views(record):
    assert InterviewRecord.objects.count() == 1


def test_every_form_page_renders_for_the_sites_facilitator(client_for, facilitator, record):
    theme = Theme.objects.active().first()
    c = client_for(facilitator)
    followup = FollowUpFactory(placement=PlacementFactory(site=record.followup.site))
    pages = [
        url("followup_schedule", followup.pk),
        url("record_consent", followup.pk),
        url("record_interview", record.followup.pk),
        url("quote_add", record.followup.pk),
        url("theme_list"),
        url("calendar_feed_manage"),
        url("followup_list"),
        url("report"),
    ]
    for page in pages:
        response = c.get(page)
        assert response.status_code == 200, page
        assert response.content.decode().count("<h1") == 1, page
    # The codebook's own forms are the admins' (the codebook is every site's).
    for page in (url("theme_rename", theme.pk), url("theme_merge", theme.pk)):
        assert c.get(page).status_code == 403, page


def test_report_rejects_a_site_not_among_the_persons_with_the_other_errors(
    client_for, facilitator, site_a, site_b
):
    """The person's sites come with the report; a site that is not one of them is a form
    error (as a choice field gives it), beside a bad date's, and no report is shown."""
    response = client_for(facilitator).get(url("report"), {"site": site_b.pk, "start": "abc"})
    page = response.content.decode()
    assert response.context["report"] is None
    assert f"Select a valid choice. {site_b.pk} is not one of the available choices." in page
    assert "Enter a valid date." in page
    assert 'class="form-select is-invalid"' in page
    assert f'<option value="{site_a.pk}">Site A</option>' in page
    for bad in ("abc", "99999999"):
        response = client_for(facilitator).get(url("report"), {"site": bad})
        assert response.context["report"] is None
        assert "is not one of the available choices" in response.content.decode()
    response = client_for(facilitator).get(url("report"), {"site": site_a.pk})
    assert response.context["report"].site_names == ["Site A"]
    assert f'<option value="{site_a.pk}" selected>Site A</option>' in response.content.decode()


# --- The coordinator's list and page ---------------------------------------------------


def test_list_shows_open_followups_first_overdue_at_the_top(client_for, facilitator, site_a):
    today = timezone.localdate()
    done = FollowUpFactory(
        placement=PlacementFactory(site=site_a), completed=True, due_on=today - timedelta(200)
    )
    later = FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today + timedelta(40))
    overdue = FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today - timedelta(3))
    response = client_for(facilitator).get(url("followup_list"))
    rows = response.context["page"].object_list
    assert [row["pk"] for row in rows] == [overdue.pk, later.pk, done.pk]
    page = response.content.decode()
    # Overdue said in words, not by colour alone; statuses as badges.
    assert page.count(">Overdue</span>") == 1
    assert '<span class="badge text-bg-success">Completed</span>' in page


def test_list_pages_open_first_by_keyset_forwards_and_back(
    client_for, facilitator, site_a, monkeypatch
):
    from interviews import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    make_followups(site_a, 8)
    FollowUp.objects.filter(pk__in=FollowUp.objects.order_by("pk").values("pk")[:3]).update(
        status=FollowUpStatus.DECLINED
    )
    expected = [
        pk
        for _, _, pk in sorted(
            (status not in ("pending", "scheduled"), due_on, pk)
            for pk, status, due_on in FollowUp.objects.values_list("pk", "status", "due_on")
        )
    ]
    c = client_for(facilitator)
    seen, pages, response = [], [], c.get(url("followup_list"))
    while True:
        page = response.context["page"]
        pages.append(page)
        seen += [row["pk"] for row in page]
        if not page.has_next:
            break
        response = c.get(url("followup_list") + "?" + page.next_query)
    assert seen == expected
    # Back from each page, whether its first row is open or closed.
    for number, page in enumerate(pages[1:], start=1):
        back = c.get(url("followup_list") + "?" + page.previous_query).context["page"]
        assert [row["pk"] for row in back] == expected[(number - 1) * 3 : number * 3]


def test_list_due_this_week_tab(client_for, facilitator, site_a):
    from interviews.selectors.followups import week_of

    today = timezone.localdate()
    _, sunday = week_of(today)
    this_week = FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=sunday)
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=sunday + timedelta(1))
    FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True, due_on=today)
    # Due yesterday is overdue (its own tab), not due this week.
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=today - timedelta(1))
    response = client_for(facilitator).get(url("followup_list"), {"due": "week"})
    assert [row["pk"] for row in response.context["page"]] == [this_week.pk]
    assert response.context["counts"]["week"] == 1
    assert "Due this week" in response.content.decode()


def test_detail_shows_the_participants_contact_details(client_for, facilitator, followup):
    participant = followup.participant
    participant.phone = "403 555 0100"
    participant.save()
    page = client_for(facilitator).get(url("followup_detail", followup.pk)).content.decode()
    assert f'href="mailto:{participant.email}"' in page
    assert '<a href="tel:+14035550100">403 555 0100</a>' in page  # tap to call


def test_schedule_form_offers_the_person_scheduling_as_interviewer(
    client_for, facilitator, followup
):
    form = client_for(facilitator).get(url("followup_schedule", followup.pk)).context["form"]
    assert form["interviewer"].value() == facilitator.pk


def test_recorded_interview_shows_one_date_the_recorded_one(client_for, facilitator, record):
    followup = record.followup
    record.conducted_on = followup.scheduled_at.date() + timedelta(days=2)
    record.save()
    page = client_for(facilitator).get(url("followup_detail", followup.pk)).content.decode()
    assert record.conducted_on.strftime("%-d %b %Y") in page
    assert "Interviewed on" in page and page.count("Interviewed on") == 1
    # The planned day and time are gone.
    assert '<dt class="col-sm-3">Interview</dt>' not in page
    assert weekday_datetime(followup.scheduled_at) not in page


def test_record_form_date_defaults_to_today(client_for, facilitator, site_a):
    followup = FollowUpFactory(placement=PlacementFactory(site=site_a), scheduled=True)
    InterviewRecordFactory(followup=followup, consent_given=True, conducted_on=None)
    response = client_for(facilitator).get(url("record_interview", followup.pk))
    assert response.context["form"]["conducted_on"].value() == timezone.localdate()
