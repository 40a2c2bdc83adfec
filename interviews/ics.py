"""Calendar invitations (.ics) for follow-up interviews, built with the icalendar library.

One follow-up is one calendar event: its UID is `FollowUp.calendar_uid` and every change
(reschedule, cancel) carries a higher SEQUENCE, so calendar programs update the event they
already hold instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from interviews.models import FollowUp

INTERVIEW_LENGTH = timedelta(hours=1)
PRODID = "-//IPCoP//Follow-up interviews//EN"

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def _attendee(user, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.full_name or user.email)
    address.params["role"] = vText(role)
    return address


def interview_event(followup: FollowUp, *, cancelled: bool = False) -> Event:
    """The follow-up's interview as one VEVENT (needs participant, interviewer and site)."""
    event = Event()
    event.add("uid", str(followup.calendar_uid))
    event.add("sequence", followup.calendar_sequence)
    event.add("dtstamp", timezone.now())
    start = followup.scheduled_at
    assert start is not None  # only a scheduled follow-up has an interview to send
    event.add("dtstart", start)
    event.add("dtend", start + INTERVIEW_LENGTH)
    event.add("summary", f"Follow-up interview: {followup.participant}")
    mode = followup.get_mode_display() or "Interview"
    event.add("description", f"{mode} follow-up interview at {followup.site}.")
    if followup.location:
        event.add("location", followup.location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    interviewer = followup.interviewer
    if interviewer is not None:
        organizer = vCalAddress(f"mailto:{interviewer.email}")
        organizer.params["cn"] = vText(interviewer.full_name or interviewer.email)
        event.add("organizer", organizer)
        event.add("attendee", _attendee(interviewer, "CHAIR"), encode=False)
    event.add("attendee", _attendee(followup.participant, "REQ-PARTICIPANT"), encode=False)
    return event


def invitation_ics(followup: FollowUp, *, method: str) -> bytes:
    """An iTIP message (METHOD:REQUEST or METHOD:CANCEL) for one follow-up interview."""
    calendar = _calendar(method)
    calendar.add_component(interview_event(followup, cancelled=method == CANCEL))
    return calendar.to_ical()


def feed_ics(followups: Iterable[FollowUp], *, name: str) -> bytes:
    """A subscribable calendar (no METHOD) of scheduled interviews."""
    calendar = _calendar(None)
    calendar.add("x-wr-calname", name)
    for followup in followups:
        calendar.add_component(interview_event(followup))
    return calendar.to_ical()


def placement_ics(placement, *, method: str) -> bytes:
    """An iTIP message for a placement's dates: one all-day event from its first day to its
    last (DTEND is the day after, as all-day events end), at the site's address. Its UID
    stays the placement's, so a cancellation removes the event a confirmation added."""
    calendar = _calendar(method)
    event = Event()
    event.add("uid", f"placement-{placement.pk}@ipcop")
    # A cancellation supersedes the confirmation the calendar already holds.
    event.add("sequence", 1 if method == CANCEL else 0)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", placement.start_date)
    event.add("dtend", placement.end_date + timedelta(days=1))
    where = placement.unit.name if placement.unit is not None else ""
    event.add("summary", f"Placement at {placement.site.name}" + (f", {where}" if where else ""))
    address = ", ".join(part for part in (placement.site.address, placement.site.city) if part)
    event.add("location", address or placement.site.name)
    event.add(
        "description", f"{placement.get_model_display()} placement of {placement.student.user}."
    )
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    calendar.add_component(event)
    return calendar.to_ical()
