"""The mentoring app's panels on the home dashboard (see ipcop/dashboard.py)."""

from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from placements.models import Student

from .models import MentoringSession, SessionStudent
from .selectors import placements_mentored_now

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
