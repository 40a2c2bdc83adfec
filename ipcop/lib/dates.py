"""The dates people may type: the one place their bounds are checked.

Dates a person enters (a placement's start, a session, a report's period) must lie
between EARLIEST and LATEST. A date outside is a typing slip, and the arithmetic done on
these dates (a follow-up six months after a placement, a report's year before) must stay
within the years Python's `date` holds: a placement starting in December 9999 would
otherwise put its follow-up in year 10000 and fail with OverflowError."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


def is_plausible(value: datetime.date) -> bool:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return EARLIEST <= value <= LATEST


def validate_plausible_date(value: datetime.date) -> None:
    """A model-field validator: services call `full_clean()`, so forms, imports and the
    services themselves all refuse a date outside the bounds with the same message."""
    if not is_plausible(value):
        raise ValidationError(
            "Give a date between %(earliest)s and %(latest)s.",
            code="implausible_date",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
