"""Breach time of SLA metric instances, from Zendesk's ticket metric events.

Zendesk emits, per ticket, metric (`reply_time`, `agent_work_time`, ...) and instance
(`instance_id`: 1 for the first reply, 2 for the next, ...), events of the types `activate`,
`pause`, `fulfill`, `apply_sla`, `breach`, `update_status`, `measure`; `apply_sla` carries the
policy's target in minutes (Zendesk API reference, "Ticket Metric Events"). The rules
(docs/alerts.md):

- breach time = the latest `apply_sla` time + its target (calendar minutes) + the time the
  metric spent paused after that `apply_sla` (`pause` -> next `activate`; a pause that began
  before `apply_sla` counts only from `apply_sla` on);
- an instance with a `fulfill` after its `apply_sla` has no breach time (it was met, or
  breached and then fulfilled: nothing left to warn about);
- an instance paused now (a `pause` with no `activate` after it) has no breach time either:
  its clock is stopped, it cannot breach while paused;
- an instance without `apply_sla` has no SLA, so no breach time.

Business-hours targets (`sla.business_hours` true) are counted as calendar time; the
project's SLA policies are calendar-hour policies (docs/alerts.md says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    ticket_id: int
    metric: str
    instance_id: int | None
    type: str
    time: dt.datetime
    sla_target: int | None = None  # minutes, apply_sla only
    id: int = 0  # Zendesk's event id: orders events of the same second


@dataclass(frozen=True)
class Instance:
    """One SLA metric instance of a ticket and what its events say about it."""

    ticket_id: int
    metric: str
    instance_id: int
    applied_at: dt.datetime | None
    target_minutes: int | None
    paused_seconds: float
    fulfilled: bool
    paused_now: bool
    breach_at: dt.datetime | None  # None: fulfilled, paused now, or no SLA

    @property
    def key(self) -> tuple[int, str, int]:
        return self.ticket_id, self.metric, self.instance_id


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def instance_of(ticket_id: int, metric: str, instance_id: int, events: Iterable[Event]) -> Instance:
    """The instance's breach time from its own events (any order; ties by event id)."""
    evs = sorted(events, key=lambda e: (_utc(e.time), e.id))
    applies = [e for e in evs if e.type == "apply_sla" and e.sla_target is not None]
    if not applies:
        return Instance(ticket_id, metric, instance_id, None, None, 0.0, False, False, None)
    apply = applies[-1]  # a re-applied SLA (priority changed) replaces the earlier one
    start = _utc(apply.time)
    after = [e for e in evs if (_utc(e.time), e.id) > (start, apply.id)]
    before = [e for e in evs if (_utc(e.time), e.id) < (start, apply.id)]
    fulfilled = any(e.type == "fulfill" for e in after)
    # Was the metric paused when the SLA was applied? The last pause/activate before it says.
    state = next((e.type for e in reversed(before) if e.type in ("pause", "activate")), "activate")
    paused_since: dt.datetime | None = start if state == "pause" else None
    paused = 0.0
    for e in after:
        if e.type == "pause" and paused_since is None:
            paused_since = _utc(e.time)
        elif e.type == "activate" and paused_since is not None:
            paused += (_utc(e.time) - paused_since).total_seconds()
            paused_since = None
    paused_now = paused_since is not None
    target = int(apply.sla_target or 0)
    breach = None
    if not fulfilled and not paused_now:
        breach = start + dt.timedelta(minutes=target, seconds=paused)
    return Instance(ticket_id, metric, instance_id, start, target, paused, fulfilled, paused_now, breach)


def instances(events: Iterable[Event]) -> list[Instance]:
    """Every (ticket, metric, instance) found in `events`, with its breach time."""
    groups: dict[tuple[int, str, int], list[Event]] = {}
    for e in events:
        groups.setdefault((e.ticket_id, e.metric, int(e.instance_id or 0)), []).append(e)
    return [instance_of(t, m, i, evs) for (t, m, i), evs in sorted(groups.items())]
