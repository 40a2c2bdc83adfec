"""The placements app's panels on the home dashboard (templates/placements/panels/)."""

from __future__ import annotations

import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Subquery, Value, Window
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import timezone

from ipcop.dashboard import TodoLine
from ipcop.permissions import (
    agreements_visible_to,
    import_jobs_visible_to,
    placements_manageable_by,
    placements_visible_to,
    programs_coordinated_by,
    requests_answerable_by,
    sites_facilitated_by,
)
from mentoring.models import MentorAssignment, MentorRole
from placements.cache import placements_version
from placements.models import (
    AGREEMENTS_EXPIRING_DAYS,
    Capacity,
    Placement,
    PlacementModel,
    PlacementStatus,
    Student,
)

# The to-do counts are cached under the version of the placements data (placements.cache),
# which the services bump; this bounds how long a write that bypasses them goes unseen.
TODO_CACHE_SECONDS = 300

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


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def facilitator_todo(user) -> list[TodoLine]:
    """The facilitator's placements to-do lines (ipcop.dashboard.TODO_SOURCES): placement
    requests from programs awaiting their answer, requested placements to confirm,
    capacities holding more placements than they offer and affiliation agreements in
    force ending soon at their sites (cached), and their own imports awaiting
    confirmation."""
    scope = "all" if user.is_admin else user.pk
    key = f"placements:todo:v3:{placements_version()}:{scope}:{timezone.localdate().isoformat()}"
    counts = cache.get(key)
    if counts is None:
        counts = {
            "requested": placements_manageable_by(user)
            .filter(status=PlacementStatus.REQUESTED)
            .count(),
            # As the capacity list shows them (its `over` filter): more places held than offered.
            "over": Capacity.objects.filter(site__in=sites_facilitated_by(user))
            .with_used()
            .filter(used__gt=F("places"))
            .count(),
            # As the agreements list's `expiring` filter shows them.
            "agreements": agreements_visible_to(user)
            .in_force()
            .ending_between(
                timezone.localdate(),
                timezone.localdate() + datetime.timedelta(days=AGREEMENTS_EXPIRING_DAYS),
            )
            .count(),
            "to_answer": requests_answerable_by(user).awaiting_site().count(),
        }
        cache.set(key, counts, TODO_CACHE_SECONDS)
    requested, over = counts["requested"], counts["over"]
    expiring, to_answer = counts["agreements"], counts["to_answer"]
    # Not cached: one read of the person's own few jobs, which change without a version.
    # The newest with how many there are (a window count), in one query.
    jobs = list(
        import_jobs_visible_to(user)
        .owned_by(user)
        .awaiting_confirmation()
        .annotate(total=Window(Count("pk")))
        .order_by("-created_at", "-id")
        .values_list("pk", "total")[:1]
    )
    job_count = jobs[0][1] if jobs else 0
    # One job: its own page, where it is confirmed; several: the imports page lists them.
    jobs_url = (
        reverse("placements:import_job", args=[jobs[0][0]])
        if job_count == 1
        else reverse("placements:import")
    )
    return [
        TodoLine(
            count=to_answer,
            text=_plural(
                to_answer, "request awaiting your answer", "requests awaiting your answer"
            ),
            url=reverse("placements:request_list") + "?status=requested",
        ),
        TodoLine(
            count=requested,
            text=_plural(
                requested,
                "requested placement awaiting confirmation",
                "requested placements awaiting confirmation",
            ),
            url=reverse("placements:list") + f"?status={PlacementStatus.REQUESTED}&sort=start",
        ),
        TodoLine(
            count=over,
            text=_plural(
                over,
                "capacity holding more placements than its places",
                "capacities holding more placements than their places",
            ),
            url=reverse("placements:capacity_list") + "?over=1",
            urgent=True,
        ),
        TodoLine(
            count=expiring,
            text=_plural(
                expiring,
                f"affiliation agreement expiring within {AGREEMENTS_EXPIRING_DAYS} days",
                f"affiliation agreements expiring within {AGREEMENTS_EXPIRING_DAYS} days",
            ),
            url=reverse("placements:agreement_list") + "?expiring=1",
            urgent=True,
        ),
        TodoLine(
            count=job_count,
            text=_plural(
                job_count, "import awaiting your confirmation", "imports awaiting your confirmation"
            ),
            url=jobs_url,
        ),
    ]


# Placements a coordinator may still expect to start: asked for, or confirmed.
UPCOMING = (PlacementStatus.REQUESTED, PlacementStatus.CONFIRMED)


def _count(queryset, field: str) -> Coalesce:
    """The number of `queryset`'s rows per `field` (an OuterRef'd row), as a subquery."""
    counted = queryset.order_by().values(field).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted), Value(0))


def coordinator(user, *, today: datetime.date | None = None) -> dict:
    """A program coordinator's programs (by institution and name), each with its number
    of students, of placements running now and of upcoming ones (requested or confirmed,
    starting from today): one query."""
    today = today or timezone.localdate()
    placements = Placement.objects.filter(student__program=OuterRef("pk"))
    programs = (
        programs_coordinated_by(user)
        .order_by("institution__name", "name", "pk")
        .values(
            "pk",
            "name",
            institution_name=F("institution__name"),
            profession_name=F("profession__name"),
            student_count=_count(Student.objects.filter(program=OuterRef("pk")), "program"),
            active_count=_count(
                placements.filter(status=PlacementStatus.ACTIVE), "student__program"
            ),
            upcoming_count=_count(
                placements.filter(status__in=UPCOMING, start_date__gte=today),
                "student__program",
            ),
        )
    )
    return {"programs": list(programs), "today": today}
