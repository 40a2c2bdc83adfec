"""The Jinja2 environment of the hot list fragments (table rows rendered many times per
page). Django's template language costs about 30 µs per variable; a 50-row table of
8 cells spent more time rendering than in its queries. Pages stay Django templates (the
frame, forms, crispy); only a list's rows are a Jinja2 fragment, autoescaped like Django's,
inserted with `{{ rows }}` (see ipcop/lib/fragments.py)."""

from __future__ import annotations

from django.template.defaultfilters import truncatewords
from jinja2 import Environment

from ipcop.lib.fragments import pk_url


def pluralize(count: int, suffix: str = "s") -> str:
    return "" if count == 1 else suffix


def environment(**options) -> Environment:
    # Autoescape always, whatever the settings say: every value is escaped as Django would.
    options.pop("autoescape", None)
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = Environment(autoescape=True, **options)
    env.globals.update(pk_url=pk_url)
    env.filters.update(pluralize=pluralize, truncatewords=truncatewords)
    return env
