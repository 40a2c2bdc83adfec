"""Numbers read from a query string: the one place their bounds are checked.

A value the database cannot hold (a 20-digit id overflows bigint) or that only looks like
a number (`"²".isdigit()` is true, `int("²")` raises) reads as absent, so a hostile URL
gets the page without that filter instead of a server error."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # PostgreSQL's bigint, the type of every id
MAX_PAGE = 1_000_000


def id_param(value: object) -> int | None:
    """A positive id written in ASCII digits, within bigint; None for anything else."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def page_param(value: object, default: int = 1) -> int:
    """A page number between 1 and MAX_PAGE; `default` for anything else."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return default
    if len(value) > len(str(MAX_PAGE)):
        return default
    number = int(value)
    return number if 0 < number <= MAX_PAGE else default
