"""The mentoring app's panels on the home dashboard (see ipcop/dashboard.py)."""

from functools import cache
from types import SimpleNamespace

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Profession, User
from ipcop.lib.sql import Prepared, table_names
from placements.models import Placement, PlacementStatus, Program, Student
from sites.models import Site, Unit

from .models import MentorAssignment, MentoringSession, SessionStudent

PANEL_ROWS = 50


def preceptor(user) -> dict:
    """The students the preceptor mentors now (last session date annotated) and their five
    latest sessions with the number of students' reflections."""
    recent = (
        MentoringSession.objects.logged_by(user)
        .select_related("site")
        # A correlated count for the five rows shown (index session_logger_held_idx), not
        # a GROUP BY over every session the preceptor ever logged (660: 3 ms).
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


# The preceptor's students now, as `selectors.placements_mentored_now` defines them, with
# the names each row shows, hand-written: the ORM's six-table join cost PostgreSQL ~4 ms
# to plan (choosing a join order) for ~1 ms of execution; scalar subqueries per row are
# planned each on its own in a fraction of that. mentoring/tests/test_panels.py compares
# the rows with the queryset.
_PRECEPTOR_SQL = """
    SELECT x.* FROM (
        SELECT p.id, p.student_id, p.end_date,
               (SELECT u.full_name FROM {student} s JOIN {user} u ON u.id = s.user_id
                WHERE s.id = p.student_id) AS student_name,
               (SELECT pr.name FROM {student} s JOIN {program} pg ON pg.id = s.program_id
                JOIN {profession} pr ON pr.id = pg.profession_id
                WHERE s.id = p.student_id) AS profession_name,
               (SELECT si.name FROM {site} si WHERE si.id = p.site_id) AS site_name,
               (SELECT un.name FROM {unit} un WHERE un.id = p.unit_id) AS unit_name,
               (SELECT max(ms.held_on) FROM {attendance} a
                JOIN {session} ms ON ms.id = a.session_id
                WHERE a.placement_id = p.id) AS last_session
        FROM {placement} p
        WHERE p.status = %(active)s
          AND p.id IN (SELECT m.placement_id FROM {assignment} m WHERE m.mentor_id = %(user)s)
    ) x
    ORDER BY x.site_name, x.student_name, x.id
    LIMIT %(rows)s
"""


@cache
def _preceptor() -> Prepared:
    sql = _PRECEPTOR_SQL.format(  # nosec B608: table names from the models
        **table_names(
            student=Student,
            user=User,
            program=Program,
            profession=Profession,
            site=Site,
            unit=Unit,
            attendance=SessionStudent,
            session=MentoringSession,
            placement=Placement,
            assignment=MentorAssignment,
        )
    )
    return Prepared("preceptor_placements", sql)


def preceptor_placements(user) -> list[SimpleNamespace]:
    """Up to PANEL_ROWS of the person's active placements, by site and student name."""
    rows = _preceptor().fetch_dicts(
        {"active": PlacementStatus.ACTIVE, "user": user.pk, "rows": PANEL_ROWS}
    )
    return [SimpleNamespace(pk=row["id"], **row) for row in rows]
