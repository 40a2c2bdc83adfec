"""Writes of the sites app: sites, units, communities of practice, members, meetings and
initiatives. Views and forms call these; each validates with `full_clean()` and raises
`ValidationError` (keyed by field where it can) so nothing is saved on bad input."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ipcop.lib.formats import human_date
from sites.cache import activity_changed
from sites.models import (
    COP_COUNTERS,
    INITIATIVE_TRANSITIONS,
    CommunityOfPractice,
    CoPStatus,
    Initiative,
    InitiativeStatus,
    Meeting,
    Membership,
    MembershipRole,
    Site,
    Unit,
    count_subquery,
)
from sites.signals import membership_started

if TYPE_CHECKING:
    from accounts.models import Profession, User


def _set_fields(obj, fields: dict) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _refuse_duplicate_name(siblings, name: str, noun: str) -> None:
    # The database constraint is the guarantee; this gives the person a message that names
    # the clash instead of a generic "already exists".
    if siblings.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"This site already has a {noun} named “{name}”."})


# --- Sites and units ---------------------------------------------------------------------


@transaction.atomic
def site_create(
    *,
    name: str,
    kind: str,
    zone: str,
    address: str = "",
    city: str = "",
    phone: str = "",
    is_active: bool = True,
    facilitators: Iterable[User] = (),
    created_by: User | None = None,
) -> Site:
    """Create a site. A facilitator who creates a site becomes one of its facilitators,
    so the new site is theirs to look after (admins are not added)."""
    site = Site(
        name=name, kind=kind, zone=zone, address=address, city=city, phone=phone,
        is_active=is_active,
    )  # fmt: skip
    site.full_clean()
    site.save()
    people = list(facilitators)
    if created_by is not None and created_by.is_facilitator and created_by not in people:
        people.append(created_by)
    site.facilitators.set(people)
    activity_changed()
    return site


@transaction.atomic
def site_update(
    *,
    site: Site,
    name: str,
    kind: str,
    zone: str,
    address: str = "",
    city: str = "",
    phone: str = "",
    is_active: bool = True,
    facilitators: Iterable[User] | None = None,
) -> Site:
    """Change a site's details; `facilitators=None` leaves its facilitators as they are."""
    _set_fields(
        site,
        {"name": name, "kind": kind, "zone": zone, "address": address, "city": city,
         "phone": phone, "is_active": is_active},
    )  # fmt: skip
    site.full_clean()
    site.save()
    if facilitators is not None:
        site.facilitators.set(list(facilitators))
    activity_changed()
    return site


@transaction.atomic
def unit_create(*, site: Site, name: str, description: str = "") -> Unit:
    """Add a unit (ward, floor, programme) to a site; unit names are unique per site."""
    unit = Unit(site=site, name=name, description=description)
    _refuse_duplicate_name(Unit.objects.filter(site=site), name, "unit")
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, name: str, description: str = "") -> Unit:
    """Rename or re-describe a unit; it stays at its site."""
    _refuse_duplicate_name(
        Unit.objects.filter(site_id=unit.site_id).exclude(pk=unit.pk), name, "unit"
    )
    unit.name = name
    unit.description = description
    unit.full_clean()
    unit.save()
    return unit


# --- Communities of practice -----------------------------------------------------------


@transaction.atomic
def community_create(
    *,
    site: Site,
    name: str,
    started_on: datetime.date,
    focus: str = "",
    status: str = CoPStatus.ACTIVE,
    facilitators: Iterable[User] = (),
) -> CommunityOfPractice:
    """Start a CoP at a site; CoP names are unique per site."""
    _refuse_duplicate_name(CommunityOfPractice.objects.filter(site=site), name, "community")
    community = CommunityOfPractice(
        site=site, name=name, focus=focus, started_on=started_on, status=status
    )
    community.full_clean()
    community.save()
    community.facilitators.set(list(facilitators))
    activity_changed()
    return community


@transaction.atomic
def community_update(
    *,
    community: CommunityOfPractice,
    name: str,
    started_on: datetime.date,
    focus: str = "",
    status: str = CoPStatus.ACTIVE,
    facilitators: Iterable[User] | None = None,
) -> CommunityOfPractice:
    """Change a CoP's details. A start date after the first member joined or the first
    meeting would make the history contradict itself, so it is refused."""
    _refuse_duplicate_name(
        CommunityOfPractice.objects.filter(site_id=community.site_id).exclude(pk=community.pk),
        name,
        "community",
    )
    earliest_meeting = community.meetings.order_by("held_on").values_list("held_on", flat=True)
    first_meeting = earliest_meeting.first()
    if first_meeting is not None and started_on > first_meeting:
        raise ValidationError(
            {"started_on": f"The first meeting was on {human_date(first_meeting)}; "
                           "the community cannot start after it."}
        )  # fmt: skip
    _set_fields(
        community, {"name": name, "focus": focus, "started_on": started_on, "status": status}
    )
    community.full_clean()
    community.save()
    if facilitators is not None:
        community.facilitators.set(list(facilitators))
    activity_changed()
    return community


# --- Members ---------------------------------------------------------------------------


@transaction.atomic
def membership_add(
    *,
    community: CommunityOfPractice,
    person: User,
    joined_on: datetime.date,
    role: str = MembershipRole.MEMBER,
    profession: Profession | None = None,
) -> Membership:
    """Add a person to a CoP with the profession they practise there (their own unless
    given) and create the follow-up interview they are due, in one transaction: a member
    without a follow-up would silently drop out of the six-month interviews. A former
    member rejoins with a new membership that starts after the old one ended."""
    # The person's latest membership of this CoP, if any: a current one refuses the add;
    # a former member may rejoin after the day they left (a new membership, the old one
    # kept as history with its follow-up).
    latest = (
        Membership.objects.filter(community=community, person=person)
        .order_by("-joined_on", "-id")
        .only("joined_on", "left_on")
        .first()
    )
    if latest is not None:
        if latest.left_on is None:
            message = f"{person} is already a member of {community} (since {human_date(latest.joined_on)})."
            raise ValidationError({"person": message})
        if joined_on <= latest.left_on:
            raise ValidationError(
                {"joined_on": f"{person} was a member of {community} until "
                              f"{human_date(latest.left_on)}: they can rejoin from the day after."}
            )  # fmt: skip
    if not person.is_active:
        raise ValidationError({"person": f"{person}'s account is deactivated."})
    profession = profession or person.profession
    if profession is None:
        raise ValidationError(
            {"profession": f"{person} has no profession on record: choose the one they "
                           "practise in this community."}
        )  # fmt: skip
    if joined_on < community.started_on:
        raise ValidationError(
            {"joined_on": f"The community started on {human_date(community.started_on)}; "
                          "nobody can join before that."}
        )  # fmt: skip
    membership = Membership(
        community=community, person=person, profession=profession, role=role, joined_on=joined_on
    )
    membership.full_clean()
    membership.save()
    membership_started.send(sender=Membership, membership=membership)
    activity_changed()
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, left_on: datetime.date) -> Membership:
    """End a membership on `left_on`. The row stays (with its meetings and follow-up) so
    the CoP's history is kept."""
    if membership.left_on is not None:
        raise ValidationError(
            {"left_on": f"This membership already ended on {human_date(membership.left_on)}."}
        )
    if left_on < membership.joined_on:
        raise ValidationError(
            {
                "left_on": f"A membership cannot end before it started ({human_date(membership.joined_on)})."
            }
        )
    membership.left_on = left_on
    membership.full_clean()
    membership.save(update_fields=["left_on"])
    activity_changed()
    return membership


# --- Meetings --------------------------------------------------------------------------


@transaction.atomic
def meeting_record(
    *,
    community: CommunityOfPractice,
    held_on: datetime.date,
    duration_minutes: int = 60,
    attendees: Iterable[Membership] = (),
    topics: str = "",
    decisions: str = "",
    action_items: str = "",
    recorded_by: User | None = None,
) -> Meeting:
    """Record a CoP meeting. Every attendee must be a member of this CoP on the day of
    the meeting; the meeting cannot predate the CoP or lie in the future."""
    attendees = list(attendees)
    errors: dict[str, list[str]] = {}
    if held_on > timezone.localdate():
        errors.setdefault("held_on", []).append("A meeting is recorded after it is held.")
    if held_on < community.started_on:
        errors.setdefault("held_on", []).append(
            f"The community started on {human_date(community.started_on)}; "
            "a meeting cannot be held before that."
        )
    not_members = [
        m for m in attendees if m.community_id != community.pk or not m.was_member_on(held_on)
    ]
    if not_members:
        names = ", ".join(sorted(str(m.person) for m in not_members))
        errors.setdefault("attendees", []).append(
            f"Not a member of this community on {human_date(held_on)}: {names}."
        )
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(
        community=community,
        held_on=held_on,
        duration_minutes=duration_minutes,
        topics=topics,
        decisions=decisions,
        action_items=action_items,
        recorded_by=recorded_by,
    )
    meeting.full_clean()
    meeting.save()
    meeting.attendees.set(attendees)
    activity_changed()
    return meeting


# --- Initiatives -----------------------------------------------------------------------


@transaction.atomic
def initiative_create(
    *,
    community: CommunityOfPractice,
    title: str,
    theme: str,
    description: str = "",
    status: str = InitiativeStatus.IDEA,
    started_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    outcome: str = "",
) -> Initiative:
    """Add an initiative to a CoP. It may be recorded at any status (a CoP often writes
    down work already under way); from then on it moves only along the workflow."""
    initiative = Initiative(
        community=community,
        title=title,
        theme=theme,
        description=description,
        status=status,
        started_on=started_on,
        ended_on=ended_on,
        outcome=outcome,
    )
    initiative.full_clean()
    initiative.save()
    activity_changed()
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    title: str,
    theme: str,
    description: str = "",
    started_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
    outcome: str = "",
) -> Initiative:
    """Change an initiative's details; its status changes only through `initiative_move`."""
    _set_fields(
        initiative,
        {"title": title, "theme": theme, "description": description, "started_on": started_on,
         "ended_on": ended_on, "outcome": outcome},
    )  # fmt: skip
    initiative.full_clean()
    initiative.save()
    activity_changed()
    return initiative


# Moving into these statuses starts or ends the work; the date is filled if still empty.
_STARTING = {InitiativeStatus.IN_PROGRESS}
_ENDING = {InitiativeStatus.IMPLEMENTED, InitiativeStatus.DROPPED}


@transaction.atomic
def initiative_move(
    *, initiative: Initiative, to_status: str, on: datetime.date | None = None
) -> Initiative:
    """Move an initiative along idea → planned → in progress → implemented → sustained
    (or to dropped), refusing any other jump (`sites.models.INITIATIVE_TRANSITIONS`)."""
    # Lock the row: two facilitators moving the same card must not both pass the check.
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    allowed = INITIATIVE_TRANSITIONS.get(initiative.status, set())
    if to_status not in allowed:
        current = InitiativeStatus(initiative.status).label
        target = (
            InitiativeStatus(to_status).label
            if to_status in InitiativeStatus.values
            else repr(to_status)
        )
        choices = (
            ", ".join(status.label for status in InitiativeStatus if status in allowed) or "nothing"
        )
        raise ValidationError(
            {"status": f"An initiative cannot move from {current} to {target}; "
                       f"from {current} it can move to: {choices}."}
        )  # fmt: skip
    on = on or timezone.localdate()
    initiative.status = to_status
    if to_status in _STARTING and initiative.started_on is None:
        initiative.started_on = on
    # An end date before a start date entered by hand would break the constraint; leave it.
    started_before = initiative.started_on is None or initiative.started_on <= on
    if to_status in _ENDING and initiative.ended_on is None and started_before:
        initiative.ended_on = on
    initiative.full_clean()
    initiative.save()
    activity_changed()
    return initiative


# --- Counters ----------------------------------------------------------------------------


def _recounted() -> dict:
    """Each CoP counter (`COP_COUNTERS`) as computed from the rows: their definition."""
    return {
        "last_meeting_on": Subquery(
            Meeting.objects.filter(community=OuterRef("pk"))
            .order_by("-held_on")
            .values("held_on")[:1]
        ),
        "active_initiative_count": count_subquery(Initiative.objects.active(), "community"),
    }


@transaction.atomic
def counters_recount() -> None:
    """Recompute every counter of the sites app from the rows, e.g. after a bulk load with
    triggers off. The CoPs are locked first, in the order the triggers lock them: the
    recount then sees every write committed before it and none is lost meanwhile."""
    list(CommunityOfPractice.objects.select_for_update().order_by("pk").values_list("pk"))
    CommunityOfPractice.objects.update(**_recounted())
    activity_changed()


def counters_check() -> list[str]:
    """A line for each counter that differs from a recount (none when all agree)."""
    recounted = {f"recounted_{name}": expression for name, expression in _recounted().items()}
    mismatches = []
    for row in (
        CommunityOfPractice.objects.annotate(**recounted)
        .order_by("pk")
        .values("pk", "name", *COP_COUNTERS, *recounted)
    ):
        for counter in COP_COUNTERS:
            if row[counter] != row[f"recounted_{counter}"]:
                mismatches.append(
                    f"CoP {row['pk']} ({row['name']}): {counter} is {row[counter]}, "
                    f"a recount gives {row[f'recounted_{counter}']}"
                )
    return mismatches
