"""The outcomes report: over a facilitator's sites (or one of them) and a period, what the
communities of practice did, the placements, the students' interprofessional exposure,
the follow-up interviews and what they found. Each section is one aggregate query over
the ORM, conditional or grouped, so the report's query count does not grow with its rows;
the students' exposure is read from the counts mentoring keeps per site and student."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from interviews.cache import followups_version, records_version
from interviews.models import (
    OPEN_FOLLOWUP_STATUSES,
    FollowUp,
    FollowUpStatus,
    InterviewRecord,
    Quote,
)
from mentoring.cache import sessions_version
from mentoring.models import SessionStudent, StudentSiteDomain, StudentSiteProfession
from placements.cache import placements_version
from placements.models import Placement, PlacementModel, PlacementStatus
from sites.cache import activity_version
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Membership,
    Site,
)

COMMUNITIES_SHOWN = 100

_COP_STATUSES = dict(CoPStatus.choices)
_PLACEMENT_MODELS = dict(PlacementModel.choices)
_PLACED = [s for s in PlacementStatus.values if s != PlacementStatus.CANCELLED]
_DUE = [s for s in FollowUpStatus.values if s != FollowUpStatus.CANCELLED]


class CommunityRow(NamedTuple):
    name: str
    site: str
    status: str  # its label
    members: int
    initiatives: int


class ThemeCount(NamedTuple):
    name: str
    interviews: int


class QuoteRow(NamedTuple):
    text: str
    speaker_role: str
    theme: str  # its name, or "" for none


@dataclass
class OutcomesReport:
    start: date
    end: date
    site_names: list[str]
    communities: list[CommunityRow] = field(default_factory=list)
    community_count: int = 0
    initiatives_by_theme: list[dict] = field(default_factory=list)
    initiative_statuses: list[tuple[str, str]] = field(default_factory=list)
    initiative_total: int = 0
    implemented_examples: list[str] = field(default_factory=list)
    placements_by_model: list[dict] = field(default_factory=list)
    exposure: dict = field(default_factory=dict)
    professions_met: list[dict] = field(default_factory=list)
    domains_covered: list[dict] = field(default_factory=list)
    # Students by how many other professions they met: (label, students), 0 first.
    professions_met_per_student: list[tuple[str, int]] = field(default_factory=list)
    followups: dict = field(default_factory=dict)
    # Per month of the due dates, first to last month with any: month (its first day),
    # due, completed, declined, missed, open, rate (completed per due, in %).
    followups_by_month: list[dict] = field(default_factory=list)
    themes: list[ThemeCount] = field(default_factory=list)
    quotes: list[QuoteRow] = field(default_factory=list)
    # The cache key it was stored under (outcomes_report_cached): it names the data, so
    # the page caches the report's HTML under it too.
    key: str = ""

    @property
    def completion_rate(self) -> int | None:
        due = self.followups.get("due", 0)
        return round(100 * self.followups.get("completed", 0) / due) if due else None

    def results_paragraphs(self) -> list[str]:
        """The report's summary written like the Results section of the source project."""
        paragraphs = []
        where = (
            f"at {self.site_names[0]}"
            if len(self.site_names) == 1
            else f"at {len(self.site_names)} sites"
        )
        if self.community_count:
            top = [row["label"].lower() for row in self.initiatives_by_theme[:2] if row["total"]]
            text = (
                f"Participants {where} worked together in {self.community_count} "
                f"communit{'y' if self.community_count == 1 else 'ies'} of practice"
            )
            if top:
                text += (
                    f"; their {self.initiative_total} initiatives were mostly about "
                    + " and ".join(top)
                )
            text += "."
            if self.implemented_examples:
                quoted = ", ".join(f"“{title}”" for title in self.implemented_examples[:3])
                text += f" Communities implemented initiatives such as {quoted}."
            paragraphs.append(text)
        students = self.exposure.get("students") or 0
        if students:
            paragraphs.append(
                f"{students} student{'s' if students != 1 else ''} took part in mentoring "
                f"sessions, meeting on average {self.exposure.get('avg_professions') or 0:.1f} "
                f"other professions and practising {len(self.domains_covered)} competency "
                "domains."
            )
        if self.followups.get("due"):
            paragraphs.append(
                f"Of {self.followups['due']} follow-up interviews due, "
                f"{self.followups['completed']} were completed ({self.completion_rate}%)."
            )
        named = [theme.name.lower() for theme in self.themes[:4]]
        if named:
            paragraphs.append("Interviews most often reported changes in " + ", ".join(named) + ".")
        if not paragraphs:
            paragraphs.append("No activity was recorded over this period.")
        return paragraphs


def report_site_choices(managed_sites: QuerySet[Site]) -> list[tuple[int, str]]:
    """(id, name) of the sites the person's report may cover, by name: those of
    `ipcop.permissions.sites_facilitated_by`."""
    return list(managed_sites.order_by("name", "pk").values_list("pk", "name"))


def _count_of(queryset, key: str) -> Coalesce:
    """How many rows of `queryset` point at the outer row through `key`, as a subquery
    planned on its own (one index look-up per outer row)."""
    per_row = queryset.filter(**{key: OuterRef("pk")}).order_by().values(key).annotate(n=Count("*"))
    return Coalesce(Subquery(per_row.values("n")), 0)


def _communities(report: OutcomesReport, sites: list[int]) -> None:
    """The CoPs started by the end of the period, in site and name order, with all their
    members (past ones too) and initiatives, and how many there are in all."""
    rows = (
        CommunityOfPractice.objects.filter(site__in=sites, started_on__lte=report.end)
        .annotate(
            members=_count_of(Membership.objects.all(), "community"),
            initiative_count=_count_of(Initiative.objects.all(), "community"),
            total=Window(Count("*")),
        )
        .order_by("site__name", "name", "pk")
        .values_list("name", "site__name", "status", "members", "initiative_count", "total")
    )[:COMMUNITIES_SHOWN]
    report.communities = [
        CommunityRow(name, site, _COP_STATUSES.get(status, status), members, initiatives)
        for name, site, status, members, initiatives, _ in rows
    ]
    report.community_count = rows[0][-1] if report.communities else 0


def _initiatives(report: OutcomesReport, sites: list[int]) -> None:
    """The initiatives alive during the period (created by its last local day, not ended
    before it began), by theme and status, and the five latest changed of those
    implemented or sustained."""
    created_before = datetime.combine(
        report.end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    alive = Initiative.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=report.start),
        community__site__in=sites,
        created_at__lt=created_before,
    )
    by_theme: dict[str, dict[str, Any]] = {
        theme: {
            "theme": theme,
            "label": label,
            "total": 0,
            "by_status": dict.fromkeys(InitiativeStatus.values, 0),
        }
        for theme, label in InitiativeTheme.choices
    }
    for theme, status, n in alive.order_by().values_list("theme", "status").annotate(n=Count("*")):
        entry = by_theme.setdefault(
            theme,
            {"theme": theme, "label": theme, "total": 0, "by_status": {}},
        )
        entry["total"] += n
        entry["by_status"][status] = n
    for entry in by_theme.values():
        entry["counts"] = [entry["by_status"].get(s, 0) for s in InitiativeStatus.values]
        # Each count with its status's name: a phone shows the rows as labelled cards.
        entry["labelled_counts"] = [
            (label, entry["by_status"].get(s, 0)) for s, label in InitiativeStatus.choices
        ]
    report.initiatives_by_theme = sorted(by_theme.values(), key=lambda e: -e["total"])
    report.initiative_statuses = list(InitiativeStatus.choices)
    report.initiative_total = sum(e["total"] for e in by_theme.values())
    done = [InitiativeStatus.IMPLEMENTED, InitiativeStatus.SUSTAINED]
    if any(entry["by_status"].get(status) for entry in by_theme.values() for status in done):
        report.implemented_examples = list(
            alive.filter(status__in=done)
            .order_by("-updated_at", "-pk")
            .values_list("title", flat=True)[:5]
        )


def _placed(sites: list[int], start: date, end: date):
    """The placements at `sites` over the period (as `PlacementQuerySet.overlapping`), but
    cancelled ones."""
    return Placement.objects.filter(site__in=sites, status__in=_PLACED).overlapping(start, end)


def _placements(report: OutcomesReport, sites: list[int]) -> None:
    """The placements over the period by model, with their students; and how many of their
    students took part in mentoring sessions on them (the exposure's students), in one
    pass over the placements."""
    by_model = {}
    for model in PlacementModel.values:
        is_model = Q(model=model)
        by_model[f"{model}_placements"] = Count("pk", filter=is_model)
        by_model[f"{model}_students"] = Count("student", distinct=True, filter=is_model)
    mentored = Exists(SessionStudent.objects.filter(placement=OuterRef("pk")))
    counts = _placed(sites, report.start, report.end).aggregate(
        **by_model, mentored=Count("student", distinct=True, filter=Q(mentored))
    )
    report.placements_by_model = [
        {
            "model": model,
            "label": label,
            "placements": counts[f"{model}_placements"],
            "students": counts[f"{model}_students"],
        }
        for model, label in sorted(PlacementModel.choices)
        if counts[f"{model}_placements"]
    ]
    report.exposure["students"] = counts["mentored"]


def _exposure(report: OutcomesReport, sites: list[int]) -> None:
    """The IP exposure of the students placed at the sites during the period who took part
    in mentoring sessions on those placements (`_placements` counts them; none, nothing to
    read), over their
    sessions at those sites, from the counts mentoring keeps per site and student (a pair
    has rows only for what it met; the sessions are not read one by one): per profession
    other than their own, the students who met its professionals, and the mean number of
    other professions a student met (students meeting none count as 0); per competency
    domain, the students who practised it and their sessions (domains of same-named
    frameworks that share a name count as one)."""
    students = report.exposure["students"]
    if not students:
        return
    placed = _placed(sites, report.start, report.end).filter(
        site=OuterRef("site"), student=OuterRef("student")
    )
    met = (
        StudentSiteProfession.objects.filter(Exists(placed), site__in=sites)
        .exclude(profession=F("student__program__profession"))
        .order_by()
        .values_list("profession__name")
        .annotate(students=Count("student", distinct=True))
    )
    practised = (
        StudentSiteDomain.objects.filter(Exists(placed), site__in=sites)
        .order_by()
        .values_list("domain__name", "domain__framework__name")
        .annotate(
            students=Count("student", distinct=True),
            sessions=Sum("sessions"),
        )
    )
    report.professions_met = [
        {"profession": name, "students": n}
        for name, n in sorted(met, key=lambda row: (-row[1], row[0]))
    ]
    domains = sorted(practised, key=lambda row: (-row[2], row[0], row[1]))
    report.domains_covered = [
        {"domain": name, "framework": framework, "students": n, "sessions": sessions}
        for name, framework, n, sessions in domains
    ]
    # Each student who met a profession is one (student, profession) pair.
    pairs = sum(row["students"] for row in report.professions_met)
    report.exposure["avg_professions"] = pairs / students
    _professions_met_per_student(report, sites, placed)


# The distribution's last bar: this many other professions or more.
MET_MANY = 5


def _professions_met_per_student(report: OutcomesReport, sites: list[int], placed) -> None:
    """How many students met 0, 1, 2... other professions (MET_MANY or more in one bar),
    counted in the database from the same counts as the exposure; the students who met
    none are those in sessions that are not in any other bar."""
    per_student = (
        StudentSiteProfession.objects.filter(Exists(placed), site__in=sites)
        .exclude(profession=F("student__program__profession"))
        .order_by()
        .values("student")
        .annotate(met=Count("profession", distinct=True))
    )
    bins = per_student.aggregate(
        **{
            f"met_{n}": Count("student", filter=Q(met=n) if n < MET_MANY else Q(met__gte=n))
            for n in range(1, MET_MANY + 1)
        }
    )
    counts = [bins[f"met_{n}"] or 0 for n in range(1, MET_MANY + 1)]
    none = max(report.exposure["students"] - sum(counts), 0)
    labels = [str(n) for n in range(MET_MANY)] + [f"{MET_MANY} or more"]
    report.professions_met_per_student = list(zip(labels, [none, *counts], strict=True))


def _followups(report: OutcomesReport, sites: list[int]) -> None:
    """The follow-ups due in the period, but cancelled ones, by month and status
    (followup_site_status_due_idx alone), and in all."""
    counts = (
        FollowUp.objects.filter(
            site__in=sites, status__in=_DUE, due_on__gte=report.start, due_on__lte=report.end
        )
        .annotate(month=TruncMonth("due_on"))
        .order_by()
        .values_list("month", "status")
        .annotate(n=Count("*"))
    )
    by_month: dict[date, dict[str, int]] = {}
    for month, status, n in counts:
        by_month.setdefault(month, {})[status] = n
    report.followups = _followup_counts(
        {status: sum(statuses.get(status, 0) for statuses in by_month.values()) for status in _DUE}
    )
    report.followups_by_month = []
    if by_month:
        # Months between the first and the last with a follow-up due appear with none.
        month, last = min(by_month), max(by_month)
        while month <= last:
            row = _followup_counts(by_month.get(month, {}))
            row["month"] = month
            row["rate"] = round(100 * row["completed"] / row["due"]) if row["due"] else None
            report.followups_by_month.append(row)
            month = (month + timedelta(days=32)).replace(day=1)


def _followup_counts(by_status: dict[str, int]) -> dict:
    return {
        "due": sum(by_status.values()),
        "completed": by_status.get(FollowUpStatus.COMPLETED, 0),
        "declined": by_status.get(FollowUpStatus.DECLINED, 0),
        "missed": by_status.get(FollowUpStatus.MISSED, 0),
        "open": sum(by_status.get(status, 0) for status in OPEN_FOLLOWUP_STATUSES),
    }


def _interviews(report: OutcomesReport, sites: list[int]) -> None:
    """From the interviews conducted in the period with consent: their themes (interviews
    per theme) and their 50 latest publishable quotes."""
    records = InterviewRecord.objects.filter(
        followup__site__in=sites,
        conducted_on__gte=report.start,
        conducted_on__lte=report.end,
        consent_given=True,
    )
    themes = (
        InterviewRecord.themes.through.objects.filter(interviewrecord__in=records)
        .order_by()
        .values_list("theme__name")
        .annotate(n=Count("interviewrecord", distinct=True))
    )
    report.themes = [ThemeCount(*row) for row in sorted(themes, key=lambda t: (-t[1], t[0]))]
    quotes = (
        Quote.objects.filter(record__in=records, may_publish=True)
        .order_by("-record__conducted_on", "pk")
        .values_list("text", "speaker_role", "theme__name")[:50]
    )
    report.quotes = [QuoteRow(text, role, theme or "") for text, role, theme in quotes]


def outcomes_report(*, sites: dict[int, str], start: date, end: date) -> OutcomesReport:
    """The outcomes report over `sites` (ids to names, from `report_site_choices`) and the
    period [start, end]."""
    report = OutcomesReport(
        start=start,
        end=end,
        site_names=list(sites.values()),
        exposure={"students": 0, "avg_professions": None},
    )
    ids = list(sites)
    if ids:
        _communities(report, ids)
        _initiatives(report, ids)
        _placements(report, ids)
        _exposure(report, ids)
        _followups(report, ids)
        _interviews(report, ids)
    else:
        _initiatives(report, ids)  # the empty table of themes and statuses
        _followups(report, ids)
    return report


# Entries also expire, for writes that reach none of the versions (a bulk SQL fix).
REPORT_CACHE_SECONDS = 600


def outcomes_report_cached(*, sites: dict[int, str], start: date, end: date) -> OutcomesReport:
    """`outcomes_report`, cached under the versions of every kind of data it reads: a
    report over a zone's hundred sites aggregates a year of their placements and
    mentoring counts, and people open the same report again far more often than the
    data under it changes. Any service (or admin) change to CoPs, placements, sessions,
    follow-ups or interviews bumps a version, so the next read computes it afresh."""
    versions = (
        activity_version(),
        placements_version(),
        sessions_version(),
        followups_version(),
        records_version(),
    )
    scope = hashlib.sha256(repr(sorted(sites.items())).encode()).hexdigest()[:32]
    # The key's version names the report's shape: a new field makes older entries unread.
    key = f"interviews:report:v3:{scope}:{start}:{end}:" + ":".join(map(str, versions))
    report = cache.get(key)
    if report is None:
        report = outcomes_report(sites=sites, start=start, end=end)
        report.key = key
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


# The CSV's columns: one row per fact, each column of one type. The period's dates (ISO)
# are on every row, so the files of several periods can be stacked; a dimension is named
# in one column and its value given in the next; `value` is always a number.
REPORT_CSV_COLUMNS = [
    "period_start", "period_end", "section", "measure",
    "dimension", "dimension_value", "dimension_2", "dimension_2_value", "value",
]  # fmt: skip


def outcomes_report_rows(report: OutcomesReport) -> list[list]:
    """The report's numbers for CSV in a tidy shape (REPORT_CSV_COLUMNS): one row per
    fact. The summary's sentences and the quotes are text, not facts: they are on the
    page (and its print)."""
    period = [report.start.isoformat(), report.end.isoformat()]
    rows: list[list] = [list(REPORT_CSV_COLUMNS)]

    def fact(section, measure, value, dimension="", item="", dimension_2="", item_2=""):
        rows.append([*period, section, measure, dimension, item, dimension_2, item_2, value])

    for name in report.site_names:
        fact("scope", "sites", 1, "site", name)
    fact("communities", "communities", report.community_count)
    for community in report.communities:
        for measure in ("members", "initiatives"):
            fact(
                "communities",
                measure,
                getattr(community, measure),
                "community",
                community.name,
                "site",
                community.site,
            )
    statuses = dict(report.initiative_statuses)
    for entry in report.initiatives_by_theme:
        for status, n in entry["by_status"].items():
            fact(
                "initiatives",
                "initiatives",
                n,
                "theme",
                entry["label"],
                "status",
                statuses.get(status, status),
            )
    for row in report.placements_by_model:
        for measure in ("placements", "students"):
            fact("placements", measure, row[measure], "model", row["label"])
    fact("exposure", "students_in_sessions", report.exposure.get("students") or 0)
    fact(
        "exposure",
        "other_professions_met_per_student_mean",
        round(report.exposure.get("avg_professions") or 0, 2),
    )
    for label, n in report.professions_met_per_student:
        fact("exposure", "students", n, "other_professions_met", label)
    for row in report.professions_met:
        fact("exposure", "students", row["students"], "profession_met", row["profession"])
    for row in report.domains_covered:
        for measure in ("students", "sessions"):
            fact(
                "exposure",
                measure,
                row[measure],
                "domain",
                row["domain"],
                "framework",
                row["framework"],
            )
    statuses_due = ("due", "completed", "declined", "missed", "open")
    for key in statuses_due:
        fact("follow_ups", key, report.followups.get(key, 0))
    if report.completion_rate is not None:
        fact("follow_ups", "completion_rate_percent", report.completion_rate)
    for month in report.followups_by_month:
        when = month["month"].isoformat()
        for key in statuses_due:
            fact("follow_ups", key, month[key], "month", when)
        if month["rate"] is not None:
            fact("follow_ups", "completion_rate_percent", month["rate"], "month", when)
    for theme in report.themes:
        fact("interviews", "interviews", theme.interviews, "theme", theme.name)
    return rows
