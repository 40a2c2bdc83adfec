"""Reads of the interviews app: follow-up lists and counts, and the outcomes report,
which reads across sites, placements, mentoring and interviews. Every aggregate is done
in the database, so a page's query count does not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import NamedTuple

from django.db import connection
from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Profession, User, user_label_sql
from interviews.models import (
    OPEN_FOLLOWUP_STATUSES,
    FollowUp,
    FollowUpCount,
    FollowUpStatus,
    InterviewRecord,
    Quote,
    Theme,
)
from ipcop.lib.fragments import pk_url
from ipcop.lib.keyset import (
    COUNT_LIMIT,
    KeysetPage,
    assemble_page,
    parse_cursor,
    positive_int,
)
from ipcop.permissions import FollowUpScope, has_role
from mentoring.models import (
    CompetencyDomain,
    CompetencyFramework,
    MentoringSession,
    SessionProfessional,
    SessionStudent,
)
from placements.models import Placement, PlacementModel, PlacementStatus, Program, Student
from sites.models import (
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Membership,
    Site,
)

DUE_WINDOW_DAYS = 30

# The list's "due" filter: named windows relative to today.
DUE_FILTERS = {
    "next30": "Due in the next 30 days",
    "overdue": "Overdue",
}


def _due_window_q(due: str, today: date) -> Q:
    if due == "next30":
        return Q(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_WINDOW_DAYS))
    if due == "overdue":
        return Q(due_on__lt=today)
    return Q()


def followup_due_q(due: str, today: date) -> Q:
    """Open follow-ups in the named due window (`DUE_FILTERS`); no condition for others."""
    if due in DUE_FILTERS:
        return Q(status__in=OPEN_FOLLOWUP_STATUSES) & _due_window_q(due, today)
    return Q()


def followup_counts(followups: QuerySet[FollowUp], *, today: date | None = None) -> dict:
    """Counts for the list's tabs, in one aggregate query grouped by status. COUNT(*) and
    the columns of followup_site_status_due_idx only: at a facilitator's sites the
    follow-ups are counted from the index alone (an index-only scan), never from the table.
    Each status group counts its rows in the due windows, and only the open statuses' add
    up to "next30" and "overdue" (`followup_due_q`): the same numbers as filtering on the
    status in SQL, without testing it on every row (~15% of the query's time)."""
    today = today or timezone.localdate()
    counts = dict.fromkeys(["total", "next30", "overdue", *FollowUpStatus.values], 0)
    per_status = (
        followups.order_by()
        .values("status")
        .annotate(
            n=Count("*"),
            next30=Count("due_on", filter=_due_window_q("next30", today)),
            overdue=Count("due_on", filter=_due_window_q("overdue", today)),
        )
    )
    for row in per_status:
        counts[row["status"]] = row["n"]
        counts["total"] += row["n"]
        if row["status"] in OPEN_FOLLOWUP_STATUSES:
            counts["next30"] += row["next30"]
            counts["overdue"] += row["overdue"]
    return counts


# The tab counts of a scope (`ipcop.permissions.FollowUpScope`): each status's total from
# the trigger-kept per-site counts (a few hundred rows for a zone, not its 16,000
# follow-ups); the due windows (a row without status) from the open follow-ups due by the
# end of the next window only, from followup_open_site_due_idx alone; the follow-ups
# added by id counted as they are. Columns: status, total, next30, overdue. The sites as
# `= ANY(ARRAY(…))`: one index scan over the sites, not a join planned per site (half
# the time).
_COUNTS_SQL = {
    "totals": "SELECT status, SUM(total), 0, 0 FROM {count} WHERE {sites} GROUP BY status",
    "open": "SELECT NULL, 0, COUNT(*) FILTER (WHERE due_on >= %s),"
    " COUNT(*) FILTER (WHERE due_on < %s) FROM {followup}"
    " WHERE {sites} AND status IN (%s, %s) AND due_on <= %s",
    "by_id": "SELECT status, COUNT(*), COUNT(*) FILTER (WHERE due_on >= %s AND due_on <= %s),"
    " COUNT(*) FILTER (WHERE due_on < %s) FROM {followup} WHERE id IN ({ids}){site}"
    " GROUP BY status",
}
_FACILITATED_SITES_SQL = "site_id = ANY(ARRAY(SELECT site_id FROM {through} WHERE user_id = %s))"


def followup_counts_in_scope(
    scope: FollowUpScope, *, site: int | None = None, today: date | None = None
) -> dict:
    """`followup_counts` of the follow-ups in `scope` (at `site` only, if given), in one
    statement that reads no follow-up but the open ones due by the end of the next window
    and those added by id. test_selectors.py checks it against `followup_counts`."""
    today = today or timezone.localdate()
    window_end = today + timedelta(days=DUE_WINDOW_DAYS)
    conditions, params = [], []
    if scope.facilitator is not None:
        conditions.append(_FACILITATED_SITES_SQL.format(through=_FACILITATORS))
        params.append(scope.facilitator)
    if site is not None:
        conditions.append("site_id = %s")
        params.append(site)
    sites = " AND ".join(conditions) or "TRUE"
    parts = [
        _COUNTS_SQL["totals"].format(count=_T["followup_count"], sites=sites),
        _COUNTS_SQL["open"].format(followup=_T["followup"], sites=sites),
    ]
    values = [*params, today, today, *params, *OPEN_FOLLOWUP_STATUSES, window_end]
    if scope.elsewhere:
        parts.append(
            _COUNTS_SQL["by_id"].format(
                followup=_T["followup"],
                ids=_in(list(scope.elsewhere)),
                site="" if site is None else " AND site_id = %s",
            )
        )
        values += [today, window_end, today, *scope.elsewhere]
        if site is not None:
            values.append(site)
    counts = dict.fromkeys(["total", "next30", "overdue", *FollowUpStatus.values], 0)
    for status, total, next30, overdue in _fetch(" UNION ALL ".join(parts), values):
        if status is not None:
            counts[status] += total
            counts["total"] += total
        if status is None or status in OPEN_FOLLOWUP_STATUSES:
            counts["next30"] += next30
            counts["overdue"] += overdue
    return counts


def _person_name(column: str) -> RawSQL:
    # As User.__str__ names a person: the full name, or the email without one. A scalar
    # subquery written as SQL: as a Subquery of a User queryset it cost the list ~0.4 ms
    # of query building each, for the same statement. No input reaches the SQL: the
    # column is one of the follow-up's two person columns, the table names the models'.
    user, followup = User._meta.db_table, FollowUp._meta.db_table
    sql = f"SELECT {user_label_sql('u')} FROM {user} u WHERE u.id = {followup}.{column}"  # noqa: S608  # nosec B608
    return RawSQL(sql, (), output_field=CharField())  # noqa: S611  # nosec B611


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


class FollowUpListEntry(NamedTuple):
    """A row of `followup_list` / `followup_page`: what `followup_list_rows` reads."""

    pk: int
    due_on: date
    status: str
    scheduled_at: datetime | None
    site_id: int
    placement_id: int | None
    participant_name: str
    interviewer_name: str | None


def _name_of(column: str) -> str:
    user = User._meta.db_table
    return f"(SELECT {user_label_sql('u')} FROM {user} u WHERE u.id = f.{column})"  # noqa: S608  # nosec B608


# The list's page as one fixed statement: the same rows, order and keyset cursor as
# `keyset_page(followup_list(...), field="due_on")`, without the ~1,200 Python calls of
# building that queryset on every request. Conditions are fixed SQL chosen by the
# filters; every value is a parameter.
_PAGE_SQL = f"""
    SELECT f.id, f.due_on, f.status, f.scheduled_at, f.site_id, f.placement_id,
           {_name_of("participant_id")}, {_name_of("interviewer_id")}
      FROM {{followup}} f WHERE {{conditions}}
     ORDER BY f.due_on {{direction}}, f.id {{direction}} LIMIT %s
"""  # noqa: S608  # nosec B608: table and column names from the models, values as parameters
_PAGE_COUNT_SQL = "SELECT COUNT(*) FROM (SELECT 1 FROM {followup} f WHERE {conditions} LIMIT %s) t"


def followup_page(
    scope: FollowUpScope,
    *,
    site: int | None,
    status: str | None,
    due: str | None,
    params,
    per_page: int,
    query: str,
    count: int | None,
    today: date | None = None,
) -> KeysetPage:
    """The page of the follow-ups in `scope` that `params` (request.GET) points at, with
    the list's filters, exactly as `keyset_page` pages `followup_list` (test_selectors.py
    compares the two)."""
    today = today or timezone.localdate()
    conditions, values = [], []
    if scope.facilitator is not None:
        sites = "f." + _FACILITATED_SITES_SQL.format(through=_FACILITATORS)
        values.append(scope.facilitator)
        if scope.elsewhere:
            sites = f"({sites} OR f.id IN ({_in(list(scope.elsewhere))}))"
            values += scope.elsewhere
        conditions.append(sites)
    if site is not None:
        conditions.append("f.site_id = %s")
        values.append(site)
    if status:
        conditions.append("f.status = %s")
        values.append(status)
    if due == "next30":
        conditions.append("f.status IN (%s, %s) AND f.due_on >= %s AND f.due_on <= %s")
        values += [*OPEN_FOLLOWUP_STATUSES, today, today + timedelta(days=DUE_WINDOW_DAYS)]
    elif due == "overdue":
        conditions.append("f.status IN (%s, %s) AND f.due_on < %s")
        values += [*OPEN_FOLLOWUP_STATUSES, today]
    after, before = parse_cursor(params.get("after")), parse_cursor(params.get("before"))
    number = positive_int(params.get("n"))

    def fetch(cursor: str, cursor_values: list, direction: str) -> list:
        where = " AND ".join([*conditions, cursor] if cursor else conditions) or "TRUE"
        sql = _PAGE_SQL.format(followup=_T["followup"], conditions=where, direction=direction)
        rows = _fetch(sql, [*values, *cursor_values, per_page + 1])
        return [FollowUpListEntry(*row) for row in rows]

    if before is not None:
        found = fetch(
            "f.due_on <= %s AND (f.due_on < %s OR f.id < %s)", [*before[:1], *before], "DESC"
        )
        found.reverse()
        has_previous = len(found) > per_page
        found = found[-per_page:]
        has_next = True
    else:
        if after is not None:
            found = fetch(
                "f.due_on >= %s AND (f.due_on > %s OR f.id > %s)", [*after[:1], *after], "ASC"
            )
        else:
            found = fetch("", [], "ASC")
        has_next = len(found) > per_page
        found = found[:per_page]
        has_previous = after is not None
    if not has_previous:
        number = 1

    if count is not None:
        counted = count
    elif after is None and before is None and not has_next:
        counted = len(found)
    else:
        sql = _PAGE_COUNT_SQL.format(
            followup=_T["followup"], conditions=" AND ".join(conditions) or "TRUE"
        )
        counted = _fetch(sql, [*values, COUNT_LIMIT + 1])[0][0]
    return assemble_page(
        found,
        number=number,
        has_next=has_next,
        has_previous=has_previous,
        query=query,
        key=lambda row: (row.due_on, row.pk),
        counted=counted,
        count_limit=COUNT_LIMIT,
    )


STATUS_LABELS = dict(FollowUpStatus.choices)


class FollowUpRow(NamedTuple):
    """What a row of the list shows, as plain strings (a named tuple: the Jinja2 fragment
    reads its attributes directly, without first trying and failing `getattr` on a dict)."""

    url: str
    participant: str
    follows: str
    site: str
    due: str
    status: str
    interview: str


def followup_list_rows(followups: list, *, site_names: dict[int, str]) -> list[FollowUpRow]:
    """What each row of the list shows. A site missing from `site_names` (an interview at
    a site the person does not otherwise see) is read in one query."""
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
            FollowUpRow(
                url=pk_url("interviews:followup_detail", followup.pk),
                participant=followup.participant_name,
                follows="Placement" if followup.placement_id else "CoP membership",
                site=site_names[followup.site_id],
                due=followup.due_on.isoformat(),
                status=STATUS_LABELS.get(followup.status, followup.status),
                interview=interview,
            )
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


def _in(values: list) -> str:
    """Placeholders for an IN list; `IN (NULL)` for none, which matches no row."""
    return ", ".join(["%s"] * len(values)) or "NULL"


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# The report's aggregates are parametrised SQL statements: as ORM querysets (annotations
# with filtered and distinct counts over five-table joins) Django spent longer building
# them than the database spent running them, and related aggregates that read the same
# rows are one statement each here (mentoring exposure: three as one; interview themes
# and quotes: two as one). Table names come from the models, values are parameters
# (PostgreSQL's SQL). test_report.py checks every number against the ORM querysets
# these replaced.
_T = {
    "cop": CommunityOfPractice._meta.db_table,
    "site": Site._meta.db_table,
    "membership": Membership._meta.db_table,
    "initiative": Initiative._meta.db_table,
    "session": MentoringSession._meta.db_table,
    "session_student": SessionStudent._meta.db_table,
    "session_professional": SessionProfessional._meta.db_table,
    "session_domain": MentoringSession.domains.through._meta.db_table,
    "domain": CompetencyDomain._meta.db_table,
    "framework": CompetencyFramework._meta.db_table,
    "student": Student._meta.db_table,
    "program": Program._meta.db_table,
    "profession": Profession._meta.db_table,
    "placement": Placement._meta.db_table,
    "followup": FollowUp._meta.db_table,
    "record": InterviewRecord._meta.db_table,
    "record_theme": InterviewRecord.themes.through._meta.db_table,
    "theme": Theme._meta.db_table,
    "quote": Quote._meta.db_table,
    "followup_count": FollowUpCount._meta.db_table,
}
_FACILITATORS = Site.facilitators.through._meta.db_table

COMMUNITIES_SHOWN = 100

# The CoPs started by the end of the period, in site and name order, with their member
# and initiative counts (all of them, whatever their dates) and how many CoPs there are
# in all (the window count, taken before the LIMIT).
_COMMUNITIES_SQL = """
    SELECT c.name, c.site_name, c.status,
           (SELECT COUNT(*) FROM {membership} m WHERE m.community_id = c.id),
           (SELECT COUNT(*) FROM {initiative} i WHERE i.community_id = c.id),
           c.total
      FROM (SELECT c.id, c.name, s.name AS site_name, c.status, COUNT(*) OVER () AS total
              FROM {cop} c JOIN {site} s ON s.id = c.site_id
             WHERE c.site_id IN ({sites}) AND c.started_on <= %s
             ORDER BY s.name, c.name, c.id
             LIMIT %s) c
     ORDER BY c.site_name, c.name, c.id
"""

# Initiatives alive during the period (created by its end, not ended before its start):
# counts by theme and status, and the five most recently updated implemented or
# sustained ones as examples.
_INITIATIVES_SQL = """
    WITH alive AS (
        SELECT i.id, i.theme, i.status, i.title, i.updated_at
          FROM {initiative} i JOIN {cop} c ON c.id = i.community_id
         WHERE c.site_id IN ({sites}) AND i.created_at < %s
           AND (i.ended_on IS NULL OR i.ended_on >= %s)
    )
    SELECT theme, status, COUNT(*), NULL, NULL, NULL FROM alive GROUP BY theme, status
    UNION ALL
    SELECT NULL, NULL, NULL, title, updated_at, id
      FROM (SELECT id, title, updated_at FROM alive WHERE status IN (%s, %s)
             ORDER BY updated_at DESC, id DESC LIMIT 5) examples
"""

# Students' IP exposure over the sessions held in the period: per student, the distinct
# professions other than their own among the session's professionals (students meeting
# none count as 0: the mean is the pairs met over the students); students per profession
# met; students and sessions per domain (as named: domains of same-named frameworks that
# share a name count as one, by the lowest id among them). Every attendance row is read
# once; each student's profession is looked up once, not once per session, and names
# are joined to the aggregates, not to the rows (1.5x faster than joining per row).
_EXPOSURE_SQL = """
    WITH attendance AS MATERIALIZED (
        SELECT ss.session_id, ss.student_id
          FROM {session_student} ss JOIN {session} s ON s.id = ss.session_id
         WHERE s.site_id IN ({sites}) AND s.held_on >= %s AND s.held_on <= %s
    ), students AS MATERIALIZED (
        SELECT st.id, p.profession_id
          FROM {student} st JOIN {program} p ON p.id = st.program_id
         WHERE st.id = ANY(ARRAY(SELECT DISTINCT student_id FROM attendance))
    ), met AS MATERIALIZED (
        SELECT DISTINCT a.student_id, sp.profession_id
          FROM attendance a
               JOIN students st ON st.id = a.student_id
               JOIN {session_professional} sp ON sp.session_id = a.session_id
         WHERE sp.profession_id <> st.profession_id
    ), domains AS MATERIALIZED (
        SELECT d.id, d.name, f.name AS framework,
               MIN(d.id) OVER (PARTITION BY d.name, f.name) AS canonical
          FROM {domain} d JOIN {framework} f ON f.id = d.framework_id
    )
    SELECT 'exposure', '', '', COUNT(*), 0,
           (SELECT COUNT(*) FROM met)::numeric / NULLIF(COUNT(*), 0)
      FROM students
    UNION ALL
    SELECT 'profession', pr.name, '', m.students, 0, NULL
      FROM (SELECT profession_id, COUNT(*) AS students FROM met GROUP BY profession_id) m
           JOIN {profession} pr ON pr.id = m.profession_id
    UNION ALL
    SELECT 'domain', d.name, d.framework, c.students, c.sessions, NULL
      FROM (SELECT d.canonical, COUNT(DISTINCT a.student_id) AS students,
                   COUNT(DISTINCT a.session_id) AS sessions
              FROM attendance a
                   JOIN {session_domain} sd ON sd.mentoringsession_id = a.session_id
                   JOIN domains d ON d.id = sd.competencydomain_id
             GROUP BY d.canonical) c
           JOIN domains d ON d.id = c.canonical
     ORDER BY 1, 4 DESC, 2, 3
"""

# Placements over the period (as `PlacementQuerySet.overlapping`), but cancelled ones, by
# model: placements and students.
_PLACEMENTS_SQL = """
    SELECT model, COUNT(*), COUNT(DISTINCT student_id)
      FROM {placement}
     WHERE site_id IN ({sites}) AND start_date <= %s AND end_date >= %s AND status <> %s
     GROUP BY model
     ORDER BY model
"""

# The follow-up interviews: from the interviews conducted in the period with consent, their
# 50 latest publishable quotes and their themes (interviews per theme); the follow-ups due
# in the period (but cancelled ones) by status, from followup_site_status_due_idx alone.
# (The quotes come first: their typed columns give the other branches' NULLs a type.)
_INTERVIEWS_SQL = """
    WITH records AS (
        SELECT r.id, r.conducted_on
          FROM {record} r JOIN {followup} f ON f.id = r.followup_id
         WHERE f.site_id IN ({sites}) AND r.conducted_on >= %s AND r.conducted_on <= %s
           AND r.consent_given
    )
    SELECT 'quote', text, NULL, speaker_role, theme, conducted_on, id
      FROM (SELECT q.text, q.speaker_role, COALESCE(t.name, '') AS theme, r.conducted_on, q.id
              FROM {quote} q
                   JOIN records r ON r.id = q.record_id
                   LEFT JOIN {theme} t ON t.id = q.theme_id
             WHERE q.may_publish
             ORDER BY r.conducted_on DESC, q.id LIMIT 50) quotes
    UNION ALL
    SELECT 'theme', t.name, COUNT(DISTINCT rt.interviewrecord_id), '', '', NULL, NULL
      FROM records r
           JOIN {record_theme} rt ON rt.interviewrecord_id = r.id
           JOIN {theme} t ON t.id = rt.theme_id
     GROUP BY t.id, t.name
    UNION ALL
    SELECT 'followup', status, COUNT(*), '', '', NULL, NULL
      FROM {followup}
     WHERE site_id IN ({sites}) AND due_on >= %s AND due_on <= %s AND status <> %s
     GROUP BY status
     ORDER BY 1, 3 DESC, 2
"""


# The choices the report labels its rows with, read once: building them from the enums
# on every request cost ~700 calls.
_COP_STATUSES = dict(CoPStatus.choices)
_INITIATIVE_STATUSES = tuple(InitiativeStatus.values)
_INITIATIVE_STATUS_CHOICES = tuple(InitiativeStatus.choices)
_INITIATIVE_THEMES = tuple(InitiativeTheme.choices)
_PLACEMENT_MODELS = dict(PlacementModel.choices)


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


def _report_communities(report: OutcomesReport, sites: str, site_ids: list[int]) -> None:
    statuses = _COP_STATUSES
    rows = _fetch(
        _COMMUNITIES_SQL.format(sites=sites, **_T),
        [*site_ids, report.end, COMMUNITIES_SHOWN],
    )
    report.communities = [
        CommunityRow(name, site, statuses.get(status, status), members, initiatives)
        for name, site, status, members, initiatives, _ in rows
    ]
    report.community_count = rows[0][-1] if rows else 0


def _theme_entry(theme: str, label: str) -> dict:
    return {
        "theme": theme,
        "label": label,
        "total": 0,
        "by_status": dict.fromkeys(_INITIATIVE_STATUSES, 0),
    }


def _report_initiatives(report: OutcomesReport, sites: str, site_ids: list[int]) -> None:
    # "Created on or before the period's last day" in local time, as an instant: the
    # start of the next local day.
    created_before = datetime.combine(
        report.end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    rows = _fetch(
        _INITIATIVES_SQL.format(sites=sites, **_T),
        [
            *site_ids,
            connection.ops.adapt_datetimefield_value(created_before),
            report.start,
            InitiativeStatus.IMPLEMENTED,
            InitiativeStatus.SUSTAINED,
        ],
    )
    by_theme = {value: _theme_entry(value, label) for value, label in _INITIATIVE_THEMES}
    examples = []
    for theme, status, n, title, updated_at, pk in rows:
        if theme is None:
            examples.append((updated_at, pk, title))
            continue
        entry = by_theme.setdefault(theme, _theme_entry(theme, theme))
        entry["total"] += n
        entry["by_status"][status] = n
    for entry in by_theme.values():
        entry["counts"] = [entry["by_status"][s] for s in _INITIATIVE_STATUSES]
    report.initiatives_by_theme = sorted(by_theme.values(), key=lambda e: -e["total"])
    report.initiative_statuses = list(_INITIATIVE_STATUS_CHOICES)
    report.initiative_total = sum(e["total"] for e in by_theme.values())
    examples.sort(reverse=True)  # the latest updated first
    report.implemented_examples = [title for _, _, title in examples]


def _report_exposure(report: OutcomesReport, sites: str, site_ids: list[int]) -> None:
    rows = _fetch(_EXPOSURE_SQL.format(sites=sites, **_T), [*site_ids, report.start, report.end])
    for kind, name, framework, students, sessions, average in rows:
        if kind == "exposure":
            report.exposure = {
                "students": students,
                "avg_professions": None if average is None else float(average),
            }
        elif kind == "profession":
            report.professions_met.append({"profession": name, "students": students})
        else:
            report.domains_covered.append(
                {"domain": name, "framework": framework, "students": students, "sessions": sessions}
            )


def _report_placements(report: OutcomesReport, sites: str, site_ids: list[int]) -> None:
    labels = _PLACEMENT_MODELS
    rows = _fetch(
        _PLACEMENTS_SQL.format(sites=sites, **_T),
        [*site_ids, report.end, report.start, PlacementStatus.CANCELLED],
    )
    report.placements_by_model = [
        {
            "model": model,
            "placements": placements,
            "students": students,
            "label": labels.get(model, model),
        }
        for model, placements, students in rows
    ]


def _report_interviews(report: OutcomesReport, sites: str, site_ids: list[int]) -> None:
    rows = _fetch(
        _INTERVIEWS_SQL.format(sites=sites, **_T),
        [
            *site_ids,
            report.start,
            report.end,
            *site_ids,
            report.start,
            report.end,
            FollowUpStatus.CANCELLED,
        ],
    )
    by_status: dict[str, int] = {}
    quotes = []
    for kind, name, n, speaker_role, theme, conducted_on, pk in rows:
        if kind == "followup":
            by_status[name] = n
        elif kind == "theme":
            report.themes.append(ThemeCount(name, n))
        else:
            quotes.append((conducted_on, pk, QuoteRow(name, speaker_role, theme)))
    report.followups = {
        "due": sum(by_status.values()),
        "completed": by_status.get(FollowUpStatus.COMPLETED, 0),
        "declined": by_status.get(FollowUpStatus.DECLINED, 0),
        "missed": by_status.get(FollowUpStatus.MISSED, 0),
        "open": sum(by_status.get(status, 0) for status in OPEN_FOLLOWUP_STATUSES),
    }
    # The latest interviews first, then in the order the quotes were taken.
    quotes.sort(key=itemgetter(1))
    quotes.sort(key=itemgetter(0), reverse=True)
    report.quotes = [quote for _, _, quote in quotes]


_FACILITATED_SITE_CHOICES = {
    "admin": "SELECT id, name FROM {site} ORDER BY name, id",
    "facilitator": "SELECT id, name FROM {site} WHERE id IN"
    " (SELECT site_id FROM {through} WHERE user_id = %s) ORDER BY name, id",
}


def report_site_choices(user: User) -> list[tuple[int, str]]:
    """(id, name) of exactly the sites `ipcop.permissions.sites_facilitated_by(user)`
    holds, by name: the report's site options, read on every request. A fixed statement:
    the queryset cost more Python to build than PostgreSQL spends answering it."""
    if user.is_admin:
        role = "admin"
    elif has_role(user, "facilitator"):
        role = "facilitator"
    else:
        return []
    sql = _FACILITATED_SITE_CHOICES[role].format(site=_T["site"], through=_FACILITATORS)
    return _fetch(sql, [] if role == "admin" else [user.pk])


def outcomes_report(*, sites: dict[int, str], start: date, end: date) -> OutcomesReport:
    """The outcomes report over `sites` (ids to names) and the period [start, end], in
    five statements whatever the data's size."""
    site_ids = list(sites)
    report = OutcomesReport(start=start, end=end, site_names=list(sites.values()))
    placeholders = _in(site_ids)
    for section in (
        _report_communities,
        _report_initiatives,
        _report_placements,
        _report_exposure,
        _report_interviews,
    ):
        section(report, placeholders, site_ids)
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
            ["communities of practice", community.name, community.site, community.initiatives]
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
                quote.theme,
                quote.text,
            ]
        )
    return rows
