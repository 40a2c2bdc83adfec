"""How pages show dates and phone numbers: one human date style ("4 Dec 2026", with the
weekday where the day matters: "Fri 4 Dec 2026") and phone numbers a phone can dial.

Templates use these through the filters in accounts/templatetags (loaded everywhere);
code that builds a page's text in Python (a cached row) calls them directly. CSV exports
keep ISO dates: a spreadsheet reads those, not these."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

# English only (the app's one language): formatting them here costs a fraction of
# Django's `date` filter, which looks each name up through the translation machinery,
# and a list page formats a few hundred dates.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_Value = datetime.date | datetime.datetime | str | None


def _as_date_or_datetime(value: _Value) -> datetime.date | None:
    """Dates and datetimes as they are; ISO text (from a cached row) parsed; else None.
    An aware datetime is shown in the current time zone, as Django's `date` filter does."""
    if isinstance(value, str):
        try:
            value = (
                datetime.datetime.fromisoformat(value)
                if "T" in value or " " in value.strip()
                else datetime.date.fromisoformat(value)
            )
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    return None


def _format(value: _Value, *, weekday: bool, with_time: bool) -> str:
    found = _as_date_or_datetime(value)
    if found is None:
        return ""
    text = f"{found.day} {_MONTHS[found.month - 1]} {found.year}"
    if weekday:
        text = f"{_WEEKDAYS[found.weekday()]} {text}"
    if with_time and isinstance(found, datetime.datetime):
        text = f"{text}, {found.hour:02d}:{found.minute:02d}"
    return text


def human_date(value: _Value) -> str:
    """ "4 Dec 2026" (a datetime's date in the current time zone)."""
    return _format(value, weekday=False, with_time=False)


def weekday_date(value: _Value) -> str:
    """ "Fri 4 Dec 2026": for the dates someone has to be somewhere."""
    return _format(value, weekday=True, with_time=False)


def human_datetime(value: _Value) -> str:
    """ "4 Dec 2026, 14:30" (a plain date shows without a time)."""
    return _format(value, weekday=False, with_time=True)


def weekday_datetime(value: _Value) -> str:
    """ "Fri 4 Dec 2026, 14:30": an appointment."""
    return _format(value, weekday=True, with_time=True)


# "ext. 12", "ext 12", "extension 12", "x12", "#12" after the number.
_EXTENSION = re.compile(r"\s*(?:ext(?:ension)?\.?|x|#)\s*(\d+)\s*$", re.IGNORECASE)


def tel_uri(number: str, *, country_code: str) -> str:
    """The tel: URI (RFC 3966) a phone dials for a number as people write it, or "" when
    it holds too few digits to dial. A 10-digit number without "+" is national and gets
    `country_code` (a North American number, for a country code of 1), and an extension
    becomes ";ext=". Elsewhere a national number drops its leading 0 for the country
    code. Only digits and "+" reach the URI, so nothing in it needs escaping."""
    number = (number or "").strip()
    extension = ""
    found = _EXTENSION.search(number)
    if found:
        extension = found.group(1)
        number = number[: found.start()]
    international = number.startswith("+") or number.startswith("00")
    digits = re.sub(r"\D", "", number)
    if number.startswith("00"):
        digits = digits[2:]
    if len(digits) < 3:
        return ""
    national_with_country = country_code == "1" and len(digits) == 11 and digits[0] == "1"
    if international or national_with_country:
        uri = f"tel:+{digits}"
    elif country_code == "1" and len(digits) == 10:
        uri = f"tel:+1{digits}"
    elif country_code != "1" and digits.startswith("0"):
        uri = f"tel:+{country_code}{digits[1:]}"  # the national trunk prefix dropped
    else:
        uri = f"tel:{digits}"  # a local number without its area: dialled as written
    return f"{uri};ext={extension}" if extension else uri
