"""Helpers for the hand-written statements of the busiest pages."""

from __future__ import annotations

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
