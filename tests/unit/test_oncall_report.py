"""The on-call page and digest keep names from PagerDuty as text (HTML and Slack)."""

from __future__ import annotations

import datetime as dt

import pytest

from support_ops.oncall.expected import load
from support_ops.oncall.report import digest_text, timeline

SINCE = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
UNTIL = SINCE + dt.timedelta(days=14)


def test_the_timeline_is_an_svg_picture_with_hours_shifts_and_gaps_and_escapes_names():
    shifts = [{"user_id": "PU1", "user_name": "<script>alert(1)</script>", "start": SINCE - dt.timedelta(days=1),
               "end": SINCE + dt.timedelta(days=2)},
              {"user_id": "PU2", "user_name": "Ann & Bob", "start": SINCE + dt.timedelta(days=2), "end": UNTIL}]
    gap = (SINCE + dt.timedelta(days=3, hours=3), SINCE + dt.timedelta(days=3, hours=11))
    svg = timeline("Support Manager - APAC", shifts, SINCE, UNTIL, load().hours["APAC"], [gap])
    assert svg.startswith("<svg class='timeline'") and "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "Ann &amp; Bob" in svg
    assert svg.count("class='shift'") == 2 and svg.count("class='gap'") == 1
    assert svg.count("class='hours'") == 14  # one band of APAC's hours a night
    first = svg.split("class='shift' x='", 1)[1]
    assert first.startswith("0.0'")  # a shift that began before the window starts at its edge


def test_the_digest_escapes_names_and_lists_each_service():
    run = {"as_of": SINCE, "counts": {"coverage_gap": 1, "policy_missing": 0},
           "now_on_call": [{"service": "Customer Support", "people": [
               {"name": "<!channel> @here", "schedule": "Customer Emergencies - EMEA"}]},
               {"service": "Support Managers", "people": []}]}
    text = digest_text(run, "http://localhost:8080/support-ops/reports/oncall/2026-11-23/index.html")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "@here" not in text
    assert "• Support Managers: _nobody_" in text
    assert "coverage_gap 1" in text and "policy_missing" not in text


def test_as_of_is_read_strictly():
    from support_ops.oncall.runner import resolve_as_of

    assert resolve_as_of("2026-11-20T12:00:00Z") == dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    assert resolve_as_of("2026-11-20T13:00:00+01:00") == dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    assert resolve_as_of("2026-11-20") == dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    assert resolve_as_of(None).tzinfo is not None
    with pytest.raises(ValueError, match="as_of must be an ISO 8601 time"):
        resolve_as_of("next tuesday")
