"""The outcomes report's charts (ipcop.lib.charts), drawn from the report's numbers: the
page shows each beside the table of the same numbers."""

from __future__ import annotations

from django.utils.dateformat import format as date_format

from interviews.selectors.report import OutcomesReport
from ipcop.lib.charts import Chart, bar_chart, stacked_bar_chart

FOLLOWUP_SERIES = (
    ("completed", "Completed"),
    ("declined", "Declined"),
    ("missed", "Missed"),
    ("open", "Still open"),
)


def _professions_label(label: str) -> str:
    if label == "0":
        return "No other profession"
    return f"{label} other profession{'' if label == '1' else 's'}"


def outcomes_charts(report: OutcomesReport) -> dict[str, Chart]:
    """The report's four charts, by name: initiatives (by theme and status), followups
    (due per month, by status), professions_met (students by how many other professions
    they met) and themes (interviews per theme)."""
    initiatives = stacked_bar_chart(
        chart_id="chart-initiatives",
        title="Initiatives by theme and status",
        desc="Each bar is a theme, split by the initiatives' status.",
        series=[label for _, label in report.initiative_statuses],
        rows=[(entry["label"], entry["counts"]) for entry in report.initiatives_by_theme],
    )
    months = report.followups_by_month
    followups = stacked_bar_chart(
        chart_id="chart-followups",
        title="Follow-up interviews due each month, by outcome",
        desc=(
            "Each bar is a month's follow-ups due, split by outcome; the number after it "
            "is how many were due and the share completed."
        ),
        series=[label for _, label in FOLLOWUP_SERIES],
        rows=[
            (date_format(month["month"], "M Y"), [month[key] for key, _ in FOLLOWUP_SERIES])
            for month in months
        ],
        texts=[
            f"{month['due']} · {month['rate']}%" if month["rate"] is not None else "0"
            for month in months
        ],
    )
    professions_met = bar_chart(
        chart_id="chart-professions-met",
        title="Students by the number of other professions they met",
        desc="Students in mentoring sessions, by how many professions other than their own "
        "they met.",
        rows=[(_professions_label(label), n) for label, n in report.professions_met_per_student],
    )
    themes = bar_chart(
        chart_id="chart-themes",
        title="Themes of change found in interviews",
        desc="Interviews that found each theme, most frequent first.",
        rows=[(theme.name, theme.interviews) for theme in report.themes],
    )
    return {
        "initiatives": initiatives,
        "followups": followups,
        "professions_met": professions_met,
        "themes": themes,
    }
