"""The coverage audit on hand-built schedules, rendered by the sandbox's PagerDuty renderer
(the same code that answers GET /schedules/{id}), so the audit reads them as it reads PagerDuty."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.pagerduty.render import UTC_ZONE, render_schedule
from support_ops.oncall.coverage import audit_coverage, coverage_gaps, handoff_findings, turn_starts
from support_ops.oncall.expected import load

WEEK = 7 * 24 * 3600
DAY = 24 * 3600
EXPECTED = load()
AMER, APAC = EXPECTED.hours["AMER"], EXPECTED.hours["APAC"]
MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # a Monday, 00:00 UTC


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def user(n: int) -> dict:
    return {"id": f"PU{n:05d}", "type": "user_reference", "summary": f"Person {n}"}


def layer(lid: str, *, start: str = "2026-01-05T07:00:00Z", end: str | None = None,
          vstart: str = "2026-01-05T07:00:00Z", turn: int = WEEK, hours: tuple[str, int] | None = None,
          users: tuple[int, ...] = (1, 2, 3)) -> dict:
    restrictions = [] if hours is None else [
        {"type": "daily_restriction", "start_time_of_day": hours[0], "duration_seconds": hours[1] * 3600}]
    return {"id": lid, "name": lid, "start": start, "end": end, "rotation_virtual_start": vstart,
            "rotation_turn_length_seconds": turn, "users": [{"user": user(n)} for n in users],
            "restrictions": restrictions}


def schedule(*layers: dict, overrides: list[dict] | None = None, tz: str = "UTC",
             since: dt.datetime = MONDAY, days: int = 2) -> dict:
    """The schedule as GET /schedules/{id}?since&until&time_zone=UTC&overflow=true returns it."""
    doc = {"id": "PSCHED1", "name": "Test schedule", "time_zone": tz, "html_url": "https://pd/schedules/PSCHED1",
           "schedule_layers": list(layers), "overrides": overrides or []}
    window = (since - dt.timedelta(days=1), since + dt.timedelta(days=days + 1))
    return render_schedule(doc, window, UTC_ZONE, overflow=True)


def gaps(doc: dict, hours=AMER, region: str = "AMER", since: dt.datetime = MONDAY, days: int = 2):
    found = coverage_gaps(doc, region, hours, since, since + dt.timedelta(days=days))
    return [(f.details["start"], f.details["end"]) for f in found]


def override(start: str, end: str, n: int = 9) -> dict:
    return {"id": f"PO{start[:13]}", "start": start, "end": end, "user": user(n)}


def test_covered_hours_give_no_finding():
    doc = schedule(layer("L1", hours=("15:00:00", 8)))
    assert gaps(doc) == []
    assert handoff_findings(doc, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=2)) == []


def test_a_gap_inside_the_regions_hours_is_found_with_its_start_and_end():
    # the rotation only begins on Tuesday at 18:00: Monday's hours and Tuesday's first three are empty
    doc = schedule(layer("L1", start="2026-11-24T18:00:00Z", hours=("15:00:00", 8)))
    assert gaps(doc) == [("2026-11-23T15:00:00Z", "2026-11-23T23:00:00Z"),
                         ("2026-11-24T15:00:00Z", "2026-11-24T18:00:00Z")]
    finding = coverage_gaps(doc, "AMER", AMER, MONDAY, MONDAY + dt.timedelta(days=2))[1]
    assert (finding.check_name, finding.entity_id, finding.item) == (
        "coverage_gap", "PSCHED1", "2026-11-24T15:00:00Z")
    assert finding.details["minutes"] == 180 and finding.details["region"] == "AMER"


def test_a_gap_outside_the_regions_hours_is_no_finding():
    # nobody from 23:00 to 15:00: outside AMER's hours, so nothing to report ...
    doc = schedule(layer("L1", hours=("15:00:00", 8)))
    assert doc["final_schedule"]["rendered_coverage_percentage"] < 40
    assert gaps(doc) == []
    # ... but the same schedule audited for APAC's hours has a gap every night
    assert gaps(doc, APAC, "APAC") == [("2026-11-22T23:00:00Z", "2026-11-23T07:00:00Z"),
                                       ("2026-11-23T23:00:00Z", "2026-11-24T07:00:00Z"),
                                       ("2026-11-24T23:00:00Z", "2026-11-25T07:00:00Z")]


def test_a_restriction_that_leaves_an_hour_uncovered():
    doc = schedule(layer("L1", hours=("15:00:00", 7)))  # 15:00-22:00: 22:00-23:00 is open
    assert gaps(doc) == [("2026-11-23T22:00:00Z", "2026-11-23T23:00:00Z"),
                         ("2026-11-24T22:00:00Z", "2026-11-24T23:00:00Z")]


def test_overrides_close_gaps_and_leave_open_what_they_do_not_cover():
    base = layer("L1", hours=("15:00:00", 7))
    closed = schedule(base, overrides=[override("2026-11-23T22:00:00Z", "2026-11-23T23:00:00Z")])
    assert gaps(closed) == [("2026-11-24T22:00:00Z", "2026-11-24T23:00:00Z")]
    partly = schedule(base, overrides=[override("2026-11-24T22:00:00Z", "2026-11-24T22:30:00Z")])
    assert gaps(partly) == [("2026-11-23T22:00:00Z", "2026-11-23T23:00:00Z"),
                            ("2026-11-24T22:30:00Z", "2026-11-24T23:00:00Z")]


def test_an_override_replacing_the_person_keeps_coverage_and_removing_it_reopens_the_gap():
    base = layer("L1", hours=("15:00:00", 7))
    swap = override("2026-11-23T15:00:00Z", "2026-11-23T23:00:00Z", n=7)  # someone else, and longer
    doc = schedule(base, overrides=[swap])
    people = {e["user"]["id"] for e in doc["final_schedule"]["rendered_schedule_entries"]}
    assert user(7)["id"] in people
    assert gaps(doc) == [("2026-11-24T22:00:00Z", "2026-11-24T23:00:00Z")]
    assert len(gaps(schedule(base))) == 2  # without the override Monday's hour is open again


def test_a_higher_layer_with_a_restriction_lets_the_layer_below_show_through():
    bottom = layer("L1", hours=("15:00:00", 8), users=(1,))
    top = layer("L2", hours=("18:00:00", 2), users=(2,))
    doc = schedule(bottom, top)
    assert gaps(doc) == []
    monday = [e for e in doc["final_schedule"]["rendered_schedule_entries"] if e["start"].startswith("2026-11-23T")]
    assert [e["user"]["id"] for e in monday][:3] == [user(1)["id"], user(2)["id"], user(1)["id"]]


def test_a_daily_rotation_covers_the_hours_but_is_not_a_weekly_handoff():
    doc = schedule(layer("L1", turn=DAY, hours=("15:00:00", 8)))
    assert gaps(doc) == []
    [finding] = handoff_findings(doc, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=2))
    assert finding.check_name == "handoff_not_monday_0700" and finding.item == "L1"
    assert "not whole weeks" in finding.details["reason"]
    assert "turns start Sunday 07:00 UTC" in finding.details["reason"]  # the turn in progress


def test_a_tuesday_handoff_is_a_finding_and_monday_0700_is_not():
    tuesday = schedule(layer("L1", vstart="2026-01-06T07:00:00Z", hours=("15:00:00", 8)))
    [finding] = handoff_findings(tuesday, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=14))
    assert finding.details["turn_starts"][0] == "2026-11-17T07:00:00Z"  # the turn in progress
    assert finding.details["reason"] == "turns start Tuesday 07:00 UTC, not Monday 07:00 UTC"
    monday = schedule(layer("L1", hours=("15:00:00", 8)))
    assert handoff_findings(monday, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=14)) == []
    # a hand-off at another hour of Monday is a finding too
    eight = schedule(layer("L1", vstart="2026-01-05T08:00:00Z", hours=("15:00:00", 8)))
    assert len(handoff_findings(eight, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=14))) == 1


def test_a_schedule_in_a_zone_with_daylight_saving_time_moves_in_utc():
    # Pacific time, on duty 07:00-15:00 local, hand-off Sunday 23:00 local: in winter (PST,
    # UTC-8) that is exactly AMER's 15:00-23:00 UTC and Monday 07:00 UTC; in summer (PDT) an
    # hour earlier. The US changed back on 2026-11-01.
    since = dt.datetime(2026, 10, 26, tzinfo=dt.UTC)
    la = layer("L1", start="2026-01-04T23:00:00-08:00", vstart="2026-01-04T23:00:00-08:00",
               hours=("07:00:00", 8))
    doc = schedule(la, tz="America/Los_Angeles", since=since, days=14)
    found = gaps(doc, since=since, days=14)
    assert found == [(f"2026-10-{d}T22:00:00Z", f"2026-10-{d}T23:00:00Z") for d in range(26, 32)]
    starts = turn_starts(doc["schedule_layers"][0], doc["time_zone"], since, since + dt.timedelta(days=14))
    # from the turn in progress at the start of the window; the turn across the change is 7 days 1 hour
    assert [x.isoformat() for x in starts] == ["2026-10-19T06:00:00+00:00", "2026-10-26T06:00:00+00:00",
                                               "2026-11-02T07:00:00+00:00"]
    [handoff] = handoff_findings(doc, 0, dt.time(7), since, since + dt.timedelta(days=14))
    assert handoff.details["turn_starts"] == ["2026-10-19T06:00:00Z", "2026-10-26T06:00:00Z"]
    # the same layer after the change: no finding at all
    later = dt.datetime(2026, 11, 9, tzinfo=dt.UTC)  # the turn in progress began after the change
    winter = schedule(la, tz="America/Los_Angeles", since=later, days=14)
    assert gaps(winter, since=later, days=14) == []
    assert handoff_findings(winter, 0, dt.time(7), later, later + dt.timedelta(days=14)) == []


def test_a_layer_that_ended_leaves_a_gap_and_is_no_longer_audited_for_its_handoff():
    old = layer("L1", end="2026-11-20T07:00:00Z", vstart="2026-01-06T07:00:00Z", hours=("15:00:00", 8))
    current = layer("L2", end="2026-11-24T07:00:00Z", hours=("15:00:00", 8))
    doc = schedule(old, current)
    assert gaps(doc) == [("2026-11-24T15:00:00Z", "2026-11-24T23:00:00Z")]
    assert handoff_findings(doc, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=2)) == []


def test_audit_coverage_checks_each_regional_schedule_and_reports_a_missing_one():
    good = schedule(layer("L1", hours=("15:00:00", 8)))
    docs = {name: {**good, "id": f"P{i}", "name": name}
            for i, (_g, _r, name) in enumerate(EXPECTED.regional_schedules())}
    docs.pop("Support Manager - EMEA")
    found = audit_coverage(EXPECTED, docs, MONDAY, MONDAY + dt.timedelta(days=1))
    checks = sorted({(f.check_name, f.details.get("region") or f.entity_id) for f in found})
    # an AMER layer covers neither APAC's nor EMEA's hours
    assert checks == [("coverage_gap", "APAC"), ("coverage_gap", "EMEA"),
                      ("schedule_missing", "Support Manager - EMEA")]


@pytest.mark.parametrize("turn", [WEEK, 2 * WEEK])
def test_whole_weeks_from_monday_0700_are_fine(turn):
    doc = schedule(layer("L1", turn=turn, hours=("15:00:00", 8)))
    assert handoff_findings(doc, 0, dt.time(7), MONDAY, MONDAY + dt.timedelta(days=14)) == []
