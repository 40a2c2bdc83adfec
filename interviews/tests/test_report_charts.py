"""The outcomes report's charts: server-drawn SVG images with a title and a description,
each beside a table of the same numbers; the print button; the query count with them."""

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import FollowUp, FollowUpStatus, Theme
from interviews.tests.factories import FollowUpFactory, InterviewRecordFactory
from mentoring.tests.factories import MentoringSessionFactory, SessionProfessionalFactory
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.models import InitiativeStatus, InitiativeTheme
from sites.tests.factories import CommunityOfPracticeFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

CHARTS = ("chart-initiatives", "chart-followups", "chart-professions-met", "chart-themes")


def populate(site, n):
    """Initiatives of two themes, follow-ups due over two months, interviews of two
    themes, and students who met 0, 1 or 2 other professions; `n` grows the rows."""
    today = timezone.localdate()
    cop = CommunityOfPracticeFactory(site=site, started_on=today - timedelta(days=300))
    for i in range(n):
        InitiativeFactory(
            community=cop,
            theme=InitiativeTheme.COMMUNICATION if i % 3 else InitiativeTheme.DISCHARGE,
            status=InitiativeStatus.IDEA if i % 2 else InitiativeStatus.PLANNED,
        )
    statuses = [FollowUpStatus.COMPLETED, FollowUpStatus.MISSED, FollowUpStatus.PENDING]
    placements = [PlacementFactory(site=site) for _ in range(min(n, 12))]
    FollowUp.objects.bulk_create(
        FollowUp(
            placement=p,
            participant_id=p.student.user_id,
            site=site,
            status=statuses[i % 3],
            due_on=today - timedelta(days=20 + 40 * (i % 2)),
        )
        for i, p in enumerate(placements)
    )
    themes = list(Theme.objects.active()[:2])
    for i in range(min(n, 10)):
        InterviewRecordFactory(
            followup=FollowUpFactory(
                placement=PlacementFactory(site=site), completed=True, due_on=today
            ),
            themes=themes[: 1 + i % 2],
        )
    nursing, pharmacy, social = (ProfessionFactory() for _ in range(3))
    for met in ([], [pharmacy], [pharmacy, social], [pharmacy]):
        placement = PlacementFactory(
            site=site,
            student=StudentFactory(program__profession=nursing),
            active=True,
            start_date=today - timedelta(days=10),
        )
        # Logged by a nurse: the nursing students meet no other profession in them.
        session = MentoringSessionFactory(
            placement=placement,
            with_attendance=True,
            logged_by=UserFactory(is_preceptor=True, profession=nursing),
        )
        for profession in met:
            SessionProfessionalFactory(session=session, person=UserFactory(profession=profession))


def svg_of(page: str, chart_id: str) -> str:
    match = re.search(
        rf'<svg class="chart"[^>]*aria-labelledby="{chart_id}-title.*?</svg>', page, re.S
    )
    assert match, f"no chart {chart_id}"
    return match.group(0)


def chart_bars(svg: str) -> list[tuple[str, str]]:
    """(label, number written) of each bar."""
    bars = re.findall(
        r'<g class="chart-bar">\s*<text[^>]*>(.*?)</text>.*?<text class="chart-value"[^>]*>(.*?)</text>',
        svg,
        re.S,
    )
    return [(html.unescape(label), html.unescape(text)) for label, text in bars]


def table_rows(page: str, table_id: str) -> list[tuple[str, list[str]]]:
    """(row header, cells) of each body row of the table."""
    table = re.search(rf'<table[^>]*id="{table_id}">.*?</table>', page, re.S)
    assert table, f"no table {table_id}"
    body = table.group(0).split("<tbody>")[1]
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)
    # Cells may carry the column's name (data-label) for a phone's stacked rows.
    cell = r"<td(?: data-label=\"[^\"]*\")?>(.*?)</td>"
    return [(html.unescape(head), re.findall(cell, cells)) for head, cells in rows]


@pytest.fixture
def page(client_for, facilitator, site_a):
    populate(site_a, 9)
    response = client_for(facilitator).get(reverse("interviews:report"))
    assert response.status_code == 200
    return response.content.decode()


def test_each_chart_is_an_svg_image_with_a_title_and_a_description(page):
    for chart_id in CHARTS:
        svg = svg_of(page, chart_id)
        assert 'role="img"' in svg
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        title = re.search(rf'<title id="{chart_id}-title">(.+?)</title>', svg).group(1)
        desc = re.search(rf'<desc id="{chart_id}-desc">(.+?)</desc>', svg).group(1)
        assert title.strip() and len(desc) > 20
        assert "style=" not in svg  # the Content-Security-Policy allows no inline style


def test_the_initiatives_chart_matches_its_table(page):
    bars = chart_bars(svg_of(page, "chart-initiatives"))
    table = [(theme, cells[-1]) for theme, cells in table_rows(page, "table-initiatives")]
    assert bars == table
    assert ("Communication", "6") in bars and ("Discharge", "3") in bars
    # The statuses are told apart by pattern, named in a legend.
    svg = svg_of(page, "chart-initiatives")
    for label in ("Idea", "Planned", "Sustained"):
        assert f">{label}</text>" in svg
    assert 'id="chart-initiatives-stripes"' in svg


def test_the_follow_ups_chart_matches_its_table(page):
    bars = chart_bars(svg_of(page, "chart-followups"))
    table = table_rows(page, "table-followups")
    assert len(bars) == len(table) >= 2
    for (month, text), (table_month, cells) in zip(bars, table, strict=True):
        due, rate = cells[0], cells[-1]
        assert month == table_month
        assert text == (f"{due} · {rate}" if rate != "—" else "0")
    assert sum(int(cells[0]) for _, cells in table) == 9 + 9  # 9 placements' and 9 records'


def test_the_professions_met_chart_matches_its_table(page):
    bars = chart_bars(svg_of(page, "chart-professions-met"))
    table = table_rows(page, "table-professions-met")
    assert [n for _, n in bars] == [cells[0] for _, cells in table]
    assert [n for _, n in bars][:3] == ["1", "2", "1"]
    assert bars[0][0] == "No other profession" and bars[2][0] == "2 other professions"


def test_the_themes_chart_matches_its_table(page):
    bars = chart_bars(svg_of(page, "chart-themes"))
    table = [(name, cells[0]) for name, cells in table_rows(page, "table-themes")]
    assert bars == table and len(bars) == 2
    assert bars[0][1] == "9"  # every interview found the first theme


def test_a_print_button_without_inline_script(page):
    assert re.search(r'<button type="button" class="[^"]*" data-print>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    static = Path(settings.BASE_DIR) / "static"
    assert "[data-print]" in (static / "js" / "print.js").read_text()
    assert re.search(r'<script src="[^"]*js/print\.js"></script>', page)
    print_css = (static / "css" / "print.css").read_text()
    assert ".no-print" in print_css and "svg.chart" in print_css
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.css" media="print">', page)


def test_a_report_without_data_draws_no_empty_chart(client_for, facilitator, site_a):
    page = client_for(facilitator).get(reverse("interviews:report")).content.decode()
    assert '<svg class="chart"' not in page
    assert "No interviews recorded in this period." in page


@pytest.mark.parametrize("rows", [10, 200])
def test_report_with_charts_query_count_is_constant(
    client_for, facilitator, site_a, rows, django_assert_max_num_queries
):
    populate(site_a, rows)
    c = client_for(facilitator)
    # As test_views' report count, and the students by the number of professions met.
    with django_assert_max_num_queries(16):
        response = c.get(reverse("interviews:report"))
    assert response.status_code == 200
    assert all(
        f'aria-labelledby="{chart_id}-title' in response.content.decode() for chart_id in CHARTS
    )
