"""The outcomes report, section by section, on small data sets that reach the edges of its
rules: the period's ends (and the local day boundary), cancelled rows, own versus other
professions, domains of one name in two frameworks, consent, publishable quotes; and
whose sites it may cover."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import FollowUpStatus, Theme
from interviews.selectors import report as selectors
from interviews.selectors.report import outcomes_report, outcomes_report_rows, report_site_choices
from interviews.tests.factories import (
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ThemeFactory,
)
from ipcop import permissions
from mentoring.tests.factories import (
    CompetencyDomainFactory,
    CompetencyFrameworkFactory,
    MentoringSessionFactory,
    SessionProfessionalFactory,
    SessionStudentFactory,
    default_domains,
)
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.models import InitiativeStatus, InitiativeTheme
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MembershipFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 5, 31)
IN_PERIOD = {"start_date": START + timedelta(10), "end_date": START + timedelta(50)}


def local(day: date, at: time = time(12)) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def report_of(*sites, start=START, end=END):
    return outcomes_report(sites={s.pk: s.name for s in sites}, start=start, end=end)


# --- Communities and initiatives -------------------------------------------------------


@pytest.fixture
def communities(site_a, site_b):
    before = START - timedelta(100)
    cops = {
        "beta": CommunityOfPracticeFactory(site=site_a, name="Beta", started_on=START),
        "alpha": CommunityOfPracticeFactory(
            site=site_a, name="Alpha", started_on=before, status="closed"
        ),
        "late": CommunityOfPracticeFactory(site=site_a, name="Late", started_on=END + timedelta(1)),
        "gamma": CommunityOfPracticeFactory(site=site_b, name="Gamma", started_on=END),
    }
    for key, members in (("beta", 3), ("alpha", 1), ("gamma", 2), ("late", 1)):
        for _ in range(members):
            MembershipFactory(community=cops[key])
    MembershipFactory(community=cops["beta"], left_on=START)  # left: still counted
    return cops


def initiative(cop, title, theme, status, *, created, ended=None, updated=None):
    made = InitiativeFactory(community=cop, title=title, theme=theme, status=status, ended_on=ended)
    type(made).objects.filter(pk=made.pk).update(created_at=created, updated_at=updated or created)


def test_communities_started_by_the_end_in_site_and_name_order_with_all_their_members(
    communities, site_a, site_b
):
    initiative(
        communities["beta"], "Old", "other", "dropped", created=local(START - timedelta(300))
    )
    report = report_of(site_a, site_b)
    assert [tuple(row) for row in report.communities] == [
        ("Alpha", "Site A", "Closed", 1, 0),
        ("Beta", "Site A", "Active", 4, 1),
        ("Gamma", "Site B", "Active", 2, 0),
    ]
    assert report.community_count == 3


def test_the_community_count_goes_beyond_the_communities_listed(
    communities, site_a, site_b, monkeypatch
):
    monkeypatch.setattr(selectors, "COMMUNITIES_SHOWN", 2)
    report = report_of(site_a, site_b)
    assert [row.name for row in report.communities] == ["Alpha", "Beta"]
    assert report.community_count == 3


def test_initiatives_alive_in_the_period_by_theme_and_status_with_the_latest_implemented(
    communities, site_a, site_b
):
    beta, alpha, gamma = communities["beta"], communities["alpha"], communities["gamma"]
    themes = InitiativeTheme
    initiative(beta, "Huddles", themes.COMMUNICATION, "idea", created=local(START))
    initiative(
        beta,
        "Whiteboard",
        themes.COMMUNICATION,
        "implemented",
        created=local(START),
        updated=local(END),
    )
    initiative(
        beta,
        "Checklist",
        themes.DISCHARGE,
        "sustained",
        created=local(START),
        updated=local(END, time(9)),
    )
    initiative(
        alpha, "Gone", themes.DISCHARGE, "dropped", created=local(START), ended=START - timedelta(1)
    )
    initiative(alpha, "Roles", themes.ROLES_SCOPE, "planned", created=local(START), ended=START)
    # The local day boundary: the last second of the period's last day counts, midnight not.
    last_second = local(END + timedelta(1), time(0)) - timedelta(seconds=1)
    initiative(
        alpha,
        "Late bloomer",
        themes.OTHER,
        "implemented",
        created=last_second,
        updated=local(END, time(8)),
    )
    initiative(
        beta, "Too late", themes.OTHER, "in_progress", created=local(END + timedelta(1), time(0))
    )
    initiative(
        gamma,
        "Elsewhere",
        themes.PATIENT_CENTRED,
        "implemented",
        created=local(START),
        updated=local(END, time(10)),
    )
    report = report_of(site_a)
    by_theme = {entry["theme"]: entry for entry in report.initiatives_by_theme}
    assert by_theme["communication"]["by_status"] == {
        **dict.fromkeys(InitiativeStatus.values, 0),
        "idea": 1,
        "implemented": 1,
    }
    assert by_theme["discharge"]["total"] == 1 and by_theme["roles_scope"]["total"] == 1
    assert by_theme["other"]["counts"] == [0, 0, 0, 1, 0, 0]
    assert by_theme["patient_centred"]["total"] == 0
    assert report.initiatives_by_theme[0]["theme"] == "communication"  # the most first
    assert report.initiative_total == 5
    assert report.implemented_examples == ["Whiteboard", "Checklist", "Late bloomer"]
    assert report_of(site_a, site_b).implemented_examples[:2] == ["Whiteboard", "Elsewhere"]


# --- Placements and exposure -------------------------------------------------------------


def test_placements_over_the_period_by_model_and_students_without_cancelled_ones(site_a, site_b):
    twice = StudentFactory()
    PlacementFactory(site=site_a, student=twice, **IN_PERIOD)
    PlacementFactory(site=site_a, student=twice, traditional=True, **IN_PERIOD)
    PlacementFactory(
        site=site_a, traditional=True, start_date=START - timedelta(20), end_date=START
    )
    PlacementFactory(site=site_a, cancelled=True, **IN_PERIOD)
    PlacementFactory(site=site_a, start_date=START - timedelta(60), end_date=START - timedelta(1))
    PlacementFactory(site=site_a, start_date=END + timedelta(1), end_date=END + timedelta(30))
    PlacementFactory(site=site_b, **IN_PERIOD)
    rows = report_of(site_a).placements_by_model
    assert rows == [
        {"model": "ip_mentoring", "label": "IP mentoring", "placements": 1, "students": 1},
        {
            "model": "traditional",
            "label": "Traditional preceptorship",
            "placements": 2,
            "students": 2,
        },
    ]
    assert [row["students"] for row in report_of(site_a, site_b).placements_by_model] == [2, 2]


@pytest.fixture
def mentoring(site_a, site_b):
    """Nursing students placed at site A during the period meet pharmacy, social work and
    nursing (their own) professionals, and practise domains of one name in two
    frameworks; a pharmacy student meets nursing; students placed elsewhere or at other
    times, and a cancelled placement, are not in site A's report."""
    nursing = ProfessionFactory(code="nursing", name="Nursing")
    pharmacy = ProfessionFactory(code="pharmacy", name="Pharmacy")
    social = ProfessionFactory(code="social-work", name="Social work")
    domains = list(default_domains()[:3])
    twin_framework = CompetencyFrameworkFactory(name=domains[0].framework.name)
    twin = CompetencyDomainFactory(name=domains[0].name, framework=twin_framework)
    other_framework = CompetencyDomainFactory(name=domains[1].name)

    def session(placement, held_on, professions, session_domains=(), students=None):
        made = MentoringSessionFactory(
            placement=placement, held_on=held_on, domains=list(session_domains)
        )
        for student, on in students or [(placement.student, placement)]:
            SessionStudentFactory(session=made, student=student, placement=on)
        for profession in professions:
            SessionProfessionalFactory(session=made, person=UserFactory(profession=profession))

    def placed(profession, site=site_a, **dates):
        student = StudentFactory(program__profession=profession)
        return PlacementFactory(site=site, student=student, **(dates or IN_PERIOD))

    ann, bea, cam = placed(nursing), placed(nursing), placed(nursing)
    pia = placed(pharmacy)
    session(ann, START + timedelta(12), [pharmacy, nursing], domains[:2])
    session(ann, START + timedelta(16), [pharmacy, social], [twin, other_framework])
    session(
        bea,
        START + timedelta(12),
        [pharmacy],
        [domains[0]],
        students=[(bea.student, bea), (pia.student, pia)],
    )
    session(cam, START + timedelta(14), [], [domains[2]])  # no professional present
    session(pia, START + timedelta(20), [nursing])
    placed(nursing)  # no session: not in the exposure
    gone = placed(nursing, start_date=START - timedelta(90), end_date=START - timedelta(40))
    session(gone, START - timedelta(50), [pharmacy, social], domains)
    cancelled = placed(nursing)
    cancelled.status = "cancelled"
    cancelled.save()
    session(cancelled, START + timedelta(12), [social], domains)
    away = placed(nursing, site=site_b)
    session(away, START + timedelta(12), [social], domains)
    return {"domains": domains, "other_framework": other_framework}


def test_exposure_of_the_students_placed_in_the_period_from_the_counts_mentoring_keeps(
    mentoring, site_a
):
    report = report_of(site_a)
    # Ann, Bea, Cam (nursing) and Pia (pharmacy) took part in sessions on their placements.
    assert report.exposure["students"] == 4
    # Other professions met: Ann pharmacy and social work, Bea pharmacy, Pia nursing.
    assert report.professions_met == [
        {"profession": "Pharmacy", "students": 2},
        {"profession": "Nursing", "students": 1},
        {"profession": "Social work", "students": 1},
    ]
    assert report.exposure["avg_professions"] == 4 / 4
    # Cam met no other profession, Bea and Pia one, Ann two.
    assert report.professions_met_per_student == [
        ("0", 1), ("1", 2), ("2", 1), ("3", 0), ("4", 0), ("5 or more", 0),
    ]  # fmt: skip
    first, second, third = mentoring["domains"]
    framework = first.framework.name
    # Most students first, then by name and framework.
    assert report.domains_covered == [
        # Ann (two sessions, one in each same-named framework), Bea and Pia (one session).
        {"domain": first.name, "framework": framework, "students": 3, "sessions": 4},
        {"domain": second.name, "framework": framework, "students": 1, "sessions": 1},
        {
            "domain": second.name,
            "framework": mentoring["other_framework"].framework.name,
            "students": 1,
            "sessions": 1,
        },
        {"domain": third.name, "framework": framework, "students": 1, "sessions": 1},
    ]


def test_exposure_over_no_session_is_empty(site_a):
    report = report_of(site_a)
    assert report.exposure == {"students": 0, "avg_professions": None}
    assert report.professions_met == report.domains_covered == []


# --- Follow-ups, themes and quotes -------------------------------------------------------


def test_follow_ups_due_in_the_period_by_status_without_cancelled_ones(site_a, site_b):
    for site, status, due in (
        (site_a, FollowUpStatus.PENDING, START),
        (site_a, FollowUpStatus.SCHEDULED, END),
        (site_a, FollowUpStatus.COMPLETED, START + timedelta(9)),
        (site_a, FollowUpStatus.DECLINED, START + timedelta(9)),
        (site_a, FollowUpStatus.MISSED, START + timedelta(9)),
        (site_a, FollowUpStatus.CANCELLED, START + timedelta(9)),
        (site_a, FollowUpStatus.PENDING, END + timedelta(1)),
        (site_a, FollowUpStatus.PENDING, START - timedelta(1)),
        (site_b, FollowUpStatus.DECLINED, START + timedelta(9)),
    ):
        trait = {"scheduled": True} if status == FollowUpStatus.SCHEDULED else {}
        FollowUpFactory(placement=PlacementFactory(site=site), status=status, due_on=due, **trait)
    report = report_of(site_a)
    assert report.followups == {"due": 5, "completed": 1, "declined": 1, "missed": 1, "open": 2}
    assert report.completion_rate == 20
    # By month of the due date, the months between with none.
    by_month = [
        (row["month"], row["due"], row["completed"], row["declined"], row["missed"],
         row["open"], row["rate"])
        for row in report.followups_by_month
    ]  # fmt: skip
    assert by_month == [
        (date(2025, 1, 1), 4, 1, 1, 1, 1, 25),
        (date(2025, 2, 1), 0, 0, 0, 0, 0, None),
        (date(2025, 3, 1), 0, 0, 0, 0, 0, None),
        (date(2025, 4, 1), 0, 0, 0, 0, 0, None),
        (date(2025, 5, 1), 1, 0, 0, 0, 1, 0),
    ]


def test_themes_and_publishable_quotes_of_the_consented_interviews_in_the_period(site_a, site_b):
    codebook = [*Theme.objects.active()[:3], ThemeFactory(name="Aardvark")]
    for i, (site, conducted_on, consent, themes) in enumerate(
        (
            (site_a, START + timedelta(20), True, codebook[:2]),
            (site_a, START + timedelta(30), True, codebook[1:4]),
            (site_a, START + timedelta(30), True, [codebook[3]]),
            (site_a, START + timedelta(40), False, codebook[:1]),  # no consent
            (site_a, START - timedelta(1), True, codebook[:1]),  # before the period
            (site_b, START + timedelta(20), True, codebook[:1]),  # another site
        )
    ):
        record = InterviewRecordFactory(
            followup=FollowUpFactory(
                placement=PlacementFactory(site=site), completed=True, due_on=conducted_on
            ),
            consent_given=consent,
            themes=themes,
        )
        QuoteFactory(record=record, may_publish=True, text=f"Said {i}", theme=themes[0])
        QuoteFactory(record=record, may_publish=True, text=f"Unthemed {i}", speaker_role="RN")
        QuoteFactory(record=record, may_publish=False, text=f"Private {i}")
    report = report_of(site_a)
    expected = [
        (codebook[1].name, 2),
        ("Aardvark", 2),
        (codebook[0].name, 1),
        (codebook[2].name, 1),
    ]
    # Most interviews first, then by name.
    assert [tuple(theme) for theme in report.themes] == sorted(
        expected, key=lambda t: (-t[1], t[0])
    )
    # The latest interviews first, then in the order the quotes were taken.
    assert [(q.text, q.theme) for q in report.quotes] == [
        ("Said 1", codebook[1].name),
        ("Unthemed 1", ""),
        ("Said 2", "Aardvark"),
        ("Unthemed 2", ""),
        ("Said 0", codebook[0].name),
        ("Unthemed 0", ""),
    ]


# --- Scope, summary and export -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["facilitator", "outsider", "admin_user", "preceptor"])
def test_the_report_covers_the_sites_the_person_facilitates(request, site_a, site_b, persona):
    user = request.getfixturevalue(persona)
    SiteFactory(name="Another site", facilitators=[user])
    expected = list(
        permissions.sites_facilitated_by(user).order_by("name", "pk").values_list("pk", "name")
    )
    assert report_site_choices(permissions.sites_facilitated_by(user)) == expected
    assert expected or persona == "preceptor"


def test_a_report_over_no_site_has_nothing_to_say(site_a, communities):
    report = outcomes_report(sites={}, start=START, end=END)
    assert report.communities == [] and report.placements_by_model == []
    assert report.initiative_total == 0 and len(report.initiatives_by_theme) == 6
    assert report.followups["due"] == 0 and report.completion_rate is None
    assert report.results_paragraphs() == ["No activity was recorded over this period."]


def test_summary_and_csv_say_what_the_sections_show(mentoring, communities, site_a):
    initiative(
        communities["beta"], "Whiteboard", "communication", "implemented", created=local(START)
    )
    FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True, due_on=START)
    report = report_of(site_a)
    assert report.results_paragraphs() == [
        "Participants at Site A worked together in 2 communities of practice; their 1 "
        "initiatives were mostly about communication. Communities implemented initiatives "
        "such as “Whiteboard”.",
        "4 students took part in mentoring sessions, meeting on average 1.0 other "
        "professions and practising 4 competency domains.",
        "Of 1 follow-up interviews due, 1 were completed (100%).",
    ]
    rows = outcomes_report_rows(report)
    assert rows[0] == selectors.REPORT_CSV_COLUMNS
    period = [START.isoformat(), END.isoformat()]
    assert [*period, "exposure", "students_in_sessions", "", "", "", "", 4] in rows
    assert [*period, "exposure", "students", "profession_met", "Pharmacy", "", "", 2] in rows
    assert [*period, "follow_ups", "completion_rate_percent", "", "", "", "", 100] in rows
    month = [*period, "follow_ups", "completed", "month", "2025-01-01", "", "", 1]
    assert month in rows
    theme_status = ["theme", "Communication", "status", "Implemented"]
    assert [*period, "initiatives", "initiatives", *theme_status, 1] in rows


def test_csv_is_tidy_one_typed_fact_a_row(mentoring, communities, site_a):
    """One row per fact: the same columns on every row, the period as ISO dates on each,
    text in the dimensions and a number in `value`, and no row twice."""
    FollowUpFactory(placement=PlacementFactory(site=site_a), completed=True, due_on=START)
    ThemeFactory()
    rows = outcomes_report_rows(report_of(site_a))
    header, facts = rows[0], rows[1:]
    assert len(facts) > 20
    for row in facts:
        assert len(row) == len(header)
        assert date.fromisoformat(row[0]) == START and date.fromisoformat(row[1]) == END
        assert all(isinstance(cell, str) for cell in row[2:8])
        assert isinstance(row[8], int | float) and not isinstance(row[8], bool)
        assert row[2] and row[3]
    keys = [tuple(row[2:8]) for row in facts]
    assert len(keys) == len(set(keys))
    months = [row[5] for row in facts if row[4] == "month"]
    assert months and all(date.fromisoformat(month).day == 1 for month in months)
