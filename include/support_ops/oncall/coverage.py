"""The coverage audit: the regional schedules cover their region's hours and hand off on time.

Works on schedules as `GET /schedules/{id}?since&until&overflow=true` returns them: who is on
call comes from `final_schedule` (PagerDuty has already applied layers, restrictions and
overrides), the hand-off from each layer's definition. Rules: docs/oncall.md.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .expected import WEEKDAYS, Expected, Hours
from .model import Finding, iso, parse_time

Interval = tuple[dt.datetime, dt.datetime]
WEEK = dt.timedelta(days=7)


def render_range(expected: Expected, since: dt.datetime, until: dt.datetime) -> Interval:
    """The range to ask PagerDuty for: the audit window widened to whole regional intervals."""
    lo, hi = since, until
    for hours in expected.hours.values():
        found = hours.intervals(since, until)
        if found:
            lo, hi = min(lo, found[0][0]), max(hi, found[-1][1])
    return lo, hi


def on_call(schedule: dict) -> list[tuple[dt.datetime, dt.datetime, dict]]:
    """The final schedule's entries (start, end, user reference), in order."""
    entries = ((schedule.get("final_schedule") or {}).get("rendered_schedule_entries")) or []
    out = [(parse_time(x["start"]), parse_time(x["end"]), x.get("user") or {}) for x in entries]
    return sorted((x for x in out if x[1] > x[0] and x[2]), key=lambda x: x[0])


def uncovered(entries: list[tuple[dt.datetime, dt.datetime, dict]], intervals: list[Interval]) -> list[Interval]:
    """The parts of `intervals` nobody is on call for (adjacent parts joined)."""
    gaps: list[Interval] = []
    for a, b in intervals:
        t = a
        for s, e, _ in entries:
            if e <= t or s >= b:
                continue
            if s > t:
                gaps.append((t, s))
            t = max(t, e)
            if t >= b:
                break
        if t < b:
            gaps.append((t, b))
    joined: list[Interval] = []
    for s, e in gaps:
        if joined and joined[-1][1] == s:
            joined[-1] = (joined[-1][0], e)
        else:
            joined.append((s, e))
    return joined


def coverage_gaps(schedule: dict, region: str, hours: Hours, since: dt.datetime,
                  until: dt.datetime) -> list[Finding]:
    """A `coverage_gap` per interval of the region's hours, overlapping [since, until), with
    nobody on call. Whole regional intervals are checked, so a gap keeps its start (and its
    identity across runs) however the window falls."""
    findings = []
    for s, e in uncovered(on_call(schedule), hours.intervals(since, until)):
        findings.append(Finding("coverage_gap", schedule["id"], iso(s), {
            "schedule": schedule.get("name"), "region": region, "start": iso(s), "end": iso(e),
            "minutes": int((e - s).total_seconds() // 60), "html_url": schedule.get("html_url")}))
    return findings


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def turn_starts(layer: dict, time_zone: str | None, since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """When the layer's turns start (UTC), from the turn in progress at `since` (or at the
    layer's start) to `until`. Turns are counted in the schedule's local wall-clock time, as
    PagerDuty renders them, so a layer kept in a zone with daylight-saving time moves in UTC."""
    lo = max(since, parse_time(layer["start"])) if layer.get("start") else since
    hi = min(until, parse_time(layer["end"])) if layer.get("end") else until
    turn = dt.timedelta(seconds=int(layer.get("rotation_turn_length_seconds") or 0))
    if lo >= hi or turn <= dt.timedelta(0) or not layer.get("rotation_virtual_start"):
        return []
    tz = _zone(time_zone)
    origin = parse_time(layer["rotation_virtual_start"]).astimezone(tz).replace(tzinfo=None)

    def at(k: int) -> dt.datetime:
        return (origin + k * turn).replace(tzinfo=tz).astimezone(dt.UTC)

    k = math.floor((lo.astimezone(tz).replace(tzinfo=None) - origin) / turn)
    while at(k) > lo:
        k -= 1
    while at(k + 1) <= lo:
        k += 1
    out = []
    while at(k) < hi:
        out.append(at(k))
        k += 1
    return out


def handoff_findings(schedule: dict, weekday: int, time: dt.time, since: dt.datetime,
                     until: dt.datetime) -> list[Finding]:
    """A `handoff_not_monday_0700` per layer in effect in [since, until) whose turns are not
    whole weeks or do not all start on `weekday` at `time` UTC."""
    findings = []
    for layer in schedule.get("schedule_layers") or []:
        starts = turn_starts(layer, schedule.get("time_zone"), since, until)
        if not starts:
            continue
        seconds = int(layer["rotation_turn_length_seconds"])
        wrong = [t for t in starts if t.weekday() != weekday or t.time() != time]
        reasons = []
        if seconds % int(WEEK.total_seconds()):
            reasons.append(f"turns of {seconds / 3600:g} hours, not whole weeks")
        if wrong:
            reasons.append(f"turns start {WEEKDAYS[wrong[0].weekday()]} {wrong[0]:%H:%M} UTC, "
                           f"not {WEEKDAYS[weekday]} {time:%H:%M} UTC")
        if reasons:
            findings.append(Finding("handoff_not_monday_0700", schedule["id"], str(layer.get("id") or ""), {
                "schedule": schedule.get("name"), "layer": layer.get("name"),
                "time_zone": schedule.get("time_zone"), "turn_length_seconds": seconds,
                "turn_starts": [iso(t) for t in (wrong or starts)[:4]], "reason": "; ".join(reasons),
                "html_url": schedule.get("html_url")}))
    return findings


def audit_coverage(expected: Expected, schedules: dict[str, dict], since: dt.datetime,
                   until: dt.datetime) -> list[Finding]:
    """Both checks for every regional schedule found (by name) in `schedules`; a missing one
    is the escalation audit's `schedule_missing`, and also reported here so it is never lost."""
    findings: list[Finding] = []
    for _group, region, name in expected.regional_schedules():
        doc = schedules.get(name)
        if doc is None:
            findings.append(Finding("schedule_missing", name, "", {"schedule": name, "needed_for": "coverage"}))
            continue
        findings += coverage_gaps(doc, region, expected.hours[region], since, until)
        findings += handoff_findings(doc, expected.handoff_weekday, expected.handoff_time, since, until)
    return findings
