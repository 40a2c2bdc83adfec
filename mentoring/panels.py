"""The mentoring app's panels on the home dashboard (see ipcop/dashboard.py)."""

from django.db.models import Count, Q

from .models import MentoringSession
from .selectors import placements_mentored_now

PANEL_ROWS = 50


def preceptor(user) -> dict:
    """The students the preceptor mentors now (last session date annotated) and their five
    latest sessions with the number of students' reflections."""
    recent = (
        MentoringSession.objects.logged_by(user)
        .select_related("site")
        .annotate(reflections=Count("attendance", filter=~Q(attendance__reflection="")))
        .order_by("-held_on", "-pk")[:5]
    )
    return {"placements": placements_mentored_now(user)[:PANEL_ROWS], "recent_sessions": recent}
