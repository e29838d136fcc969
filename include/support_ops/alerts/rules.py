"""Which tickets alert, which tags come off (docs/alerts.md). Pure: no I/O.

At run time T a ticket alerts when it is not deleted; its status is `new`, `open` or `hold`;
its priority `high` or `urgent`; its plan premium-class (one of `SUPPORT_OPS_PREMIUM_PLANS`,
default premium, ultimate, silver, gold: found in the ticket's tags, else its organization's
`support_level`); it does not carry the tag `slah-2hr-breach-notification`; and one of its
unfulfilled SLA metric instances, never alerted before, has its breach time in (T, T + 2 h].
The tag comes off once the alerted instance is fulfilled (or, for a tag the pipeline did not
put there, once none of the ticket's SLA instances is still running), so a later instance of
the same ticket can alert.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .breach import Instance

TAG = "slah-2hr-breach-notification"
WINDOW = dt.timedelta(hours=2)
ALERT_STATUSES = frozenset({"new", "open", "hold"})
ALERT_PRIORITIES = frozenset({"high", "urgent"})
DEFAULT_PREMIUM_PLANS = ("premium", "ultimate", "silver", "gold")
PLANS_SETTING = "SUPPORT_OPS_PREMIUM_PLANS"


def premium_plans() -> frozenset[str]:
    """The premium-class plans: `SUPPORT_OPS_PREMIUM_PLANS` (comma-separated), else the default."""
    raw = os.environ.get(PLANS_SETTING, "").strip()
    plans = [p.strip().lower() for p in raw.split(",") if p.strip()] if raw else list(DEFAULT_PREMIUM_PLANS)
    return frozenset(plans)


@dataclass(frozen=True)
class Ticket:
    """What the rules need of a ticket (from the warehouse)."""

    id: int
    status: str
    priority: str | None
    tags: tuple[str, ...]
    is_deleted: bool = False
    organization_id: int | None = None
    organization: str | None = None  # its name
    support_level: str | None = None  # the organization's plan
    subject: str | None = None
    assignee: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Alert:
    ticket: Ticket
    instance: Instance
    plan: str
    at: dt.datetime  # the run time T

    @property
    def breach_at(self) -> dt.datetime:
        assert self.instance.breach_at is not None
        return self.instance.breach_at

    @property
    def minutes_left(self) -> int:
        return max(0, int((self.breach_at - self.at).total_seconds() // 60))


@dataclass(frozen=True)
class Decision:
    alerts: list[Alert] = field(default_factory=list)
    untag: list[int] = field(default_factory=list)  # ticket ids whose tag comes off
    skipped: dict[str, int] = field(default_factory=dict)  # why near-breach tickets did not alert


def plan_of(ticket: Ticket, plans: frozenset[str]) -> str | None:
    """The ticket's premium-class plan: a tag first, else the organization's support level."""
    for tag in sorted(ticket.tags):
        if tag.lower() in plans:
            return tag.lower()
    level = (ticket.support_level or "").strip().lower()
    return level if level in plans else None


def why_not(ticket: Ticket, plans: frozenset[str]) -> str | None:
    """The first ticket condition that fails, or None when the ticket may alert."""
    if ticket.is_deleted or ticket.status == "deleted":
        return "deleted"
    if ticket.status not in ALERT_STATUSES:
        return f"status {ticket.status}"
    if (ticket.priority or "") not in ALERT_PRIORITIES:
        return f"priority {ticket.priority or 'none'}"
    if plan_of(ticket, plans) is None:
        return "not a premium plan"
    if TAG in ticket.tags:
        return "already tagged"
    return None


def in_window(breach_at: dt.datetime | None, now: dt.datetime, window: dt.timedelta = WINDOW) -> bool:
    """Breach time in (now, now + window]: not breached yet, and at most `window` away."""
    return breach_at is not None and now < breach_at <= now + window


def decide(
    tickets: Mapping[int, Ticket],
    instances: Iterable[Instance],
    now: dt.datetime,
    *,
    alerted: Mapping[tuple[int, str, int], bool] | None = None,
    plans: frozenset[str] | None = None,
    window: dt.timedelta = WINDOW,
) -> Decision:
    """Alerts and tag removals at run time `now`.

    `alerted`: every (ticket, metric, instance) alerted before -> whether its tag is still on
    (the ledger). An instance alerted before never alerts again."""
    plans = premium_plans() if plans is None else plans
    alerted = alerted or {}
    by_ticket: dict[int, list[Instance]] = {}
    for inst in instances:
        by_ticket.setdefault(inst.ticket_id, []).append(inst)
    out = Decision()
    for tid, insts in sorted(by_ticket.items()):
        ticket = tickets.get(tid)
        if ticket is None:
            continue
        near = sorted((i for i in insts if in_window(i.breach_at, now, window) and i.key not in alerted),
                      key=lambda i: i.breach_at)  # type: ignore[arg-type, return-value]
        if near:
            reason = why_not(ticket, plans)
            if reason is None:
                out.alerts.append(Alert(ticket, near[0], plan_of(ticket, plans) or "", now))
            else:
                out.skipped[reason] = out.skipped.get(reason, 0) + 1
        if TAG in ticket.tags and _tag_done(ticket, insts, alerted):
            out.untag.append(tid)
    return out


def _tag_done(ticket: Ticket, insts: list[Instance], alerted: Mapping[tuple[int, str, int], bool]) -> bool:
    """Does the tag come off? The alerted instance(s) fulfilled; with no alert of ours on record,
    no SLA instance still running."""
    if ticket.is_deleted:
        return False
    ours = [i for i in insts if alerted.get(i.key)]
    if ours:
        return all(i.fulfilled for i in ours)
    if any(k[0] == ticket.id and on for k, on in alerted.items()):
        return False  # our alert's instance has no events here yet: wait
    sla = [i for i in insts if i.applied_at is not None]
    return bool(sla) and all(i.fulfilled for i in sla)
