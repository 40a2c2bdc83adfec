"""The mentoring app's panels on the home dashboard (see ipcop/dashboard.py)."""

import datetime
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ipcop.dashboard import TodoLine
from ipcop.permissions import placements_manageable_by, sites_facilitated_by
from mentoring.cache import evaluations_version, teams_version
from placements.cache import placements_version
from placements.models import PlacementStatus, Student

from .models import EvaluationKind, MentoringSession, PlacementEvaluation, SessionStudent
from .selectors import placements_mentored_now, team_complete_q

PANEL_ROWS = 50


def preceptor(user) -> dict:
    """The students the preceptor mentors now (last session date annotated) and their five
    latest sessions with the number of students' reflections."""
    recent = (
        MentoringSession.objects.logged_by(user)
        .select_related("site")
        .only("held_on", "activity", "site__name")
        # A correlated count for the five rows shown (index session_logger_held_id_idx),
        # not a GROUP BY over every session the preceptor ever logged.
        .annotate(
            reflections=Coalesce(
                Subquery(
                    SessionStudent.objects.filter(session=OuterRef("pk"))
                    .exclude(reflection="")
                    .order_by()
                    .values("session")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .order_by("-held_on", "-pk")[:5]
    )
    return {"placements": preceptor_placements(user), "recent_sessions": recent}


def _student(field: str) -> Subquery:
    return Subquery(Student.objects.filter(pk=OuterRef("student_id")).values(field)[:1])


def preceptor_placements(user) -> list[dict]:
    """Up to PANEL_ROWS of the person's active placements (placements_mentored_now), by
    site and student name, with the names each row shows and the date of the student's
    last session on the placement. The student's names are scalar subqueries, each
    planned on its own: joined, the eight tables cost PostgreSQL more to plan than to
    read."""
    return list(
        placements_mentored_now(user)
        .annotate(
            student_name=_student("user__full_name"),
            profession_name=_student("program__profession__name"),
            site_name=F("site__name"),
            unit_name=F("unit__name"),
            # Per shown row, from the index on (placement, session).
            last_session=Subquery(
                SessionStudent.objects.filter(placement=OuterRef("pk"))
                .order_by()
                .values("placement")
                .annotate(last=Max("session__held_on"))
                .values("last")
            ),
        )
        .order_by("site_name", "student_name", "pk")
        .values(
            "pk",
            "student_id",
            "end_date",
            "student_name",
            "profession_name",
            "site_name",
            "unit_name",
            "last_session",
        )[:PANEL_ROWS]
    )


# The to-do list looks this far ahead for placements whose team is not complete.
TEAM_DUE_DAYS = 14
TODO_ROWS = 5
# Cached under the placements and teams versions; this bounds a write that bypasses them.
TODO_CACHE_SECONDS = 300


def facilitator_todo(user) -> list[TodoLine]:
    """The facilitator's mentoring to-do lines (ipcop.dashboard.TODO_SOURCES): requested
    or confirmed placements at their sites starting in the next TEAM_DUE_DAYS days
    without a complete mentoring team, with the first few linked to their team's page;
    and the evaluations overdue at their sites."""
    today = timezone.localdate()
    until = today + datetime.timedelta(days=TEAM_DUE_DAYS)
    scope = "all" if user.is_admin else user.pk
    key = f"mentoring:todo:{placements_version()}:{teams_version()}:{scope}:{today.isoformat()}"
    rows = cache.get(key)
    if rows is None:
        rows = list(
            placements_manageable_by(user)
            .filter(
                status__in=[PlacementStatus.REQUESTED, PlacementStatus.CONFIRMED],
                start_date__gte=today,
                start_date__lte=until,
            )
            .exclude(team_complete_q())
            .annotate(
                student_name=_student("user__full_name"),
                site_name=F("site__name"),
                total=Window(Count("pk")),
            )
            .order_by("start_date", "pk")
            .values("pk", "start_date", "student_name", "site_name", "total")[:TODO_ROWS]
        )
        cache.set(key, rows, TODO_CACHE_SECONDS)
    count = rows[0]["total"] if rows else 0
    return [
        _team_line(count, rows, today, until),
        _evaluations_overdue_line(user, today),
    ]


def _evaluations_overdue_line(user, today: datetime.date) -> TodoLine:
    """Evaluations not submitted after their due date, of placements at the person's
    sites, the longest overdue first, each linked to its page."""
    scope = "all" if user.is_admin else user.pk
    key = (
        f"mentoring:todo-evaluations:{evaluations_version()}:{placements_version()}:"
        f"{scope}:{today.isoformat()}"
    )
    rows = cache.get(key)
    if rows is None:
        overdue = PlacementEvaluation.objects.overdue(today)
        if not user.is_admin:
            overdue = overdue.filter(placement__site__in=sites_facilitated_by(user).values("pk"))
        rows = list(
            overdue.annotate(
                student_name=Subquery(
                    Student.objects.filter(pk=OuterRef("placement__student_id")).values(
                        "user__full_name"
                    )[:1]
                ),
                site_name=F("placement__site__name"),
                total=Window(Count("pk")),
            )
            .order_by("due_on", "pk")
            .values("pk", "kind", "due_on", "student_name", "site_name", "total")[:TODO_ROWS]
        )
        cache.set(key, rows, TODO_CACHE_SECONDS)
    count = rows[0]["total"] if rows else 0
    return TodoLine(
        count=count,
        text="evaluation overdue" if count == 1 else "evaluations overdue",
        url=f"{reverse('mentoring:evaluation_list')}?show=overdue",
        urgent=True,
        items=tuple(
            (
                f"{row['student_name']} at {row['site_name']}: "
                f"{EvaluationKind(row['kind']).label.lower()}, due "
                f"{date_format(row['due_on'], 'j M Y')}",
                reverse("mentoring:evaluation_detail", args=[row["pk"]]),
            )
            for row in rows
        ),
    )


def _team_line(count, rows, today, until) -> TodoLine:
    query = urlencode(
        {
            "start_from": today.isoformat(),
            "start_to": until.isoformat(),
            "team": "incomplete",
            "sort": "start",
        }
    )
    return TodoLine(
        count=count,
        text=(
            "placement starting in the next 14 days without a complete mentoring team"
            if count == 1
            else "placements starting in the next 14 days without a complete mentoring team"
        ),
        url=f"{reverse('placements:list')}?{query}",
        items=tuple(
            (
                f"{row['student_name']} at {row['site_name']}, from {date_format(row['start_date'], 'j M Y')}",
                reverse("mentoring:team_edit", args=[row["pk"]]),
            )
            for row in rows
        ),
    )
