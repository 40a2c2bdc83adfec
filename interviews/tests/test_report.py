"""The outcomes report's SQL statements give exactly the numbers of the ORM querysets they
replaced (kept below as the reference), on a data set that reaches every edge of the
report's rules: periods, cancelled rows, own versus other professions, domains of the
same name in two frameworks, consent, publishable quotes, and the local day boundary."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews import selectors
from interviews.models import OPEN_FOLLOWUP_STATUSES, FollowUp, FollowUpStatus, Quote, Theme
from interviews.tests.factories import (
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ThemeFactory,
)
from ipcop import permissions
from mentoring.models import SessionStudent
from mentoring.tests.factories import (
    CompetencyDomainFactory,
    CompetencyFrameworkFactory,
    MentoringSessionFactory,
    SessionProfessionalFactory,
    SessionStudentFactory,
    default_domains,
)
from placements.models import Placement, PlacementModel, PlacementStatus
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.models import CommunityOfPractice, Initiative, InitiativeStatus, InitiativeTheme
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MembershipFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)
START, END = date(2025, 1, 1), date(2025, 5, 31)


def reference_report(site_ids, start, end, communities_shown=100) -> dict:
    """The report's numbers as the ORM querysets computed them before they became SQL."""
    communities = (
        CommunityOfPractice.objects.filter(site_id__in=site_ids, started_on__lte=end)
        .select_related("site")
        .annotate(
            initiative_count=Count("initiatives", distinct=True),
            all_member_count=Count("memberships", distinct=True),
        )
        .order_by("site__name", "name")
    )
    shown = list(communities[:communities_shown])
    initiatives = Initiative.objects.filter(
        community__site_id__in=site_ids, created_at__date__lte=end
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    by_theme = {
        value: {"label": label, "by_status": dict.fromkeys(InitiativeStatus.values, 0)}
        for value, label in InitiativeTheme.choices
    }
    for row in initiatives.values("theme", "status").annotate(n=Count("id")).order_by():
        by_theme[row["theme"]]["by_status"][row["status"]] = row["n"]
    labels = dict(PlacementModel.choices)
    attendance = SessionStudent.objects.filter(
        session__site_id__in=site_ids, session__held_on__gte=start, session__held_on__lte=end
    )
    other_profession = ~Q(
        session__professional_attendance__profession=F("student__program__profession")
    )
    per_student = attendance.values("student").annotate(
        professions=Count(
            "session__professional_attendance__profession", distinct=True, filter=other_profession
        )
    )
    in_period = Q(
        records__followup__site_id__in=site_ids,
        records__conducted_on__gte=start,
        records__conducted_on__lte=end,
        records__consent_given=True,
    )
    return {
        "communities": [
            (c.name, c.site.name, c.get_status_display(), c.all_member_count, c.initiative_count)
            for c in shown
        ],
        "community_count": communities.count(),
        "initiatives": {theme: entry["by_status"] for theme, entry in by_theme.items()},
        "initiative_total": initiatives.count(),
        "implemented_examples": list(
            initiatives.filter(
                status__in=[InitiativeStatus.IMPLEMENTED, InitiativeStatus.SUSTAINED]
            )
            .order_by("-updated_at")
            .values_list("title", flat=True)[:5]
        ),
        "placements_by_model": [
            {**row, "label": labels.get(row["model"], row["model"])}
            for row in Placement.objects.filter(site_id__in=site_ids)
            .overlapping(start, end)
            .exclude(status=PlacementStatus.CANCELLED)
            .values("model")
            .annotate(placements=Count("id"), students=Count("student", distinct=True))
            .order_by("model")
        ],
        "exposure": per_student.aggregate(
            students=Count("student"), avg_professions=Avg("professions")
        ),
        "professions_met": list(
            attendance.filter(session__professional_attendance__isnull=False)
            .values(profession=F("session__professional_attendance__profession__name"))
            .annotate(students=Count("student", distinct=True, filter=other_profession))
            .filter(students__gt=0)
            .order_by("-students", "profession")
        ),
        "domains_covered": list(
            attendance.filter(session__domains__isnull=False)
            .values(
                domain=F("session__domains__name"),
                framework=F("session__domains__framework__name"),
            )
            .annotate(
                students=Count("student", distinct=True),
                sessions=Count("session", distinct=True),
            )
            .order_by("-students", "domain", "framework")
        ),
        "followups": FollowUp.objects.filter(
            site_id__in=site_ids, due_on__gte=start, due_on__lte=end
        )
        .exclude(status=FollowUpStatus.CANCELLED)
        .aggregate(
            due=Count("due_on"),
            completed=Count("due_on", filter=Q(status=FollowUpStatus.COMPLETED)),
            declined=Count("due_on", filter=Q(status=FollowUpStatus.DECLINED)),
            missed=Count("due_on", filter=Q(status=FollowUpStatus.MISSED)),
            open=Count("due_on", filter=Q(status__in=OPEN_FOLLOWUP_STATUSES)),
        ),
        "themes": [
            (theme.name, theme.interviews)
            for theme in Theme.objects.annotate(
                interviews=Count("records", filter=in_period, distinct=True)
            )
            .filter(interviews__gt=0)
            .order_by("-interviews", "name")
        ],
        "quotes": [
            (quote.text, quote.speaker_role, quote.theme.name if quote.theme else "")
            for quote in Quote.objects.filter(
                may_publish=True,
                record__consent_given=True,
                record__followup__site_id__in=site_ids,
                record__conducted_on__gte=start,
                record__conducted_on__lte=end,
            )
            .select_related("theme")
            .order_by("-record__conducted_on", "id")[:50]
        ],
    }


def numbers(report: selectors.OutcomesReport) -> dict:
    return {
        "communities": [tuple(c) for c in report.communities],
        "community_count": report.community_count,
        "initiatives": {e["theme"]: e["by_status"] for e in report.initiatives_by_theme},
        "initiative_total": report.initiative_total,
        "implemented_examples": report.implemented_examples,
        "placements_by_model": report.placements_by_model,
        "exposure": report.exposure,
        "professions_met": report.professions_met,
        "domains_covered": report.domains_covered,
        "followups": report.followups,
        "themes": [tuple(t) for t in report.themes],
        "quotes": [tuple(q) for q in report.quotes],
    }


def local(day: date, at: time = time(12)) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


@pytest.fixture
def world(site_a, site_b):
    """Three sites' worth of rows on both sides of every rule of the report."""
    site_c = SiteFactory(name="Site C")
    nursing = ProfessionFactory(code="nursing", name="Nursing")
    pharmacy = ProfessionFactory(code="pharmacy", name="Pharmacy")
    social = ProfessionFactory(code="social-work", name="Social work")

    # Communities: one started after the period, one closed, members and initiatives.
    before = START - timedelta(100)
    cops = {
        "a1": CommunityOfPracticeFactory(site=site_a, name="Beta", started_on=START),
        "a2": CommunityOfPracticeFactory(
            site=site_a, name="Alpha", started_on=before, status="closed"
        ),
        "a3": CommunityOfPracticeFactory(site=site_a, name="Late", started_on=END + timedelta(1)),
        "b1": CommunityOfPracticeFactory(site=site_b, name="Gamma", started_on=before),
        "c1": CommunityOfPracticeFactory(site=site_c, name="Delta", started_on=END),
    }
    for key, members in (("a1", 3), ("a2", 1), ("b1", 2), ("c1", 1)):
        for _ in range(members):
            MembershipFactory(community=cops[key])
    MembershipFactory(community=cops["a1"], left_on=START)  # left: still counted

    def initiative(cop, theme, status, *, created, ended=None, updated=None):
        made = InitiativeFactory(community=cops[cop], theme=theme, status=status, ended_on=ended)
        Initiative.objects.filter(pk=made.pk).update(
            created_at=created, updated_at=updated or created
        )

    themes = InitiativeTheme
    initiative("a1", themes.COMMUNICATION, "idea", created=local(START))
    initiative("a1", themes.COMMUNICATION, "implemented", created=local(START), updated=local(END))
    initiative(
        "a1", themes.DISCHARGE, "sustained", created=local(START), updated=local(END, time(9))
    )
    initiative("a2", themes.DISCHARGE, "dropped", created=local(START), ended=START - timedelta(1))
    initiative("a2", themes.ROLES_SCOPE, "planned", created=local(START), ended=START)
    # The local day boundary: the last second of the period's last day counts, midnight not.
    last_day = local(END + timedelta(1), time(0)) - timedelta(seconds=1)
    initiative("a2", themes.OTHER, "implemented", created=last_day, updated=local(END, time(8)))
    initiative("a1", themes.OTHER, "in_progress", created=local(END + timedelta(1), time(0)))
    initiative(
        "b1",
        themes.PATIENT_CENTRED,
        "implemented",
        created=local(START),
        updated=local(END, time(7)),
    )
    initiative("c1", themes.ADMISSION_INTAKE, "idea", created=local(START))  # fmt: skip

    # Placements: models, a cancelled one, one before and one after the period, a student
    # placed twice.
    twice = StudentFactory(program__profession=nursing)
    in_period = {"start_date": START + timedelta(10), "end_date": START + timedelta(50)}
    for site, extra in (
        (site_a, {"student": twice}),
        (site_a, {"student": twice, "model": PlacementModel.TRADITIONAL}),
        (site_a, {"model": PlacementModel.TRADITIONAL}),
        (site_a, {"status": PlacementStatus.CANCELLED}),
        (site_b, {}),
        (site_c, {}),
    ):
        PlacementFactory(site=site, **{**in_period, **extra})
    PlacementFactory(site=site_a, start_date=START - timedelta(60), end_date=START - timedelta(1))
    PlacementFactory(site=site_a, start_date=END + timedelta(1), end_date=END + timedelta(30))

    # Mentoring: nursing students meet pharmacy, social work and nursing (their own)
    # professionals; one session has no professional; domains of one name in two
    # frameworks; sessions outside the period or at other sites.
    domains = list(default_domains()[:3])
    twin = CompetencyDomainFactory(name=domains[0].name)

    def session(site, held_on, students, professions, session_domains=()):
        placement = PlacementFactory(site=site, student=students[0], **in_period)
        made = MentoringSessionFactory(
            placement=placement, held_on=held_on, domains=list(session_domains)
        )
        for student in students:
            SessionStudentFactory(session=made, student=student, placement=placement)
        for profession in professions:
            SessionProfessionalFactory(session=made, person=UserFactory(profession=profession))

    nurses = [StudentFactory(program__profession=nursing) for _ in range(3)]
    pharmacist = StudentFactory(program__profession=pharmacy)
    session(site_a, START, nurses[:2], [pharmacy, nursing], domains[:2])
    session(site_a, END, [nurses[0], pharmacist], [pharmacy, social], [domains[0], twin])
    session(site_a, START + timedelta(5), [nurses[2]], [], [domains[2]])
    session(site_a, START - timedelta(1), [nurses[2]], [social], domains)
    session(site_b, START + timedelta(3), [pharmacist, nurses[1]], [nursing], [twin])
    session(site_c, START + timedelta(3), [nurses[2]], [social], domains[:1])

    # Follow-ups of every status, in and out of the period; interview records with and
    # without consent; quotes publishable or not, with and without a theme.
    for site, status, due in (
        (site_a, FollowUpStatus.PENDING, START),
        (site_a, FollowUpStatus.SCHEDULED, END),
        (site_a, FollowUpStatus.DECLINED, START + timedelta(9)),
        (site_a, FollowUpStatus.MISSED, START + timedelta(9)),
        (site_a, FollowUpStatus.CANCELLED, START + timedelta(9)),
        (site_a, FollowUpStatus.PENDING, END + timedelta(1)),
        (site_b, FollowUpStatus.DECLINED, START + timedelta(9)),
    ):
        trait = {"scheduled": True} if status == FollowUpStatus.SCHEDULED else {}
        FollowUpFactory(placement=PlacementFactory(site=site), status=status, due_on=due, **trait)
    codebook = list(Theme.objects.active()[:3]) + [ThemeFactory(name="Aardvark")]
    for i, (site, conducted_on, consent, record_themes) in enumerate(
        (
            (site_a, START + timedelta(20), True, codebook[:2]),
            (site_a, START + timedelta(30), True, codebook[1:4]),
            (site_a, START + timedelta(30), True, [codebook[3]]),
            (site_a, START + timedelta(40), False, codebook[:1]),
            (site_a, START - timedelta(1), True, codebook[:1]),
            (site_b, START + timedelta(20), True, codebook[:1]),
            (site_c, END, True, codebook[2:3]),
        )
    ):
        record = InterviewRecordFactory(
            followup=FollowUpFactory(
                placement=PlacementFactory(site=site), completed=True, due_on=conducted_on
            ),
            consent_given=consent,
            themes=record_themes,
        )
        QuoteFactory(record=record, may_publish=True, text=f"Said {i}", theme=record_themes[0])
        QuoteFactory(record=record, may_publish=True, text=f"Unthemed {i}", speaker_role="RN")
        QuoteFactory(record=record, may_publish=False, text=f"Private {i}")
    return {"a": site_a, "b": site_b, "c": site_c}


def report_for(sites, start=START, end=END):
    return selectors.outcomes_report(sites={s.pk: s.name for s in sites}, start=start, end=end)


@pytest.mark.parametrize(
    ("scope", "start", "end"),
    [
        ("a", START, END),
        ("ab", START, END),
        ("abc", START, END),
        ("c", START, END),
        ("abc", START - timedelta(400), TODAY),
        ("ab", END, END),
        ("a", END + timedelta(100), END + timedelta(200)),
    ],
)
def test_report_numbers_match_the_orm_querysets(world, scope, start, end):
    sites = [world[key] for key in scope]
    expected = reference_report([s.pk for s in sites], start, end)
    assert numbers(report_for(sites, start, end)) == expected


def test_report_numbers_for_no_site_are_empty(world):
    assert numbers(selectors.outcomes_report(sites={}, start=START, end=END)) == (
        reference_report([], START, END)
    )


def test_report_counts_every_community_beyond_those_it_lists(world, monkeypatch):
    monkeypatch.setattr(selectors, "COMMUNITIES_SHOWN", 2)
    report = report_for([world["a"], world["b"], world["c"]])
    expected = reference_report([world[k].pk for k in "abc"], START, END, communities_shown=2)
    assert [tuple(c) for c in report.communities] == expected["communities"]
    assert report.community_count == expected["community_count"] == 4


def test_report_data_set_reaches_the_rules(world):
    """The data set is not vacuous: each section has rows, and the edges are in it."""
    report = report_for([world["a"], world["b"]])
    assert report.communities and report.implemented_examples
    assert report.exposure["students"] == 4 and report.exposure["avg_professions"] > 0
    assert {"Pharmacy", "Social work"} <= {row["profession"] for row in report.professions_met}
    assert len({row["framework"] for row in report.domains_covered}) == 2
    assert report.followups == {"due": 10, "completed": 5, "declined": 2, "missed": 1, "open": 2}
    assert report.themes and report.quotes
    assert "Private 0" not in {quote.text for quote in report.quotes}
    # The initiative created in the last second of the period's last day counts.
    assert report.initiatives_by_theme[0]["total"] >= 1
    assert any(e["theme"] == "other" and e["total"] == 1 for e in report.initiatives_by_theme)


def test_report_counts_a_domain_by_its_names_as_the_orm_did(world):
    """Two frameworks of one name, each with a domain of one name: one row, its students
    and sessions counted once across both, as the ORM's grouping by the names did."""
    domain = default_domains()[1]
    namesake = CompetencyDomainFactory(
        name=domain.name, framework=CompetencyFrameworkFactory(name=domain.framework.name)
    )
    student = StudentFactory()
    placement = PlacementFactory(site=world["a"], student=student, start_date=START, end_date=END)
    session = MentoringSessionFactory(
        placement=placement, held_on=START + timedelta(7), domains=[namesake]
    )
    SessionStudentFactory(session=session, student=student, placement=placement)
    report = report_for([world["a"]])
    expected = reference_report([world["a"].pk], START, END)
    assert report.domains_covered == expected["domains_covered"]
    row = next(r for r in report.domains_covered if r["domain"] == domain.name)
    assert row["framework"] == domain.framework.name


@pytest.mark.parametrize("persona", ["facilitator", "outsider", "admin_user", "preceptor"])
def test_report_site_choices_are_the_sites_the_person_facilitates(request, world, persona):
    user = request.getfixturevalue(persona)
    SiteFactory(name="Another site", facilitators=[user])
    expected = list(
        permissions.sites_facilitated_by(user).order_by("name", "id").values_list("id", "name")
    )
    assert selectors.report_site_choices(user) == expected
    assert expected or persona == "preceptor"


@pytest.mark.parametrize("persona", ["facilitator", "admin_user", "preceptor"])
def test_the_persons_report_is_the_report_over_their_sites(request, world, persona):
    """`outcomes_report_for` reads the person's sites with the report: the same options as
    `report_site_choices`, and the report over all of them or the one asked for."""
    user = request.getfixturevalue(persona)
    SiteFactory(name="Another site", facilitators=[user])
    world["c"].facilitators.add(user)
    expected_choices = selectors.report_site_choices(user)
    choices, report = selectors.outcomes_report_for(user, site=None, start=START, end=END)
    assert choices == expected_choices
    reference = selectors.outcomes_report(sites=dict(expected_choices), start=START, end=END)
    assert numbers(report) == numbers(reference)
    assert report.site_names == reference.site_names
    for site in (world["a"], world["c"]):
        choices, report = selectors.outcomes_report_for(user, site=site.pk, start=START, end=END)
        assert choices == expected_choices
        if site.pk in dict(choices):
            assert numbers(report) == numbers(report_for([site]))
            assert report.site_names == [site.name]
        else:  # not one of the person's sites: no site's numbers (the form rejects it)
            assert numbers(report) == numbers(report_for([]))
            assert report.site_names == []


def test_one_prepared_report_statement_serves_one_site_and_many(world):
    """The report's statement is prepared once a connection with a generic plan: one
    site, then all three, then one again, each gives the querysets' numbers."""
    for scope in ("a", "abc", "c", "ab"):
        sites = [world[key] for key in scope]
        expected = reference_report([s.pk for s in sites], START, END)
        assert numbers(report_for(sites)) == expected
