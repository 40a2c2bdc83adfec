"""One human date style on every page and tap-to-call phone numbers: the template filters
(accounts/templatetags), rendered through Django's engine as the pages use them."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.test import override_settings

from ipcop.lib.formats import tel_uri


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("written", "uri"),
    [
        ("780-555-0100", "tel:+17805550100"),
        ("(780) 555 0100", "tel:+17805550100"),
        ("1 780 555 0100", "tel:+17805550100"),
        ("+44 20 7946 0958", "tel:+442079460958"),
        ("0044 20 7946 0958", "tel:+442079460958"),
        ("780-555-0100 ext. 12", "tel:+17805550100;ext=12"),
        ("780 555 0100 x 7", "tel:+17805550100;ext=7"),
        ("+1 780 555 0100 extension 345", "tel:+17805550100;ext=345"),
        ("555-0100", "tel:5550100"),
        ("n/a", ""),
        ("", ""),
    ],
)
def test_tel_uri_keeps_digits_adds_the_country_and_the_extension(written, uri):
    assert tel_uri(written, country_code="1") == uri


def test_tel_uri_elsewhere_drops_the_national_trunk_prefix():
    assert tel_uri("020 7946 0958", country_code="44") == "tel:+442079460958"


def test_tel_link_is_a_tap_to_call_link_with_the_number_as_written():
    html = render("{{ phone|tel_link }}", phone="780 555-0100 ext. 12")
    assert html == '<a href="tel:+17805550100;ext=12">780 555-0100 ext. 12</a>'


def test_tel_link_escapes_the_text_and_puts_nothing_but_digits_in_the_href():
    html = render("{{ phone|tel_link }}", phone='780-555-0100"><script>x</script>')
    assert html == (
        '<a href="tel:+17805550100">780-555-0100&quot;&gt;&lt;script&gt;x&lt;/script&gt;</a>'
    )
    assert "<script>" not in html


def test_tel_link_leaves_undiallable_text_plain_and_escaped():
    assert render("{{ phone|tel_link }}", phone="<ask>") == "&lt;ask&gt;"
    assert render("{{ phone|tel_link }}", phone="") == ""
    assert render("{{ phone|tel_link }}", phone=None) == ""


@override_settings(PHONE_COUNTRY_CODE="44")
def test_tel_link_uses_the_configured_country_code():
    html = render("{{ phone|tel_link }}", phone="020 7946 0958")
    assert html == '<a href="tel:+442079460958">020 7946 0958</a>'


DAY = datetime.date(2026, 12, 4)  # a Friday


def test_dates_are_day_short_month_year_with_the_weekday_where_the_day_matters():
    assert render("{{ d|human_date }}", d=DAY) == "4 Dec 2026"
    assert render("{{ d|weekday_date }}", d=DAY) == "Fri 4 Dec 2026"
    # A plain date through the datetime filters has no time to show.
    assert render("{{ d|human_datetime }}", d=DAY) == "4 Dec 2026"


@override_settings(TIME_ZONE="America/Edmonton")
def test_datetimes_show_in_the_local_time_zone():
    # 02:30 UTC on 5 Dec is 19:30 on Friday 4 Dec in Edmonton.
    moment = datetime.datetime(2026, 12, 5, 2, 30, tzinfo=datetime.UTC)
    assert render("{{ m|human_datetime }}", m=moment) == "4 Dec 2026, 19:30"
    assert render("{{ m|weekday_datetime }}", m=moment) == "Fri 4 Dec 2026, 19:30"
    assert render("{{ m|human_date }}", m=moment) == "4 Dec 2026"
    assert render("{{ m|weekday_date }}", m=moment) == "Fri 4 Dec 2026"
    paris = moment.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert render("{{ m|human_datetime }}", m=paris) == "4 Dec 2026, 19:30"


def test_iso_text_from_a_cached_row_is_shown_the_same_way():
    assert render("{{ d|weekday_date }}", d="2026-12-04") == "Fri 4 Dec 2026"
    assert render("{{ d|human_datetime }}", d="2026-12-04T14:30:00") == "4 Dec 2026, 14:30"


def test_missing_or_unreadable_dates_show_nothing():
    for value in (None, "", "not a date"):
        assert render("{{ d|human_date }}", d=value) == ""
        assert render("{{ d|weekday_datetime }}", d=value) == ""
    assert render('{{ d|human_date|default:"never" }}', d=None) == "never"


def test_the_formats_agree_with_djangos_date_filter_on_every_day_of_a_year():
    # The filters spell the names themselves (faster than Django's `date` filter, which
    # looks each one up through the translation machinery); they must say the same.
    from django.utils import dateformat

    from ipcop.lib.formats import human_date, weekday_date, weekday_datetime

    day = datetime.date(2027, 1, 1)
    for _ in range(366):
        assert human_date(day) == dateformat.format(day, "j M Y")
        assert weekday_date(day) == dateformat.format(day, "D j M Y")
        moment = datetime.datetime.combine(day, datetime.time(7, 5))
        assert weekday_datetime(moment) == dateformat.format(moment, "D j M Y, H:i")
        day += datetime.timedelta(days=1)
