"""The one human date style of every page (ipcop/lib/formats.py), as template filters.
Loaded on every template (settings TEMPLATES builtins): `{{ session.held_on|weekday_date }}`."""

from django import template

from ipcop.lib import formats

register = template.Library()

# expects_localtime: an aware datetime arrives in the current time zone, as with `date`.
register.filter("human_date", formats.human_date, expects_localtime=True)
register.filter("weekday_date", formats.weekday_date, expects_localtime=True)
register.filter("human_datetime", formats.human_datetime, expects_localtime=True)
register.filter("weekday_datetime", formats.weekday_datetime, expects_localtime=True)
