"""CSV exports that are safe to open in a spreadsheet (OWASP "CSV injection").

A cell starting with =, +, - or @ (or a tab or carriage return, which some spreadsheets
skip before reading a formula) would run as a formula when the file is opened; such text
is prefixed with an apostrophe, which spreadsheets show as plain text. Numbers are left as
they are: a negative count is not a formula."""

from __future__ import annotations

from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """The value to write in a CSV cell: numbers unchanged, text defused, None empty."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(values) -> list:
    return [spreadsheet_safe(value) for value in values]
