"""Bar charts drawn on the server as SVG, for reports that must print and work without
JavaScript: no chart library, nothing from a CDN.

A chart here is its geometry (bars, segments, legend) computed in Python from labelled
numbers; the template `includes/chart.html` draws it (`Chart.svg()`, or an include with
`chart=`). The SVG is an image with a title and a description (role="img"), each bar's
name and number are written as text, and the series of a stacked bar differ by pattern
as well as colour, so no reading depends on colour alone. A chart never stands alone:
the page shows its numbers in a table too, which is what assistive technology reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

WIDTH = 360  # the viewBox: about a phone's width, so the text keeps its size there
LABEL_HEIGHT = 18  # a bar's name, written above it
BAR_HEIGHT = 18
ROW_GAP = 12
VALUE_ROOM = 32  # right of the longest bar, for its number: at least this
CHARACTER_WIDTH = 8  # a bold character at the charts' font size, at most
LEGEND_ROW = 20
# Told apart without colour: the fills' shapes. Each comes with its own dark colour,
# every one at least 4.5:1 on white (the text beside them) and 3:1 for the shapes.
PATTERNS = ("solid", "stripes", "dots", "hatch", "lines", "open")
COLOURS = ("#1d4e6e", "#8a4b00", "#2f6b2f", "#5b3a7a", "#4a4a4a", "#1d4e6e")
# The description lists this many bars, then points to the table for the rest.
DESCRIBED_BARS = 12


@dataclass(frozen=True)
class Fill:
    pattern: str
    colour: str


@dataclass(frozen=True)
class Segment:
    series: str
    value: int
    x: float
    width: float
    fill: Fill


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    text: str  # the number written at the bar's end
    label_y: float
    y: float
    value_x: float
    value_y: float
    segments: list[Segment]


@dataclass(frozen=True)
class LegendItem:
    label: str
    fill: Fill
    y: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    desc: str
    height: float
    bars: list[Bar]
    legend: list[LegendItem] = field(default_factory=list)
    width: int = WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def fills(self) -> list[Fill]:
        """The fills the chart uses, each once (their patterns are defined once)."""
        seen: dict[str, Fill] = {}
        for bar in self.bars:
            for segment in bar.segments:
                seen.setdefault(segment.fill.pattern, segment.fill)
        for item in self.legend:
            seen.setdefault(item.fill.pattern, item.fill)
        return list(seen.values())

    def svg(self) -> SafeString:
        return render_to_string("includes/chart.html", {"chart": self})


def _fill(index: int) -> Fill:
    return Fill(PATTERNS[index % len(PATTERNS)], COLOURS[index % len(COLOURS)])


def _describe(rows: list[tuple[str, list[int]]], unit: str) -> str:
    named = [f"{label}: {sum(values)}{unit}" for label, values in rows[:DESCRIBED_BARS]]
    more = len(rows) - DESCRIBED_BARS
    text = "; ".join(named) + "." if named else "No data."
    if more > 0:
        text += f" And {more} more, listed in the table."
    return text


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    series: list[str],
    rows: list[tuple[str, list[int]]],
    desc: str = "",
    unit: str = "",
    texts: list[str] | None = None,
) -> Chart:
    """Horizontal bars, one per row (label, a value per series), each split into its
    series' segments, with a legend of the series when there are several. `chart_id`
    must be unique on the page (its patterns and title are named by it). `desc` comes
    before the bars' totals in the description; `unit` follows each number ("%");
    `texts`, one per row, replace the totals written at the bars' ends."""
    legend = []
    y = 0.0
    if len(series) > 1:
        for index, name in enumerate(series):
            legend.append(LegendItem(name, _fill(index), y, y + 12))
            y += LEGEND_ROW
        y += ROW_GAP
    written = texts or [f"{sum(values)}{unit}" for _, values in rows]
    room = max([VALUE_ROOM] + [CHARACTER_WIDTH * len(text) + 8 for text in written])
    largest = max((sum(values) for _, values in rows), default=0)
    scale = (WIDTH - room) / largest if largest else 0.0
    bars = []
    for row_index, (label, values) in enumerate(rows):
        x = 0.0
        segments = []
        for index, value in enumerate(values):
            if value:
                width = value * scale
                name = series[index] if index < len(series) else label
                segments.append(Segment(name, value, x, width, _fill(index)))
                x += width
        bar_y = y + LABEL_HEIGHT
        bars.append(
            Bar(
                label=label,
                total=sum(values),
                text=written[row_index],
                label_y=y + 13,
                y=bar_y,
                value_x=x + 4,
                value_y=bar_y + BAR_HEIGHT - 5,
                segments=segments,
            )
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    description = " ".join(part for part in (desc, _describe(rows, unit)) if part)
    return Chart(chart_id, title, description, max(y, 1.0), bars, legend)


def bar_chart(
    *, chart_id: str, title: str, rows: list[tuple[str, int]], desc: str = "", unit: str = ""
) -> Chart:
    """Horizontal bars, one per (label, value)."""
    return stacked_bar_chart(
        chart_id=chart_id,
        title=title,
        series=[],
        rows=[(label, [value]) for label, value in rows],
        desc=desc,
        unit=unit,
    )
