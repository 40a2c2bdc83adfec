"""Reads of the interviews app: follow-up lists and counts, and the outcomes report,
which reads across sites, placements, mentoring and interviews. Every aggregate is done
in the database, so a page's query count does not grow with the rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
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
    cut_page,
    parse_cursor,
    positive_int,
)
from ipcop.lib.sql import Prepared
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
# the time). The open statuses are written into the statement, not passed: a prepared
# statement's generic plan could not otherwise prove that the partial index applies.
_OPEN_STATUSES_SQL = "({})".format(", ".join(f"'{status}'" for status in OPEN_FOLLOWUP_STATUSES))
_COUNTS_SQL = {
    "totals": "SELECT status, SUM(total), 0, 0 FROM {count} WHERE {sites} GROUP BY status",
    "open": "SELECT NULL, 0, COUNT(*) FILTER (WHERE due_on >= %(today)s),"
    " COUNT(*) FILTER (WHERE due_on < %(today)s) FROM {followup}"
    " WHERE {sites} AND status IN {open} AND due_on <= %(window_end)s",
    "by_id": "SELECT status, COUNT(*),"
    " COUNT(*) FILTER (WHERE due_on >= %(today)s AND due_on <= %(window_end)s),"
    " COUNT(*) FILTER (WHERE due_on < %(today)s) FROM {followup}"
    " WHERE id = ANY(%(elsewhere)s){site} GROUP BY status",
}
_FACILITATED_SITES_SQL = (
    "site_id = ANY(ARRAY(SELECT site_id FROM {through} WHERE user_id = %(facilitator)s))"
)


def _counts_sql(scope: FollowUpScope, site: int | None) -> str:
    conditions = []
    if scope.facilitator is not None:
        conditions.append(_FACILITATED_SITES_SQL.format(through=_FACILITATORS))
    if site is not None:
        conditions.append("site_id = %(site)s")
    sites = " AND ".join(conditions) or "TRUE"
    parts = [
        _COUNTS_SQL["totals"].format(count=_T["followup_count"], sites=sites),
        _COUNTS_SQL["open"].format(followup=_T["followup"], sites=sites, open=_OPEN_STATUSES_SQL),
    ]
    if scope.elsewhere:
        parts.append(
            _COUNTS_SQL["by_id"].format(
                followup=_T["followup"], site="" if site is None else " AND site_id = %(site)s"
            )
        )
    return " UNION ALL ".join(parts)


def _scope_values(scope: FollowUpScope, site: int | None, today: date) -> dict:
    return {
        "facilitator": scope.facilitator,
        "elsewhere": list(scope.elsewhere),
        "site": site,
        "today": today,
        "window_end": today + timedelta(days=DUE_WINDOW_DAYS),
    }


def _counts_of(rows) -> dict:
    counts = dict.fromkeys(["total", "next30", "overdue", *FollowUpStatus.values], 0)
    for status, total, next30, overdue in rows:
        if status is not None:
            counts[status] += total
            counts["total"] += total
        if status is None or status in OPEN_FOLLOWUP_STATUSES:
            counts["next30"] += next30
            counts["overdue"] += overdue
    return counts


# Statements of a fixed shape whose one plan suits every person: kept prepared on each
# connection, by their SQL.
_PREPARED: dict[str, Prepared] = {}


def _prepared(sql: str) -> Prepared:
    statement = _PREPARED.get(sql)
    if statement is None:
        statement = _PREPARED[sql] = Prepared(f"followups_{len(_PREPARED)}", sql)
    return statement


def followup_counts_in_scope(
    scope: FollowUpScope, *, site: int | None = None, today: date | None = None
) -> dict:
    """`followup_counts` of the follow-ups in `scope` (at `site` only, if given), in one
    statement that reads no follow-up but the open ones due by the end of the next window
    and those added by id. test_followup_counts.py checks it against `followup_counts`.
    A prepared statement (the home page's panel, the list's tabs): each of its parts is
    an index look-up whatever the person's number of sites, so one plan suits all."""
    values = _scope_values(scope, site, today or timezone.localdate())
    return _counts_of(_prepared(_counts_sql(scope, site)).fetch_all(values))


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
    """A row of `followup_list` / `followup_list_page`: what `followup_list_rows` reads."""

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


# The list's tab counts and page as one fixed statement: the counts of
# `followup_counts_in_scope` (as JSON text, parsed once), the same rows, order and keyset
# cursor as `keyset_page(followup_list(...), field="due_on")`, without the ~1,200 Python
# calls of building that queryset on every request, and, when the tabs do not give the
# list's size (a status and a due window), the capped count. One row of NULLs but the
# counts when the page is empty. Conditions are fixed SQL chosen by the filters; every
# value is a parameter, but the limits, written into the statement: a generic plan sizes
# a `LIMIT $1` at a tenth of the table.
_LIST_SQL = f"""
    {{scope}}
    SELECT c.counts, c.counted, p.*
      FROM (SELECT (SELECT json_agg(json_build_array(s, t, n, o)) FROM ({{counts}}) x(s, t, n, o)
                   )::text AS counts,
                   {{counted}} AS counted) c
      LEFT JOIN LATERAL (
           SELECT f.id, f.due_on, f.status, f.scheduled_at, f.site_id, f.placement_id,
                  {_name_of("participant_id")} AS participant_name,
                  {_name_of("interviewer_id")} AS interviewer_name
             FROM ({{page}}) f
            ORDER BY f.due_on {{direction}}, f.id {{direction}} LIMIT {{rows:d}}
      ) p ON TRUE
     ORDER BY p.due_on {{direction}}, p.id {{direction}}
"""  # noqa: S608  # nosec B608: table and column names from the models, values as parameters
_PAGE_COLUMNS = "f.id, f.due_on, f.status, f.scheduled_at, f.site_id, f.placement_id,"
_PAGE_COLUMNS += " f.participant_id, f.interviewer_id"
# The page's candidate rows: those of the whole list, walking its order's index.
_WALK_SQL = (
    "SELECT {columns} FROM {followup} f WHERE {conditions}"
    " ORDER BY f.due_on {direction}, f.id {direction} LIMIT {limit}"
)
_WALK_UNLESS_FEW = "(SELECT CASE WHEN few THEN 0 ELSE {rows:d} END FROM scope)"
# A facilitator's scope has two forms, and a LIMIT of 0 keeps the other from running (as
# the dashboard's, sites/panels.py). Walking the list's index finds a page of s sites out
# of N after about 51 × N / s rows: for a zone's 100 sites of 500, 255 rows; for 2 sites,
# 12,750 (15 ms). For FEW_SITES or fewer, the page is taken from each site's first rows
# instead (a site has a few hundred follow-ups, read by followup_site_status_due_idx),
# plus the follow-ups elsewhere by id.
_SCOPE_SQL = (
    "WITH scope AS MATERIALIZED (SELECT ids, cardinality(ids) <= {few:d} AS few FROM"
    " (SELECT ARRAY(SELECT site_id FROM {through} WHERE user_id = %(facilitator)s) AS ids"
    " OFFSET 0) x)"
)
_BY_SITE_SQL = (
    "SELECT f.* FROM (SELECT unnest(ids) FROM scope WHERE few) s(site_id)"
    " CROSS JOIN LATERAL (SELECT {columns} FROM {followup} f"
    " WHERE f.site_id = s.site_id AND {conditions}"
    " ORDER BY f.due_on {direction}, f.id {direction} LIMIT {rows:d}) f"
)
_ELSEWHERE_SQL = (
    "SELECT {columns} FROM {followup} f WHERE (SELECT few FROM scope)"
    " AND f.id = ANY(%(elsewhere)s) AND {conditions}"
)
FEW_SITES = 10
_LIST_COUNT_SQL = (
    "(SELECT COUNT(*) FROM (SELECT 1 FROM {followup} f WHERE {conditions} LIMIT {limit:d}) t)"
)
_FILTERS_SQL = {
    "site": "f.site_id = %(site)s",
    "status": "f.status = %(status)s",
    "next30": f"f.status IN {_OPEN_STATUSES_SQL}"
    " AND f.due_on >= %(today)s AND f.due_on <= %(window_end)s",
    "overdue": f"f.status IN {_OPEN_STATUSES_SQL} AND f.due_on < %(today)s",
}
# The rows after (or before) a cursor in the order fetched; `due_on >= key` is the range
# the index scan starts from, the OR drops the rows that share the cursor's date.
_CURSOR_SQL = {
    "after": "f.due_on >= %(key)s AND (f.due_on > %(key)s OR f.id > %(key_pk)s)",
    "before": "f.due_on <= %(key)s AND (f.due_on < %(key)s OR f.id < %(key_pk)s)",
}


def followup_list_page(
    scope: FollowUpScope,
    *,
    site: int | None,
    status: str | None,
    due: str | None,
    params,
    per_page: int,
    query: str,
    today: date | None = None,
) -> tuple[dict, KeysetPage]:
    """The tab counts of the follow-ups in `scope` (at `site` only, if given: as
    `followup_counts_in_scope`) and the page of them that `params` (request.GET) points
    at, with the list's filters, exactly as `keyset_page` pages `followup_list`, its
    count from the tabs where one tab holds the list. One statement; prepared for the
    unfiltered list (the scope's sites are a subquery, unknown to any plan: one plan
    suits everyone), planned on each request with filters, whose selectivity a generic
    plan would not know. test_followup_counts.py compares both with the querysets."""
    values = _scope_values(scope, site, today or timezone.localdate())
    conditions = []
    if site is not None:
        conditions.append(_FILTERS_SQL["site"])
    if status:
        conditions.append(_FILTERS_SQL["status"])
        values["status"] = status
    if due in DUE_FILTERS:
        conditions.append(_FILTERS_SQL[due])
    after, before = parse_cursor(params.get("after")), parse_cursor(params.get("before"))
    page_conditions = list(conditions)  # the filters and the cursor, but not the scope
    if before is not None or after is not None:
        values["key"], values["key_pk"] = before or after
        page_conditions.append(_CURSOR_SQL["after" if before is None else "before"])
    direction = "ASC" if before is None else "DESC"
    rows_limit = per_page + 1
    filters = " AND ".join(page_conditions) or "TRUE"
    if scope.facilitator is None:
        scope_sql = ""
        page = _WALK_SQL.format(
            columns=_PAGE_COLUMNS,
            followup=_T["followup"],
            conditions=filters,
            direction=direction,
            limit=rows_limit,
        )
    else:
        sites = "f." + _FACILITATED_SITES_SQL.format(through=_FACILITATORS)
        if scope.elsewhere:
            sites = f"({sites} OR f.id = ANY(%(elsewhere)s))"
        conditions.insert(0, sites)
        scope_sql = _SCOPE_SQL.format(few=FEW_SITES, through=_FACILITATORS)
        parts = [
            _WALK_SQL.format(
                columns=_PAGE_COLUMNS,
                followup=_T["followup"],
                conditions=" AND ".join([sites, *page_conditions]),
                direction=direction,
                limit=_WALK_UNLESS_FEW.format(rows=rows_limit),
            ),
            _BY_SITE_SQL.format(
                columns=_PAGE_COLUMNS,
                followup=_T["followup"],
                conditions=filters,
                direction=direction,
                rows=rows_limit,
            ),
        ]
        if scope.elsewhere:
            parts.append(
                _ELSEWHERE_SQL.format(
                    columns=_PAGE_COLUMNS, followup=_T["followup"], conditions=filters
                )
            )
        page = " UNION ALL ".join(f"({part})" for part in parts)
    where = " AND ".join(conditions) or "TRUE"
    sql = _LIST_SQL.format(
        scope=scope_sql,
        page=page,
        counts=_counts_sql(scope, site),
        # The tabs count the list unless it is both a status and a due window.
        counted=_LIST_COUNT_SQL.format(
            followup=_T["followup"], conditions=where, limit=COUNT_LIMIT + 1
        )
        if status and due
        else "NULL",
        direction=direction,
        rows=rows_limit,
    )
    if site is None and not status and not due:
        rows = _prepared(sql).fetch_all(values)
    else:
        rows = _fetch(sql, values)
    counts = _counts_of(json.loads(rows[0][0]) or ())
    counted = rows[0][1] if status and due else counts[status or due or "total"]
    found = [FollowUpListEntry(*row[2:]) for row in rows if row[2] is not None]
    number = positive_int(params.get("n"))
    if before is not None:
        found.reverse()  # read nearest the cursor first
    found, has_next, has_previous = cut_page(found, per_page=per_page, after=after, before=before)
    page = assemble_page(
        found,
        number=number if has_previous else 1,
        has_next=has_next,
        has_previous=has_previous,
        query=query,
        key=lambda row: (row.due_on, row.pk),
        counted=counted,
        count_limit=COUNT_LIMIT,
    )
    return counts, page


STATUS_LABELS = dict(FollowUpStatus.choices)


class FollowUpRow(NamedTuple):
    """What a row of the list shows, as plain strings (a named tuple: the Jinja2 fragment
    unpacks it in its loop, in this order, with no look-up per cell)."""

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
    zone = timezone.get_current_timezone()  # once, not once per row (timezone.localtime)
    return [
        FollowUpRow(
            url=pk_url("interviews:followup_detail", followup.pk),
            participant=followup.participant_name,
            follows="Placement" if followup.placement_id else "CoP membership",
            site=site_names[followup.site_id],
            due=followup.due_on.isoformat(),
            status=STATUS_LABELS.get(followup.status, followup.status),
            interview=f"{followup.scheduled_at.astimezone(zone):%Y-%m-%d %H:%M}"
            f" with {followup.interviewer_name}"
            if followup.scheduled_at
            else "",
        )
        for followup in followups
    ]


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


def _fetch(sql: str, params: list | dict) -> list[tuple]:
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

# The whole report as one statement with a JSON column per section, run as a prepared
# statement (`ipcop.lib.sql.Prepared`, generic plan) with the sites as one array: as five
# statements planned on every request, planning (~2.5 ms) and the round trips cost as
# much as the reading on the province data set. The generic plan was checked against
# each request's own plan for one site and for a zone's 10, 100 and 500 sites: as fast
# or faster (it reads a site's rows through their indexes whatever their number). So
# that it stays so, no condition joins a site's rows to another table's in an order the
# planner would choose by their number: the CoPs' initiatives are read by the CoPs' ids
# (`= ANY(ARRAY(…))`), the CoPs' site names by a scalar subquery.
#
# - communities: the CoPs started by the end of the period, in site and name order, with
#   their member and initiative counts (all of them, whatever their dates) and how many
#   CoPs there are in all (the window count, taken before the LIMIT);
# - initiatives, examples: initiatives alive during the period (created by its end, not
#   ended before its start), counted by theme and status, and the five most recently
#   updated implemented or sustained ones;
# - placements: placements over the period (as `PlacementQuerySet.overlapping`), but
#   cancelled ones, by model: placements and students;
# - exposure, professions, domains: students' IP exposure over the sessions held in the
#   period: per student, the distinct professions other than their own among the
#   session's professionals (students meeting none count as 0: the mean is the pairs met
#   over the students); students per profession met; students and sessions per domain
#   (as named: domains of same-named frameworks that share a name count as one, by the
#   lowest id among them). Every attendance row is read once; each student's profession
#   is looked up once, not once per session, and names are joined to the aggregates,
#   not to the rows;
# - quotes, themes: from the interviews conducted in the period with consent, their 50
#   latest publishable quotes and their themes (interviews per theme);
# - followups: the follow-ups due in the period (but cancelled ones) by status, from
#   followup_site_status_due_idx alone.
_OUTCOMES_REPORT_SQL = """
    WITH {scope}attendance AS MATERIALIZED (
        SELECT ss.session_id, ss.student_id
          FROM {session_student} ss JOIN {session} s ON s.id = ss.session_id
         WHERE s.site_id = ANY({sites}) AND s.held_on >= %(start)s AND s.held_on <= %(end)s
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
    ), alive AS MATERIALIZED (
        SELECT i.id, i.theme, i.status, i.title, i.updated_at
          FROM {initiative} i
         WHERE i.community_id = ANY(ARRAY(SELECT id FROM {cop} WHERE site_id = ANY({sites})))
           AND i.created_at < %(created_before)s
           AND (i.ended_on IS NULL OR i.ended_on >= %(start)s)
    ), records AS MATERIALIZED (
        SELECT r.id, r.conducted_on
          FROM {record} r JOIN {followup} f ON f.id = r.followup_id
         WHERE f.site_id = ANY({sites}) AND r.conducted_on >= %(start)s
           AND r.conducted_on <= %(end)s AND r.consent_given
    )
    SELECT {choices}
        (SELECT json_agg(json_build_array(c.name, c.site_name, c.status,
                    (SELECT COUNT(*) FROM {membership} m WHERE m.community_id = c.id),
                    (SELECT COUNT(*) FROM {initiative} i WHERE i.community_id = c.id),
                    c.total) ORDER BY c.site_name, c.name, c.id)
           FROM (SELECT c.id, c.name, c.status, COUNT(*) OVER () AS total,
                        (SELECT s.name FROM {site} s WHERE s.id = c.site_id) AS site_name
                   FROM {cop} c
                  WHERE c.site_id = ANY({sites}) AND c.started_on <= %(end)s
                  ORDER BY site_name, c.name, c.id
                  LIMIT %(communities_shown)s) c) AS communities,
        (SELECT json_agg(json_build_array(theme, status, n))
           FROM (SELECT theme, status, COUNT(*) AS n FROM alive GROUP BY theme, status) t
        ) AS initiatives,
        (SELECT json_agg(title ORDER BY updated_at DESC, id DESC)
           FROM (SELECT id, title, updated_at FROM alive
                  WHERE status IN (%(implemented)s, %(sustained)s)
                  ORDER BY updated_at DESC, id DESC LIMIT 5) e) AS examples,
        (SELECT json_agg(json_build_array(model, placements, students) ORDER BY model)
           FROM (SELECT model, COUNT(*) AS placements, COUNT(DISTINCT student_id) AS students
                   FROM {placement}
                  WHERE site_id = ANY({sites}) AND start_date <= %(end)s
                    AND end_date >= %(start)s AND status <> %(placement_cancelled)s
                  GROUP BY model) p) AS placements,
        (SELECT json_build_array(COUNT(*),
                                 (SELECT COUNT(*) FROM met)::numeric / NULLIF(COUNT(*), 0))
           FROM students) AS exposure,
        (SELECT json_agg(json_build_array(pr.name, m.students) ORDER BY m.students DESC, pr.name)
           FROM (SELECT profession_id, COUNT(*) AS students FROM met GROUP BY profession_id) m
                JOIN {profession} pr ON pr.id = m.profession_id) AS professions,
        (SELECT json_agg(json_build_array(d.name, d.framework, c.students, c.sessions)
                         ORDER BY c.students DESC, d.name, d.framework)
           FROM (SELECT d.canonical, COUNT(DISTINCT a.student_id) AS students,
                        COUNT(DISTINCT a.session_id) AS sessions
                   FROM attendance a
                        JOIN {session_domain} sd ON sd.mentoringsession_id = a.session_id
                        JOIN domains d ON d.id = sd.competencydomain_id
                  GROUP BY d.canonical) c
                JOIN domains d ON d.id = c.canonical) AS domains,
        (SELECT json_agg(json_build_array(text, speaker_role, theme)
                         ORDER BY conducted_on DESC, id)
           FROM (SELECT q.text, q.speaker_role, COALESCE(t.name, '') AS theme,
                        r.conducted_on, q.id
                   FROM {quote} q
                        JOIN records r ON r.id = q.record_id
                        LEFT JOIN {theme} t ON t.id = q.theme_id
                  WHERE q.may_publish
                  ORDER BY r.conducted_on DESC, q.id LIMIT 50) q) AS quotes,
        (SELECT json_agg(json_build_array(name, n) ORDER BY n DESC, name)
           FROM (SELECT t.name, COUNT(DISTINCT rt.interviewrecord_id) AS n
                   FROM records r
                        JOIN {record_theme} rt ON rt.interviewrecord_id = r.id
                        JOIN {theme} t ON t.id = rt.theme_id
                  GROUP BY t.id, t.name) t) AS themes,
        (SELECT json_object_agg(status, n)
           FROM (SELECT status, COUNT(*) AS n FROM {followup}
                  WHERE site_id = ANY({sites}) AND due_on >= %(start)s AND due_on <= %(end)s
                    AND status <> %(followup_cancelled)s
                  GROUP BY status) f) AS followups
"""  # noqa: S608  # nosec B608: table names from the models, values as parameters


# The report's sites, as `ipcop.permissions.sites_facilitated_by`: every site for an
# admin, the sites a facilitator facilitates (by their id) for a facilitator.
_REPORT_SITES_SQL = {
    "admin": "SELECT id, name FROM {site}",
    "facilitator": "SELECT id, name FROM {site}"
    " WHERE id IN (SELECT site_id FROM {through} WHERE user_id = %(person)s)",
}

# How the report's statement gets its sites: given (`outcomes_report`), or as the
# person's report sites, all of them or the one asked for if it is one of them, read by
# the statement itself, which then also returns them as the form's options
# (`outcomes_report_for`): one round trip less on every request.
_GIVEN_SITES = {"scope": "", "sites": "%(sites)s", "choices": "NULL, NULL,"}
_PERSON_SITES = {
    "scope": """choices AS MATERIALIZED ({choices}), scope AS MATERIALIZED (
        SELECT ARRAY(SELECT id FROM choices WHERE %(site)s::bigint IS NULL OR id = %(site)s)
               AS sites
    ), """,
    "sites": "(SELECT sites FROM scope)::bigint[]",
    "choices": "ARRAY(SELECT id FROM choices ORDER BY name, id),"
    " ARRAY(SELECT name FROM choices ORDER BY name, id),",
}


def _report_sites_sql(role: str) -> str:
    return _REPORT_SITES_SQL[role].format(site=_T["site"], through=_FACILITATORS)


@cache
def _outcomes_report_statement(role: str | None) -> Prepared:
    """The report's statement over given sites (role None) or a person's (their role)."""
    if role is None:
        parts = _GIVEN_SITES
    else:
        parts = {
            **_PERSON_SITES,
            "scope": _PERSON_SITES["scope"].format(choices=_report_sites_sql(role)),
        }
    return Prepared(
        f"outcomes_report_{role or 'given'}", _OUTCOMES_REPORT_SQL.format(**parts, **_T)
    )


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


def _theme_entry(theme: str, label: str) -> dict:
    return {
        "theme": theme,
        "label": label,
        "total": 0,
        "by_status": dict.fromkeys(_INITIATIVE_STATUSES, 0),
    }


def _report_communities(report: OutcomesReport, rows: list | None) -> None:
    statuses = _COP_STATUSES
    rows = rows or []
    report.communities = [
        CommunityRow(name, site, statuses.get(status, status), members, initiatives)
        for name, site, status, members, initiatives, _ in rows
    ]
    report.community_count = rows[0][-1] if rows else 0


def _report_initiatives(report: OutcomesReport, rows: list | None, examples: list | None) -> None:
    by_theme = {value: _theme_entry(value, label) for value, label in _INITIATIVE_THEMES}
    for theme, status, n in rows or ():
        entry = by_theme.setdefault(theme, _theme_entry(theme, theme))
        entry["total"] += n
        entry["by_status"][status] = n
    for entry in by_theme.values():
        entry["counts"] = [entry["by_status"][s] for s in _INITIATIVE_STATUSES]
    report.initiatives_by_theme = sorted(by_theme.values(), key=lambda e: -e["total"])
    report.initiative_statuses = list(_INITIATIVE_STATUS_CHOICES)
    report.initiative_total = sum(e["total"] for e in by_theme.values())
    report.implemented_examples = examples or []  # the latest updated first


def _report_placements(report: OutcomesReport, rows: list | None) -> None:
    labels = _PLACEMENT_MODELS
    report.placements_by_model = [
        {
            "model": model,
            "placements": placements,
            "students": students,
            "label": labels.get(model, model),
        }
        for model, placements, students in rows or ()
    ]


def _report_exposure(
    report: OutcomesReport, exposure: list, professions: list | None, domains: list | None
) -> None:
    students, average = exposure
    report.exposure = {
        "students": students,
        "avg_professions": None if average is None else float(average),
    }
    report.professions_met = [{"profession": name, "students": n} for name, n in professions or ()]
    report.domains_covered = [
        {"domain": name, "framework": framework, "students": n, "sessions": sessions}
        for name, framework, n, sessions in domains or ()
    ]


def _report_interviews(
    report: OutcomesReport, quotes: list | None, themes: list | None, by_status: dict | None
) -> None:
    by_status = by_status or {}
    report.followups = {
        "due": sum(by_status.values()),
        "completed": by_status.get(FollowUpStatus.COMPLETED, 0),
        "declined": by_status.get(FollowUpStatus.DECLINED, 0),
        "missed": by_status.get(FollowUpStatus.MISSED, 0),
        "open": sum(by_status.get(status, 0) for status in OPEN_FOLLOWUP_STATUSES),
    }
    # The latest interviews first, then in the order the quotes were taken (the SQL's).
    report.quotes = [QuoteRow(*quote) for quote in quotes or ()]
    report.themes = [ThemeCount(*theme) for theme in themes or ()]


def _report_role(user: User) -> tuple[str, dict] | None:
    """Whose sites the person's report covers (`_REPORT_SITES_SQL`), and its parameters."""
    if user.is_admin:
        return "admin", {}
    if has_role(user, "facilitator"):
        return "facilitator", {"person": user.pk}
    return None


@cache
def _report_site_choices_statement(role: str) -> Prepared:
    return Prepared(f"report_sites_{role}", f"{_report_sites_sql(role)} ORDER BY name, id")


def report_site_choices(user: User) -> list[tuple[int, str]]:
    """(id, name) of exactly the sites `ipcop.permissions.sites_facilitated_by(user)`
    holds, by name: the report's site options (`outcomes_report_for` reads them with the
    report; this when there is no report to read). A fixed statement: the queryset cost
    more Python to build than PostgreSQL spends answering it."""
    role = _report_role(user)
    if role is None:
        return []
    return _report_site_choices_statement(role[0]).fetch_all(role[1])


def _report_params(start: date, end: date) -> dict:
    # "Created on or before the period's last day" in local time, as an instant: the
    # start of the next local day.
    created_before = datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    return {
        "start": start,
        "end": end,
        "created_before": connection.ops.adapt_datetimefield_value(created_before),
        "communities_shown": COMMUNITIES_SHOWN,
        "implemented": InitiativeStatus.IMPLEMENTED,
        "sustained": InitiativeStatus.SUSTAINED,
        "placement_cancelled": PlacementStatus.CANCELLED,
        "followup_cancelled": FollowUpStatus.CANCELLED,
    }


def _report_from_row(report: OutcomesReport, row: tuple) -> OutcomesReport:
    (
        communities,
        initiatives,
        examples,
        placements,
        exposure,
        professions,
        domains,
        quotes,
        themes,
        followups,
    ) = row
    _report_communities(report, communities)
    _report_initiatives(report, initiatives, examples)
    _report_placements(report, placements)
    _report_exposure(report, exposure, professions, domains)
    _report_interviews(report, quotes, themes, followups)
    return report


def outcomes_report(*, sites: dict[int, str], start: date, end: date) -> OutcomesReport:
    """The outcomes report over `sites` (ids to names) and the period [start, end], in
    one statement whatever the data's size."""
    report = OutcomesReport(start=start, end=end, site_names=list(sites.values()))
    row = _outcomes_report_statement(None).fetch_row(
        {"sites": list(sites), **_report_params(start, end)}
    )
    return _report_from_row(report, row[2:])


def outcomes_report_for(
    user: User, *, site: int | None, start: date, end: date
) -> tuple[list[tuple[int, str]], OutcomesReport]:
    """The person's report sites (`report_site_choices`) and, in the same statement, the
    outcomes report over all of them, or over `site` alone if it is one of them (over no
    site if it is not: the form then rejects it)."""
    role = _report_role(user)
    if role is None:
        return [], outcomes_report(sites={}, start=start, end=end)
    ids, names, *row = _outcomes_report_statement(role[0]).fetch_row(
        {"site": site, **role[1], **_report_params(start, end)}
    )
    choices = list(zip(ids, names, strict=True))
    shown = [name for pk, name in choices if site is None or pk == site]
    report = OutcomesReport(start=start, end=end, site_names=shown)
    return choices, _report_from_row(report, row)


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
