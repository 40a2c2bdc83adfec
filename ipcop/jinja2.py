"""The Jinja2 environment of the hot list fragments (table rows rendered many times per
page). Django's template language costs about 30 µs per variable; a 50-row table of
8 cells spent more time rendering than in its queries. Pages stay Django templates (the
frame, forms, crispy); only a list's rows and the home page's panels are Jinja2
fragments, autoescaped like Django's, inserted with `{{ rows }}` (see
ipcop/lib/fragments.py). `url(name)` is a URL without arguments, `pk_url(name, pk)` one
with a pk; the `date` filter is Django's."""

from __future__ import annotations

from django.template.defaultfilters import date, truncatewords
from jinja2 import Environment

from ipcop.lib.fragments import fixed_url, pk_url
from placements.selectors import status_badge


def pluralize(count: int, suffix: str = "s") -> str:
    return "" if count == 1 else suffix


def environment(**options) -> Environment:
    # Autoescape always, whatever the settings say: every value is escaped as Django would.
    options.pop("autoescape", None)
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = Environment(autoescape=True, **options)
    env.globals.update(pk_url=pk_url, url=fixed_url)
    env.filters.update(
        pluralize=pluralize, truncatewords=truncatewords, date=date, status_badge=status_badge
    )
    return env
