"""The chart helper: bar lengths in proportion, a legend for stacked series, a
description that says the numbers, and an SVG that names itself."""

import re

from ipcop.lib.charts import (
    CHARACTER_WIDTH,
    DESCRIBED_BARS,
    VALUE_ROOM,
    WIDTH,
    bar_chart,
    stacked_bar_chart,
)


def test_bars_are_in_proportion_and_say_their_number():
    chart = bar_chart(chart_id="c", title="Themes", rows=[("Communication", 8), ("Discharge", 2)])
    first, second = chart.bars
    assert first.segments[0].width == WIDTH - VALUE_ROOM  # the largest bar fills the room
    assert second.segments[0].width == (WIDTH - VALUE_ROOM) / 4
    assert (first.text, second.text) == ("8", "2")
    assert second.y > first.y + chart.bar_height  # one under the other, with its label
    assert chart.legend == []  # one series: no legend
    assert chart.desc == "Communication: 8; Discharge: 2."


def test_stacked_segments_follow_each_other_with_a_pattern_each_and_a_legend():
    chart = stacked_bar_chart(
        chart_id="s",
        title="Initiatives",
        series=["Idea", "Planned", "Done"],
        rows=[("Communication", [1, 0, 3]), ("Other", [0, 0, 0])],
        desc="By theme and status.",
    )
    communication, other = chart.bars
    idea, done = communication.segments  # a zero makes no segment
    assert (idea.series, done.series) == ("Idea", "Done")
    assert done.x == idea.width and done.width == 3 * idea.width
    assert idea.fill.pattern != done.fill.pattern
    assert other.segments == [] and other.text == "0"
    assert [item.label for item in chart.legend] == ["Idea", "Planned", "Done"]
    assert communication.label_y > chart.legend[-1].y  # the bars start below the legend
    assert chart.desc == "By theme and status. Communication: 4; Other: 0."


def test_the_longest_text_has_room_right_of_its_bar():
    chart = stacked_bar_chart(
        chart_id="t", title="Months", series=["a"], rows=[("Jan", [9])], texts=["9 · 100%"]
    )
    (bar,) = chart.bars
    assert bar.text == "9 · 100%"
    assert bar.value_x + CHARACTER_WIDTH * len(bar.text) <= WIDTH


def test_a_long_description_points_to_the_table():
    rows = [(f"Month {i}", i) for i in range(DESCRIBED_BARS + 3)]
    chart = bar_chart(chart_id="m", title="Months", rows=rows)
    assert chart.desc.endswith("And 3 more, listed in the table.")


def test_no_rows_draw_an_empty_chart():
    chart = bar_chart(chart_id="e", title="Nothing", rows=[])
    assert chart.bars == [] and chart.desc == "No data." and chart.height >= 1


def test_the_svg_is_an_image_named_by_its_title_and_description(db):
    chart = stacked_bar_chart(
        chart_id="chart-x",
        title="Admission & intake",
        series=["A", "B"],
        rows=[("<b>Unit</b>", [2, 1])],
    )
    svg = chart.svg()
    assert "<svg" in svg
    assert 'role="img"' in svg and 'aria-labelledby="chart-x-title chart-x-desc"' in svg
    assert '<title id="chart-x-title">Admission &amp; intake</title>' in svg
    assert "&lt;b&gt;Unit&lt;/b&gt;" in svg  # labels are escaped
    assert re.search(r'<pattern id="chart-x-solid"', svg)
    assert re.search(r'<pattern id="chart-x-stripes"', svg)
    assert "style=" not in svg
    assert ">3</text>" in svg  # the bar's total, written out
