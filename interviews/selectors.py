"""Reads of the interviews app: follow-up lists and counts, and the outcomes report,
which reads across sites, placements, mentoring and interviews. Every aggregate is done
in the database, so a page's query count does not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Case, Count, F, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone

from accounts.models import User
from interviews.models import (
    OPEN_FOLLOWUP_STATUSES,
    FollowUp,
    FollowUpStatus,
    Quote,
    Theme,
)
from ipcop.lib.fragments import pk_url
from mentoring.models import SessionStudent
from placements.models import Placement, PlacementModel, PlacementStatus
from sites.models import (
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Site,
)

DUE_WINDOW_DAYS = 30

# The list's "due" filter: named windows relative to today.
DUE_FILTERS = {
    "next30": "Due in the next 30 days",
    "overdue": "Overdue",
}


def followup_due_q(due: str, today: date) -> Q:
    if due == "next30":
        return Q(
            status__in=OPEN_FOLLOWUP_STATUSES,
            due_on__gte=today,
            due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS),
        )
    if due == "overdue":
        return Q(status__in=OPEN_FOLLOWUP_STATUSES, due_on__lt=today)
    return Q()


def followup_counts(followups: QuerySet[FollowUp], *, today: date | None = None) -> dict:
    """Counts for the list's tabs, in one aggregate query grouped by status. COUNT(*) and
    the columns of followup_site_status_due_idx only: at a facilitator's sites the
    follow-ups are counted from the index alone (an index-only scan), never from the table."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(["total", "next30", "overdue", *FollowUpStatus.values], 0)
    per_status = (
        followups.order_by()
        .values("status")
        .annotate(
            n=Count("*"),
            next30=Count("due_on", filter=followup_due_q("next30", today)),
            overdue=Count("due_on", filter=followup_due_q("overdue", today)),
        )
    )
    for row in per_status:
        counts[row["status"]] = row["n"]
        counts["total"] += row["n"]
        counts["next30"] += row["next30"]
        counts["overdue"] += row["overdue"]
    return counts


def _person_name(field: str) -> Subquery:
    # As User.__str__ names a person: the full name, or the email without one.
    return Subquery(
        User.objects.filter(pk=OuterRef(field))
        .order_by()
        .values(name=Case(When(full_name="", then=F("email")), default=F("full_name")))[:1]
    )


def followup_list(followups: QuerySet[FollowUp]) -> QuerySet:
    """The rows of the follow-up list as light named tuples (no model instances). The
    people's names are scalar subqueries, not joins, so the list's capped count (which
    selects only ids) reads the follow-ups alone; the site's name comes from the filter
    form's choices (`followup_list_rows`)."""
    return followups.annotate(
        participant_name=_person_name("participant_id"),
        interviewer_name=_person_name("interviewer_id"),
    ).values_list(
        "pk",
        "due_on",
        "status",
        "scheduled_at",
        "site_id",
        "placement_id",
        "participant_name",
        "interviewer_name",
        named=True,
    )


STATUS_LABELS = dict(FollowUpStatus.choices)


def followup_list_rows(followups: list, *, site_names: dict[int, str]) -> list[dict]:
    """What each row of the list shows, as plain strings. A site missing from
    `site_names` (an interview at a site the person does not otherwise see) is read in
    one query."""
    missing = {f.site_id for f in followups} - site_names.keys()
    if missing:
        site_names = site_names | dict(
            Site.objects.filter(pk__in=missing).order_by().values_list("id", "name")
        )
    rows = []
    for followup in followups:
        interview = ""
        if followup.scheduled_at:
            when = timezone.localtime(followup.scheduled_at).strftime("%Y-%m-%d %H:%M")
            interview = f"{when} with {followup.interviewer_name}"
        rows.append(
            {
                "url": pk_url("interviews:followup_detail", followup.pk),
                "participant": followup.participant_name,
                "follows": "Placement" if followup.placement_id else "CoP membership",
                "site": site_names[followup.site_id],
                "due": followup.due_on.isoformat(),
                "status": STATUS_LABELS.get(followup.status, followup.status),
                "interview": interview,
            }
        )
    return rows


# --- The outcomes report ---------------------------------------------------------------


@dataclass
class OutcomesReport:
    start: date
    end: date
    site_names: list[str]
    communities: list = field(default_factory=list)
    community_count: int = 0
    initiatives_by_theme: list[dict] = field(default_factory=list)
    initiative_statuses: list[tuple[str, str]] = field(default_factory=list)
    initiative_total: int = 0
    implemented_examples: list[str] = field(default_factory=list)
    placements_by_model: list[dict] = field(default_factory=list)
    exposure: dict = field(default_factory=dict)
    professions_met: list[dict] = field(default_factory=list)
    domains_covered: list[dict] = field(default_factory=list)
    followups: dict = field(default_factory=dict)
    themes: list = field(default_factory=list)
    quotes: list = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
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


def outcomes_report(
    *, site_ids: list[int], start: date, end: date, site_names: list[str]
) -> OutcomesReport:
    """The outcomes report over the sites `site_ids` (named `site_names`) and the period
    [start, end], in 11 aggregate queries whatever the data's size."""
    report = OutcomesReport(start=start, end=end, site_names=site_names)

    communities = (
        CommunityOfPractice.objects.filter(site_id__in=site_ids, started_on__lte=end)
        .select_related("site")
        .annotate(
            initiative_count=Count("initiatives", distinct=True),
            member_count=Count("memberships", distinct=True),
        )
        .order_by("site__name", "name")
    )
    report.communities = list(communities[:100])
    report.community_count = (
        communities.count() if len(report.communities) == 100 else len(report.communities)
    )

    # Initiatives that were alive during the period, by theme and status.
    initiatives = Initiative.objects.filter(
        community__site_id__in=site_ids, created_at__date__lte=end
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    by_theme: dict[str, dict] = {
        value: {
            "theme": value,
            "label": label,
            "total": 0,
            "by_status": dict.fromkeys(InitiativeStatus.values, 0),
        }
        for value, label in InitiativeTheme.choices
    }
    for row in initiatives.values("theme", "status").annotate(n=Count("id")).order_by():
        entry = by_theme.setdefault(
            row["theme"],
            {
                "theme": row["theme"],
                "label": row["theme"],
                "total": 0,
                "by_status": dict.fromkeys(InitiativeStatus.values, 0),
            },
        )
        entry["total"] += row["n"]
        entry["by_status"][row["status"]] = row["n"]
    for entry in by_theme.values():
        entry["counts"] = [entry["by_status"][s] for s in InitiativeStatus.values]
    report.initiatives_by_theme = sorted(by_theme.values(), key=lambda e: -e["total"])
    report.initiative_statuses = list(InitiativeStatus.choices)
    report.initiative_total = sum(e["total"] for e in by_theme.values())
    report.implemented_examples = list(
        initiatives.filter(status__in=[InitiativeStatus.IMPLEMENTED, InitiativeStatus.SUSTAINED])
        .order_by("-updated_at")
        .values_list("title", flat=True)[:5]
    )

    # Placements over the period, by model.
    labels = dict(PlacementModel.choices)
    report.placements_by_model = [
        {**row, "label": labels.get(row["model"], row["model"])}
        for row in Placement.objects.filter(site_id__in=site_ids)
        .overlapping(start, end)
        .exclude(status=PlacementStatus.CANCELLED)
        .values("model")
        .annotate(placements=Count("id"), students=Count("student", distinct=True))
        .order_by("model")
    ]

    # Students' IP exposure: professionals of *other* professions in the sessions they attended.
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
    report.exposure = per_student.aggregate(
        students=Count("student"), avg_professions=Avg("professions")
    )
    report.professions_met = list(
        attendance.filter(session__professional_attendance__isnull=False)
        .values(profession=F("session__professional_attendance__profession__name"))
        .annotate(students=Count("student", distinct=True, filter=other_profession))
        .filter(students__gt=0)
        .order_by("-students", "profession")
    )
    report.domains_covered = list(
        attendance.filter(session__domains__isnull=False)
        .values(
            domain=F("session__domains__name"), framework=F("session__domains__framework__name")
        )
        .annotate(
            students=Count("student", distinct=True), sessions=Count("session", distinct=True)
        )
        .order_by("-students", "domain")
    )

    # Follow-ups due in the period.
    report.followups = (
        FollowUp.objects.filter(site_id__in=site_ids, due_on__gte=start, due_on__lte=end)
        .exclude(status=FollowUpStatus.CANCELLED)
        # Counting due_on, not id: an index-only scan of followup_site_status_due_idx.
        .aggregate(
            due=Count("due_on"),
            completed=Count("due_on", filter=Q(status=FollowUpStatus.COMPLETED)),
            declined=Count("due_on", filter=Q(status=FollowUpStatus.DECLINED)),
            missed=Count("due_on", filter=Q(status=FollowUpStatus.MISSED)),
            open=Count("due_on", filter=Q(status__in=OPEN_FOLLOWUP_STATUSES)),
        )
    )

    # Interview themes and publishable quotes from interviews conducted in the period.
    in_period = Q(
        records__followup__site_id__in=site_ids,
        records__conducted_on__gte=start,
        records__conducted_on__lte=end,
        records__consent_given=True,
    )
    report.themes = list(
        Theme.objects.annotate(interviews=Count("records", filter=in_period, distinct=True))
        .filter(interviews__gt=0)
        .order_by("-interviews", "name")
    )
    report.quotes = list(
        Quote.objects.filter(
            may_publish=True,
            record__consent_given=True,
            record__followup__site_id__in=site_ids,
            record__conducted_on__gte=start,
            record__conducted_on__lte=end,
        )
        .select_related("theme")
        .order_by("-record__conducted_on", "id")[:50]
    )
    return report


def outcomes_report_rows(report: OutcomesReport) -> list[list]:
    """The report flattened for CSV: section, item, detail, value."""
    rows: list[list] = [["section", "item", "detail", "value"]]
    rows.append(["period", "start", "", report.start.isoformat()])
    rows.append(["period", "end", "", report.end.isoformat()])
    for name in report.site_names:
        rows.append(["sites", name, "", ""])
    for paragraph in report.results_paragraphs():
        rows.append(["results", "summary", "", paragraph])
    for community in report.communities:
        rows.append(
            [
                "communities of practice",
                community.name,
                community.site.name,
                community.initiative_count,
            ]
        )
    statuses = dict(report.initiative_statuses)
    for entry in report.initiatives_by_theme:
        for status, n in entry["by_status"].items():
            if n:
                rows.append(["initiatives", entry["label"], statuses.get(status, status), n])
    for row in report.placements_by_model:
        rows.append(["placements by model", row["label"], "placements", row["placements"]])
        rows.append(["placements by model", row["label"], "students", row["students"]])
    rows.append(["IP exposure", "students in sessions", "", report.exposure.get("students") or 0])
    rows.append(
        [
            "IP exposure",
            "other professions met per student (mean)",
            "",
            round(report.exposure.get("avg_professions") or 0, 2),
        ]
    )
    for row in report.professions_met:
        rows.append(["professions met", row["profession"], "students", row["students"]])
    for row in report.domains_covered:
        rows.append(["domains covered", row["domain"], "students", row["students"]])
    for key in ("due", "completed", "declined", "missed", "open"):
        rows.append(["follow-ups", key, "", report.followups.get(key, 0)])
    rows.append(
        [
            "follow-ups",
            "completion rate (%)",
            "",
            "" if report.completion_rate is None else report.completion_rate,
        ]
    )
    for theme in report.themes:
        rows.append(["interview themes", theme.name, "interviews", theme.interviews])
    for quote in report.quotes:
        rows.append(
            [
                "publishable quotes",
                quote.speaker_role,
                quote.theme.name if quote.theme else "",
                quote.text,
            ]
        )
    return rows
