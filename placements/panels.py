"""The placements app's panels on the home dashboard (templates/placements/panels/)."""

from __future__ import annotations

import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef
from django.db.models.functions import JSONObject

from ipcop.permissions import placements_visible_to
from mentoring.models import MentorAssignment, MentorRole
from placements.models import PlacementModel, PlacementStatus

CLOSED = (PlacementStatus.COMPLETED, PlacementStatus.CANCELLED)
STATUS_LABELS = dict(PlacementStatus.choices)
MODEL_LABELS = dict(PlacementModel.choices)
ROLE_LABELS = dict(MentorRole.choices)

# What the panel shows of a placement besides its own fields.
STUDENT_PLACEMENT = {
    "site_name": F("site__name"),
    "address": F("site__address"),
    "city": F("site__city"),
    "site_phone": F("site__phone"),
    "unit_name": F("unit__name"),
    "contact_name": F("contact__full_name"),
    "contact_email": F("contact__email"),
    "contact_phone": F("contact__phone"),
}


def student(user, *, today: datetime.date | None = None) -> dict:
    """A student's own placements with their site, unit, contact and mentoring team (in
    the team's order: role, then name), split into `current`, `upcoming` and `past`
    (most recent first): one query."""
    today = today or datetime.date.today()
    team = (
        MentorAssignment.objects.filter(placement=OuterRef("pk"))
        .order_by("role", "mentor__full_name", "pk")
        .values(
            json=JSONObject(name="mentor__full_name", profession="profession__name", role="role")
        )
    )
    placements = (
        placements_visible_to(user)
        .filter(student__user=user)
        .order_by("start_date", "pk")
        .values(
            "pk",
            "start_date",
            "end_date",
            "model",
            "status",
            **STUDENT_PLACEMENT,
            team=ArraySubquery(team),
        )
    )
    current, upcoming, past = [], [], []
    for placement in placements:
        placement["status_label"] = STATUS_LABELS.get(placement["status"], placement["status"])
        placement["model_label"] = MODEL_LABELS.get(placement["model"], placement["model"])
        for mentor in placement["team"]:
            mentor["role_label"] = ROLE_LABELS.get(mentor["role"], mentor["role"])
        if placement["status"] in CLOSED or placement["end_date"] < today:
            past.append(placement)
        elif placement["start_date"] > today:
            upcoming.append(placement)
        else:
            current.append(placement)
    # Most recent first: the past list grows, the latest matters most.
    past.reverse()
    return {"current": current, "upcoming": upcoming, "past": past}
