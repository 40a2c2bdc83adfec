"""Keyset (cursor) pagination for long lists.

A page is "the next `per_page` rows after this row" in the list's order, so page 200
costs what page 1 costs (an index range scan from the cursor) instead of an OFFSET that
reads and throws away 10,000 rows. The list is never counted in full: `count_upto`
counts at most `count_limit` + 1 rows, and the page says "more than 1,000" beyond that.

The order must be two fields, a non-unique key and the primary key as the tie-breaker,
both ascending or both descending, with an index on them (e.g. `-start_date, -id`).
The key may be a related row's field (`student__user__full_name`), read through an index
on that table's column. The rows are model instances or dicts that include "pk" (e.g.
from `.values()`) and the key (under `row_key`, by default the field's name).

The key is a date (`DATE_KEY`) or text (`TEXT_KEY`). Text is compared in the database's
collation, which Python cannot reproduce: for a text key, the rows of a page are kept in
the order the database returns them (a `rows` function must keep the page's order).

A list may put a boolean `rank` before the key (e.g. closed follow-ups after the open
ones), with an index on the three; its rows then include the rank too.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from ipcop.lib.params import id_param, page_param

COUNT_LIMIT = 1000


@dataclass
class KeysetPage:
    object_list: list
    number: int
    has_next: bool
    has_previous: bool
    next_query: str
    previous_query: str
    count: int
    count_is_lower_bound: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


MAX_TEXT_KEY = 255  # longer than any name a list sorts by


def _text_key(value: str) -> str:
    # PostgreSQL refuses NUL in text; a longer value is no name of ours.
    if "\x00" in value or len(value) > MAX_TEXT_KEY:
        raise ValueError(value)
    return value


@dataclass(frozen=True)
class CursorKey:
    """How a list's sort key is written into a cursor and read back from one
    (`parse` raises ValueError for a value that is not a key), and whether Python
    orders its values as the database does."""

    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    python_order: bool


DATE_KEY = CursorKey(datetime.date.fromisoformat, datetime.date.isoformat, python_order=True)
TEXT_KEY = CursorKey(_text_key, str, python_order=False)


def parse_cursor(value: str | None, key: CursorKey = DATE_KEY, *, ranked: bool = False):
    """A cursor is "<key>_<id>" (the key may hold "_" itself), or "<0|1>_<key>_<id>" in a
    ranked list; anything else is ignored (the first page)."""
    if not value:
        return None
    rank: tuple[bool, ...] = ()
    if ranked:
        flag, _, value = value.partition("_")
        if flag not in ("0", "1"):
            return None
        rank = (flag == "1",)
    text, _, pk = value.rpartition("_")
    number = id_param(pk)
    if number is None:
        return None
    try:
        return *rank, key.parse(text), number
    except ValueError:
        return None


def positive_int(value: str | None, default: int = 1) -> int:
    return page_param(value, default)


def _value(row, name: str):
    # Rows are model instances or, from `.values(...)` including "pk", dicts.
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _after(fields: tuple[str, ...], descending: bool, cursor: tuple) -> Q:
    """The rows after `cursor` (the values of `fields`, the last being "pk") in the
    order of `fields`. `field <= key` (or >=) is a range condition the index scan starts
    from; the OR only drops the few rows that share the cursor's key."""
    op = "lt" if descending else "gt"
    (field, *rest), (value, *rest_values) = fields, cursor
    if not rest:
        return Q(**{f"{field}__{op}": value})
    if isinstance(value, bool) and value is (op == "gt"):
        # No rank comes after the last one: equality lets the index range start at the
        # cursor's key within that rank instead of filtering the rank's rows from its start.
        return Q(**{field: value}) & _after(tuple(rest), descending, tuple(rest_values))
    return Q(**{f"{field}__{op}e": value}) & (
        Q(**{f"{field}__{op}": value}) | _after(tuple(rest), descending, tuple(rest_values))
    )


def keyset_page(
    queryset: QuerySet,
    *,
    field: str,
    descending: bool,
    params,
    per_page: int,
    query: str = "",
    count_limit: int | None = None,
    rows: Callable[[QuerySet[Any, Any]], Iterable[Any]] | None = None,
    count: int | None = None,
    key: CursorKey = DATE_KEY,
    row_key: str | None = None,
    count_order: tuple[str, ...] | None = None,
    rank: str | None = None,
) -> KeysetPage:
    """The page of `queryset` that `params` (request.GET) points at: `after=<cursor>`
    (the rows following it), `before=<cursor>` (the rows preceding it) or neither (the
    first page). `query` is the rest of the query string, kept in the links.

    `rows`, if given, reads what the page shows: it is called with the page's queryset,
    already ordered and cut to at most `per_page` + 1 rows, so it can join the names the
    page shows to those rows only (e.g. `pk IN (…)` or a subquery in FROM), and returns
    them in any order. Joined to the whole list instead, PostgreSQL plans and sizes its
    joins for every row of the list (~2 ms for 100,000 placements). The count is taken
    without `rows`, so its joins do not slow the count either. `count`, when the caller
    already knows how many rows the list has (e.g. from counts it shows anyway), is used
    instead of counting again.

    `key` says how the cursor holds the key (a date, or text), `row_key` under which
    name a row holds it (by default `field`). `count_order`, if given, is the order the
    count reads instead of the list's: an index of the table itself, for a list sorted
    by another table's column (the count is the same in any order). `rank`, the name of a
    boolean the queryset annotates or aliases, puts the rows where it is false before the
    others (after them if `descending`)."""
    count_limit = count_limit or COUNT_LIMIT
    fields = (rank, field, "pk") if rank else (field, "pk")
    row_fields = (rank, row_key or field, "pk") if rank else (row_key or field, "pk")
    ascending_order = fields
    descending_order = tuple(f"-{name}" for name in fields)
    order = descending_order if descending else ascending_order
    reverse_order = ascending_order if descending else descending_order
    after = parse_cursor(params.get("after"), key, ranked=bool(rank))
    before = parse_cursor(params.get("before"), key, ranked=bool(rank))
    number = positive_int(params.get("n"))

    def row_cursor(row) -> tuple:
        return tuple(_value(row, name) for name in row_fields)

    def fetch(page_queryset: QuerySet, page_order: tuple[str, ...]) -> list:
        """At most `per_page` + 1 rows in `page_order`, returned in the list's order."""
        page = page_queryset.order_by(*page_order)[: per_page + 1]
        found = list(rows(page) if rows else page)
        if key.python_order:
            found.sort(key=row_cursor, reverse=descending)
        elif page_order is reverse_order:
            found.reverse()  # read nearest the cursor first, shown in the list's order
        return found

    if before is not None:
        # The rows nearest before the cursor.
        found = fetch(queryset.filter(_after(fields, not descending, before)), reverse_order)
    elif after is not None:
        found = fetch(queryset.filter(_after(fields, descending, after)), order)
    else:
        found = fetch(queryset, order)
    found, has_next, has_previous = cut_page(found, per_page=per_page, after=after, before=before)

    if not has_previous:
        number = 1

    if count is not None:
        counted = count
    elif after is None and before is None and not has_next:
        counted = len(found)  # the whole list is on this first page: no need to count it
    else:
        # Counted in the list's order, so the count reads the page's index too (an
        # unordered LIMIT lets PostgreSQL scan the table until it has enough rows).
        counted_in = queryset.order_by(*count_order) if count_order else queryset
        counted = counted_in.values("pk")[: count_limit + 1].count()
    return assemble_page(
        found,
        number=number,
        has_next=has_next,
        has_previous=has_previous,
        query=query,
        key=row_cursor,
        counted=counted,
        count_limit=count_limit,
        cursor_key=key,
    )


def cut_page(found: list, *, per_page: int, after, before) -> tuple[list, bool, bool]:
    """The rows of a page from the at most `per_page` + 1 rows read for it, in the list's
    order, and whether there are pages after and before it. Read after a cursor (or from
    the start), one more row than a page means a next page; read before a cursor, it
    means a previous page, and the extra row is the farthest from the cursor: the first."""
    if before is not None:
        return found[-per_page:], True, len(found) > per_page
    return found[:per_page], len(found) > per_page, after is not None


def assemble_page(
    found: list,
    *,
    number: int,
    has_next: bool,
    has_previous: bool,
    query: str,
    key: Callable,
    counted: int,
    count_limit: int,
    cursor_key: CursorKey = DATE_KEY,
) -> KeysetPage:
    """The KeysetPage of the rows `found` for a page: its links carry the cursors of its
    first and last rows (`key(row)` is a row's ([rank,] key, pk), the key written by
    `cursor_key`) after the rest of the `query`; `counted` is the list's count, read up to
    `count_limit` + 1 rows."""

    def link(direction: str, row, page_number: int) -> str:
        *rank, value, pk = key(row)
        prefix = f"{query}&" if query else ""
        flags = "".join("1_" if flag else "0_" for flag in rank)
        cursor = f"{flags}{cursor_key.format(value)}_{pk}"
        return prefix + urlencode({direction: cursor, "n": page_number})

    return KeysetPage(
        object_list=found,
        number=number,
        has_next=has_next and bool(found),
        has_previous=has_previous and bool(found),
        next_query=link("after", found[-1], number + 1) if found else "",
        previous_query=link("before", found[0], max(number - 1, 1)) if found else "",
        count=min(counted, count_limit),
        count_is_lower_bound=counted > count_limit,
    )
