"""Helpers for the hand-written statements of the busiest pages."""

from __future__ import annotations

from django.db.models import QuerySet


def named_subquery(queryset: QuerySet, prefix: str) -> tuple[str, dict]:
    """The SQL of `queryset`'s primary keys (e.g. a permission scope) with its
    placeholders named `<prefix>_0`, `<prefix>_1`..., to embed as `IN (...)` in a
    statement that takes named parameters, and those parameters. The models' default
    ordering is dropped: a scope subquery with an ORDER BY is not flattened."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    names = {f"{prefix}_{index}": value for index, value in enumerate(params)}
    return sql % tuple(f"%({name})s" for name in names), names
