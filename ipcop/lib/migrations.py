"""Helpers for migrations and post_migrate hooks."""

from django.db import connections


def table_exists(model, using: str) -> bool:
    return model._meta.db_table in connections[using].introspection.table_names()
