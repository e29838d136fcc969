"""The sandbox's PagerDuty schedule rendering, function by function (docs/pagerduty-schedules.md).

The HTTP side is tested through the `pagerduty` client in
tests/integration/test_sandbox_pagerduty_schedules.py; these cover edge cases cheaply.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.pagerduty.render import (
    Rotation,
    coverage,
    final_entries,
    layer_entries,
    merge,
    parse_time,
    render_schedule,
    restriction_windows,
    zone,
)

NY = zone("America/New_York")
A, B, C = ({"id": i, "type": "user_reference"} for i in ("PA", "PB", "PC"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def layer(users, start: str, turn: int, restrictions=(), end=None) -> dict:
    return {"start": start, "end": end, "rotation_virtual_start": start,
            "rotation_turn_length_seconds": turn, "users": [{"user": u} for u in users],
            "restrictions": list(restrictions)}


def spans(entries) -> list[tuple[str, str, str]]:
    return [(s.strftime("%m-%d %H:%M"), e.strftime("%m-%d %H:%M"), u["id"]) for s, e, u in entries]


def test_parse_time_accepts_offsets_z_dates_and_a_decoded_plus():
    assert parse_time("2026-11-02T09:00:00-05:00") == utc(2026, 11, 2, 14)
    assert parse_time("2026-11-02T14:00:00Z") == utc(2026, 11, 2, 14)
    assert parse_time("2026-11-02") == utc(2026, 11, 2)
    assert parse_time("2026-11-02T15:00:00 01:00") == utc(2026, 11, 2, 14)
    with pytest.raises(ValueError):
        parse_time("next monday")
    with pytest.raises(ValueError):
        zone("Mars/Base")


def test_turns_are_counted_in_local_time_in_spring_too():
    # Weekly 09:00 New York from Monday 2027-03-01; DST starts Sunday 2027-03-14.
    rot = Rotation(layer([A, B], "2027-03-01T09:00:00-05:00", 7 * 86400), NY)
    assert [rot.boundary(k) for k in range(3)] == [
        utc(2027, 3, 1, 14), utc(2027, 3, 8, 14), utc(2027, 3, 15, 13)]
    assert rot.turn_at(utc(2027, 3, 15, 12, 59)) == 1
    assert rot.turn_at(utc(2027, 3, 15, 13)) == 2
    assert rot.turn_at(utc(2027, 2, 28)) == -1  # before the virtual start the rotation runs back


def test_an_hourly_turn_at_a_skipped_local_hour_is_empty_not_stuck():
    # Hourly turns from 00:00 New York on 2027-03-14: 02:00 local does not exist that day.
    lay = layer([A, B, C], "2027-03-14T00:00:00-05:00", 3600)
    entries = layer_entries(lay, NY, utc(2027, 3, 14, 5), utc(2027, 3, 14, 9))
    assert spans(entries) == [("03-14 05:00", "03-14 06:00", "PA"), ("03-14 06:00", "03-14 07:00", "PB"),
                              ("03-14 07:00", "03-14 08:00", "PA"), ("03-14 08:00", "03-14 09:00", "PB")]


def test_weekly_restriction_wraps_into_the_next_week():
    # Sunday 22:00 UTC for 10 hours: into Monday 08:00.
    r = [{"type": "weekly_restriction", "start_day_of_week": 7, "start_time_of_day": "22:00:00",
          "duration_seconds": 10 * 3600}]
    wins = restriction_windows(r, zone("UTC"), utc(2026, 11, 16), utc(2026, 11, 24))
    assert wins == [(utc(2026, 11, 16), utc(2026, 11, 16, 8)), (utc(2026, 11, 22, 22), utc(2026, 11, 23, 8))]


def test_overlapping_restrictions_add_up_and_bad_ones_are_refused():
    r = [{"type": "daily_restriction", "start_time_of_day": "08:00:00", "duration_seconds": 4 * 3600},
         {"type": "daily_restriction", "start_time_of_day": "10:00", "duration_seconds": 4 * 3600}]
    assert restriction_windows(r, zone("UTC"), utc(2026, 11, 17), utc(2026, 11, 18)) == [
        (utc(2026, 11, 17, 8), utc(2026, 11, 17, 14))]
    with pytest.raises(ValueError):
        restriction_windows([{"type": "monthly_restriction"}], zone("UTC"), utc(2026, 11, 17),
                            utc(2026, 11, 18))
    with pytest.raises(ValueError):
        restriction_windows([{"type": "weekly_restriction", "start_day_of_week": 0,
                              "duration_seconds": 60}], zone("UTC"), utc(2026, 11, 17), utc(2026, 11, 18))


def test_turn_boundary_inside_a_window_splits_it():
    # Daily turns at 12:00, office hours 09:00-17:00: each day has two people.
    lay = layer([A, B], "2026-11-16T12:00:00Z", 86400,
                [{"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 8 * 3600}])
    entries = layer_entries(lay, zone("UTC"), utc(2026, 11, 17), utc(2026, 11, 18))
    assert spans(entries) == [("11-17 09:00", "11-17 12:00", "PA"), ("11-17 12:00", "11-17 17:00", "PB")]


def test_later_layer_wins_overrides_win_and_same_person_merges():
    schedule = {"time_zone": "UTC", "schedule_layers": [
        layer([A], "2026-11-16T00:00:00Z", 7 * 86400),
        layer([B, A], "2026-11-16T00:00:00Z", 86400,
              [{"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 8 * 3600}]),
    ], "overrides": [
        {"start": "2026-11-17T16:00:00Z", "end": "2026-11-17T20:00:00Z", "user": C},
        {"start": "2026-11-17T19:00:00Z", "end": "2026-11-17T21:00:00Z", "user": A},
    ]}
    day = (utc(2026, 11, 16), utc(2026, 11, 18))
    assert spans(final_entries(schedule, *day)) == [
        ("11-16 00:00", "11-16 09:00", "PA"), ("11-16 09:00", "11-16 17:00", "PB"),
        # Tuesday: layer 2 is Ana too, so the day is one entry until the overrides.
        ("11-16 17:00", "11-17 16:00", "PA"), ("11-17 16:00", "11-17 19:00", "PC"),
        ("11-17 19:00", "11-18 00:00", "PA")]
    assert coverage(final_entries(schedule, *day), *day) == 100.0


def test_merge_keeps_different_people_and_gaps_apart():
    entries = [(utc(2026, 1, 1, 2), utc(2026, 1, 1, 3), A), (utc(2026, 1, 1, 0), utc(2026, 1, 1, 1), A),
               (utc(2026, 1, 1, 1), utc(2026, 1, 1, 2), A), (utc(2026, 1, 1, 4), utc(2026, 1, 1, 5), A),
               (utc(2026, 1, 1, 5), utc(2026, 1, 1, 6), B)]
    assert spans(merge(entries)) == [("01-01 00:00", "01-01 03:00", "PA"),
                                     ("01-01 04:00", "01-01 05:00", "PA"),
                                     ("01-01 05:00", "01-01 06:00", "PB")]


def test_rendered_document_uses_the_requested_zone_and_keeps_layer_fields():
    schedule = {"id": "PX", "time_zone": "America/New_York",
                "schedule_layers": [layer([A], "2026-11-16T09:00:00-05:00", 86400)], "overrides": []}
    out = render_schedule(schedule, (utc(2026, 11, 17, 14), utc(2026, 11, 17, 16)), NY)
    assert "overrides" not in out
    assert out["schedule_layers"][0]["rotation_virtual_start"] == "2026-11-16T09:00:00-05:00"
    assert out["final_schedule"]["rendered_schedule_entries"] == [
        {"start": "2026-11-17T09:00:00-05:00", "end": "2026-11-17T11:00:00-05:00", "user": A}]
    bare = render_schedule(schedule, None, NY)
    assert bare["final_schedule"] == {"name": "Final Schedule", "rendered_schedule_entries": [],
                                      "rendered_coverage_percentage": None}
    empty = render_schedule(schedule, (utc(2026, 11, 15), utc(2026, 11, 16)), NY)
    assert empty["final_schedule"]["rendered_coverage_percentage"] == 0.0
