"""Helpers for the hand-written statements of the busiest pages."""

from __future__ import annotations

import itertools
import re
import weakref

from django.db import connection
from django.db.models import QuerySet


def named_subquery(queryset: QuerySet, prefix: str) -> tuple[str, dict]:
    """The SQL of `queryset`'s primary keys (e.g. a permission scope) with its
    placeholders named `<prefix>_0`, `<prefix>_1`..., to embed as `IN (...)` in a
    statement that takes named parameters, and those parameters. The models' default
    ordering is dropped: a scope subquery with an ORDER BY is not flattened."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    names = {f"{prefix}_{index}": value for index, value in enumerate(params)}
    return sql % tuple(f"%({name})s" for name in names), names


def table_names(**models) -> dict[str, str]:
    """`{name: model's table}` for `str.format` of a statement written with `{name}`."""
    return {name: model._meta.db_table for name, model in models.items()}


def fetch_row(sql: str, params) -> tuple:
    """The one row of a statement (e.g. one of JSON columns)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_dicts(sql: str, params) -> list[dict]:
    """A statement's rows as dicts of its column names."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


class Prepared:
    """A hand-written statement run as a server-side prepared statement on each database
    connection: PostgreSQL then plans it once per connection, not on every request.
    Planning these statements cost as much as running them (1-2 ms each of the learning
    record's and the matrix's 2-5 ms on the province data set). The connection runs
    prepared statements with their generic plan (plan_cache_mode, settings.py), so only
    use this for statements whose parameters suit one plan (one student, one site, one
    CoP), or that are written so that one plan suits every value (the facilitator
    dashboard reads its scope into an array once and has a form for few sites and one for
    many: sites/panels.py). A generic plan knows neither a person's number of sites nor a
    filter's selectivity, and sizes a `LIMIT $1` at a tenth of the table: the lists
    prepare only their unfiltered statements, with their limits written in.

    The first use on a connection sends PREPARE and EXECUTE as one query, so the page's
    query count does not change. Prepared statements outlive transactions (a rollback
    keeps them) and die with the connection, which is why the names prepared are kept
    per connection object. After a failed first use the statement is prepared again under
    a new name, as the failure may have come before or after the PREPARE."""

    _serial = itertools.count()
    _prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, key: str, sql: str):
        self.key = key
        self.names: list[str] = []  # parameter names in $n order

        def positional(match):
            if match[1] not in self.names:
                self.names.append(match[1])
            return f"${self.names.index(match[1]) + 1}"

        self.body = re.sub(r"%\((\w+)\)s", positional, sql)
        # `EXECUTE name(…)`, or `EXECUTE name` for a statement without parameters.
        self.arguments = f"({', '.join(['%s'] * len(self.names))})" if self.names else ""

    def execute(self, cursor, params: dict) -> None:
        values = [params[name] for name in self.names]
        statements = self._prepared.setdefault(connection.connection, {})
        name = statements.get(self.key)
        if name is not None:
            cursor.execute(f"EXECUTE {name}{self.arguments}", values)
            return
        name = f"ipcop_{self.key}_{next(self._serial)}"
        cursor.execute(
            f"PREPARE {name} AS {self.body};\nEXECUTE {name}{self.arguments}",
            values,
        )
        if cursor.description is None:  # psycopg 3: the PREPARE's result comes first
            cursor.nextset()
        statements[self.key] = name

    def fetch_row(self, params: dict) -> tuple:
        """The statement's one row."""
        with connection.cursor() as cursor:
            self.execute(cursor, params)
            return cursor.fetchone()

    def fetch_all(self, params: dict) -> list[tuple]:
        """The statement's rows as tuples."""
        with connection.cursor() as cursor:
            self.execute(cursor, params)
            return cursor.fetchall()

    def fetch_dicts(self, params: dict) -> list[dict]:
        """The statement's rows as dicts of its column names."""
        with connection.cursor() as cursor:
            self.execute(cursor, params)
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
