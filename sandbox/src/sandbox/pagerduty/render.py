"""How the sandbox's PagerDuty turns a schedule's layers and overrides into who is on call.

The rules, and the PagerDuty documentation each one comes from, are in
docs/pagerduty-schedules.md. In short:

- a layer rotates its `users` in list order, one turn of `rotation_turn_length_seconds` each,
  counted from `rotation_virtual_start` in the schedule's local wall-clock time (so a weekly
  09:00 America/New_York hand-off stays at 09:00 local across a daylight-saving change);
- the layer only exists between its `start` and `end`, and its `restrictions` (daily or weekly,
  local time of the schedule) mask the hours it covers;
- later layers in `schedule_layers` win over earlier ones wherever they have someone on call,
  the gaps they leave show the layers below; overrides win over every layer, and of two
  overlapping overrides the one created later wins;
- the final schedule merges adjacent entries of the same person.

Every function works on UTC datetimes; entries are `(start, end, user reference)` with `end`
exclusive. Nothing here knows about HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Entry = tuple[datetime, datetime, dict]
Window = tuple[datetime, datetime]

UTC_ZONE = ZoneInfo("UTC")


# -- time ----------------------------------------------------------------------------------
def parse_time(value: str) -> datetime:
    """ISO 8601 with Z, an offset, or none (= UTC), or a bare date (midnight UTC).

    A '+' in a query string arrives as a space when the client did not encode it."""
    text = value.strip()
    if "T" in text:
        text = text.replace(" ", "+")
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name` (UTC when empty); ValueError for an unknown one."""
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def schedule_zone(schedule: dict) -> ZoneInfo:
    """The schedule's own zone; a stored schedule with an unknown zone renders in UTC."""
    try:
        return zone(schedule.get("time_zone"))
    except ValueError:
        return UTC_ZONE


def fmt_time(dt: datetime, tz: ZoneInfo | None = None) -> str:
    """UTC as `...Z`, any other zone with its offset, as PagerDuty writes them."""
    if tz is None or tz.key in ("UTC", "Etc/UTC"):
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.astimezone(tz).replace(microsecond=0).isoformat()


def _wall(dt: datetime, tz: ZoneInfo) -> datetime:
    """`dt` as a naive local wall-clock time in `tz`."""
    return dt.astimezone(tz).replace(tzinfo=None)


def _at(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (the earlier one when it is ambiguous; a time
    skipped by a spring-forward change counts with the offset before the change)."""
    return wall.replace(tzinfo=tz).astimezone(UTC)


# -- one layer -----------------------------------------------------------------------------
class Rotation:
    """The turn boundaries of a layer: `rotation_virtual_start` + k turns, in local time."""

    def __init__(self, layer: dict, tz: ZoneInfo):
        self.tz = tz
        self.origin = _wall(parse_time(layer["rotation_virtual_start"]), tz)
        self.turn = timedelta(seconds=int(layer["rotation_turn_length_seconds"]))
        if self.turn <= timedelta(0):
            raise ValueError("rotation_turn_length_seconds must be positive")

    def boundary(self, k: int) -> datetime:
        return _at(self.origin + k * self.turn, self.tz)

    def turn_at(self, t: datetime) -> int:
        """The turn k with boundary(k) <= t < boundary(k + 1)."""
        k = math.floor((_wall(t, self.tz) - self.origin) / self.turn)
        while self.boundary(k) > t:
            k -= 1
        while self.boundary(k + 1) <= t:
            k += 1
        return k


def _time_of_day(value: Any) -> time:
    text = str(value or "00:00:00").strip().rstrip("Zz")
    return time.fromisoformat(text)


def restriction_windows(restrictions: list[dict], tz: ZoneInfo, a: datetime,
                        b: datetime) -> list[Window]:
    """The periods in [a, b) a layer's restrictions leave open, merged and sorted.

    A daily restriction opens every local day at `start_time_of_day` for `duration_seconds`;
    a weekly one opens on `start_day_of_week` (ISO: 1 = Monday … 7 = Sunday). Start and end
    are local wall-clock times, so the window keeps its local hours across a DST change."""
    if not restrictions:
        return [(a, b)]
    first = _wall(a, tz).date() - timedelta(days=8)
    last = _wall(b, tz).date() + timedelta(days=1)
    wins: list[Window] = []
    for r in restrictions:
        kind = r.get("type", "daily_restriction")
        if kind not in ("daily_restriction", "weekly_restriction"):
            raise ValueError(f"unknown restriction type {kind!r}")
        tod = _time_of_day(r.get("start_time_of_day"))
        dur = timedelta(seconds=int(r.get("duration_seconds") or 0))
        if dur <= timedelta(0):
            continue
        day = first
        if kind == "weekly_restriction":
            dow = r.get("start_day_of_week")
            if not isinstance(dow, int) or not 1 <= dow <= 7:
                raise ValueError("start_day_of_week must be 1 (Monday) to 7 (Sunday)")
            day += timedelta(days=(dow - day.isoweekday()) % 7)
        step = timedelta(days=7 if kind == "weekly_restriction" else 1)
        while day <= last:
            start_wall = datetime.combine(day, tod)
            s, e = _at(start_wall, tz), _at(start_wall + dur, tz)
            if e > a and s < b:
                wins.append((max(s, a), min(e, b)))
            day += step
    return _union(wins)


def _union(wins: Iterable[Window]) -> list[Window]:
    merged: list[Window] = []
    for s, e in sorted(wins):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def layer_entries(layer: dict, tz: ZoneInfo, a: datetime, b: datetime) -> list[Entry]:
    """Who one layer puts on call in [a, b): one entry per turn and open restriction window."""
    users = [u["user"] for u in layer.get("users") or [] if u.get("user")]
    if not users:
        return []
    if layer.get("start"):
        a = max(a, parse_time(layer["start"]))
    if layer.get("end"):
        b = min(b, parse_time(layer["end"]))
    if a >= b:
        return []
    rot = Rotation(layer, tz)
    out: list[Entry] = []
    for ws, we in restriction_windows(layer.get("restrictions") or [], tz, a, b):
        t = ws
        while t < we:
            k = rot.turn_at(t)
            end = min(we, rot.boundary(k + 1))
            out.append((t, end, users[k % len(users)]))
            t = end
    return out


# -- combining -----------------------------------------------------------------------------
def paint(base: list[Entry], top: list[Entry]) -> list[Entry]:
    """Lay `top` over `base`: where `top` has someone, it wins; elsewhere `base` shows."""
    out = sorted(base, key=lambda e: e[0])
    for ts, te, tu in sorted(top, key=lambda e: e[0]):
        kept: list[Entry] = []
        for s, e, u in out:
            if e <= ts or s >= te:
                kept.append((s, e, u))
                continue
            if s < ts:
                kept.append((s, ts, u))
            if e > te:
                kept.append((te, e, u))
        kept.append((ts, te, tu))
        out = sorted(kept, key=lambda e: e[0])
    return out


def merge(entries: list[Entry]) -> list[Entry]:
    """Join entries of the same user that touch: one on-call period, not several."""
    out: list[Entry] = []
    for s, e, u in sorted(entries, key=lambda x: x[0]):
        if out and out[-1][1] == s and out[-1][2].get("id") == u.get("id"):
            out[-1] = (out[-1][0], e, out[-1][2])
        else:
            out.append((s, e, u))
    return out


def override_entries(schedule: dict, a: datetime, b: datetime) -> list[Entry]:
    """The overrides subschedule in [a, b): in creation (list) order, the later one wins."""
    result: list[Entry] = []
    for o in schedule.get("overrides") or []:
        s, e = max(a, parse_time(o["start"])), min(b, parse_time(o["end"]))
        if s < e:
            result = paint(result, [(s, e, o["user"])])
    return result


def final_entries(schedule: dict, a: datetime, b: datetime) -> list[Entry]:
    """The final schedule in [a, b): layers in list order (later wins), overrides on top."""
    tz = schedule_zone(schedule)
    result: list[Entry] = []
    for layer in schedule.get("schedule_layers") or []:
        result = paint(result, layer_entries(layer, tz, a, b))
    return merge(paint(result, override_entries(schedule, a, b)))


def margin(schedule: dict) -> timedelta:
    """How far beyond a window to render so entries crossing its edges come out whole."""
    turns = [int(layer.get("rotation_turn_length_seconds") or 0)
             for layer in schedule.get("schedule_layers") or []]
    return timedelta(seconds=max(turns, default=0)) + timedelta(days=8)


def clip(entries: list[Entry], a: datetime, b: datetime) -> list[Entry]:
    return [(max(s, a), min(e, b), u) for s, e, u in entries if e > a and s < b]


def coverage(entries: list[Entry], a: datetime, b: datetime) -> float:
    """Percentage of [a, b) with someone on call (entries must not overlap)."""
    total = (b - a).total_seconds()
    if total <= 0:
        return 0.0
    covered = sum((e - s).total_seconds() for s, e, _ in clip(entries, a, b))
    return round(100.0 * covered / total, 2)


# -- the rendered document -----------------------------------------------------------------
def _json_entries(entries: list[Entry], tz: ZoneInfo) -> list[dict]:
    return [{"start": fmt_time(s, tz), "end": fmt_time(e, tz), "user": u} for s, e, u in entries]


def _layer_json(layer: dict, tz: ZoneInfo) -> dict:
    out = {k: v for k, v in layer.items() if k not in ("rendered_schedule_entries",
                                                      "rendered_coverage_percentage")}
    for key in ("start", "end", "rotation_virtual_start"):
        if out.get(key):
            out[key] = fmt_time(parse_time(out[key]), tz)
    return out


def render_schedule(schedule: dict, window: Window | None, tz: ZoneInfo,
                    overflow: bool = False) -> dict:
    """GET /schedules/{id}: the schedule with each layer, the overrides and the final schedule
    rendered for `window` in zone `tz`; without a window the entries are empty and the
    coverage null, as PagerDuty documents. Entries are cut at the window unless `overflow`."""
    layers_in = schedule.get("schedule_layers") or []
    out = {k: v for k, v in schedule.items() if k != "overrides"}
    if window is None:
        out["schedule_layers"] = [{**_layer_json(layer, tz), "rendered_schedule_entries": [],
                                   "rendered_coverage_percentage": None} for layer in layers_in]
        out["overrides_subschedule"] = {"name": "Overrides", "rendered_schedule_entries": [],
                                        "rendered_coverage_percentage": None}
        out["final_schedule"] = {"name": "Final Schedule", "rendered_schedule_entries": [],
                                 "rendered_coverage_percentage": None}
        return out
    a, b = window
    lo, hi = (a - margin(schedule), b + margin(schedule)) if overflow else (a, b)
    stz = schedule_zone(schedule)

    def shown(entries: list[Entry]) -> list[Entry]:
        return [x for x in entries if x[1] > a and x[0] < b] if overflow else clip(entries, a, b)

    layers = []
    for layer in layers_in:
        entries = layer_entries(layer, stz, lo, hi)
        layers.append({**_layer_json(layer, tz),
                       "rendered_schedule_entries": _json_entries(shown(entries), tz),
                       "rendered_coverage_percentage": coverage(entries, a, b)})
    overrides = override_entries(schedule, lo, hi)
    final = final_entries(schedule, lo, hi)
    out["schedule_layers"] = layers
    out["overrides_subschedule"] = {
        "name": "Overrides", "rendered_schedule_entries": _json_entries(shown(overrides), tz),
        "rendered_coverage_percentage": coverage(overrides, a, b)}
    out["final_schedule"] = {
        "name": "Final Schedule", "rendered_schedule_entries": _json_entries(shown(final), tz),
        "rendered_coverage_percentage": coverage(final, a, b)}
    return out
