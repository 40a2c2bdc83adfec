"""The outcomes report shows the period it covers: in words ("4 Dec 2025 – 4 Dec 2026")
and in its date inputs, which an empty or partial query fills with the period used."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ipcop.lib.formats import human_date


def inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="date" name="(start|end)"[^>]* value="([^"]*)"', html))


def test_empty_date_inputs_are_filled_with_the_default_year(client_for, facilitator, site_a):
    html = client_for(facilitator).get(reverse("interviews:report")).content.decode()
    today = timezone.localdate()
    start = today - timedelta(days=365)
    assert inputs(html) == {"start": start.isoformat(), "end": today.isoformat()}
    assert f"{human_date(start)} – {human_date(today)}" in html


def test_a_given_end_fills_only_the_start(client_for, facilitator, site_a):
    response = client_for(facilitator).get(reverse("interviews:report"), {"end": "2026-06-30"})
    html = response.content.decode()
    assert inputs(html) == {"start": "2025-06-30", "end": "2026-06-30"}
    assert "30 Jun 2025 – 30 Jun 2026" in html


def test_a_refused_period_keeps_what_was_typed(client_for, facilitator, site_a):
    response = client_for(facilitator).get(
        reverse("interviews:report"), {"start": "2026-12-31", "end": "2026-01-01"}
    )
    html = response.content.decode()
    assert "must be after its start" in html
    assert inputs(html) == {"start": "2026-12-31", "end": "2026-01-01"}
