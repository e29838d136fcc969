"""One pass of the premium SLA-breach alerts (docs/alerts.md), after the refresh.

1. Read the open tickets (plus those our tag is on) and their SLA metric events from the
   warehouse; compute every instance's breach time; decide (rules.py).
2. Post one Slack message per newly near-breach ticket to `slack_breach_alerts` (outbound
   layer, key per ticket/metric/instance, so a rerun never posts it twice); record each posted
   alert in the ledger `sla_breach_alerts`.
3. Tag the alerted tickets and untag the fulfilled ones: `tickets/update_many`, one call per
   action for up to 100 tickets (outbound layer, read back on rerun).

A dry run stores both plans (`support_ops outbound show PLAN` shows them), logs every message
and change it would make, and posts, tags and records nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from ..outbound import Write, apply, plan
from ..outbound.model import APPLIED, SKIPPED, WritesFailed
from ..outbound.slack import message
from . import store
from .breach import instances
from .messages import alert_text
from .rules import TAG, Decision, decide
from .targets import ADD, REMOVE, SLA_ALERTS, SLA_TAGS, tag_write

log = logging.getLogger(__name__)
CONN_ID = "slack_breach_alerts"


def alert_key(ticket_id: int, metric: str, instance_id: int) -> str:
    return f"slack:sla-breach:{ticket_id}:{metric}:{instance_id}"


def evaluate(engine: Engine, now: dt.datetime) -> tuple[Decision, dict]:
    """The decision at `now` from the warehouse, and the ledger it used."""
    alerted = store.alerted(engine)
    tickets = store.tickets(engine, ids=store.tagged_ticket_ids(engine))
    insts = instances(store.events(engine, tickets))
    return decide(tickets, insts, now, alerted=alerted), alerted


def run(engine: Engine, *, now: dt.datetime | None = None, dry_run: bool = False,
        max_alerts: int | str | None = None) -> dict[str, Any]:
    """Alert, tag, untag. Returns a summary small enough for XCom."""
    now = now or dt.datetime.now(dt.UTC)
    decision, alerted = evaluate(engine, now)
    msgs = [message(alert_key(a.ticket.id, a.instance.metric, a.instance.instance_id), alert_text(a),
                    conn_id=CONN_ID) for a in decision.alerts]
    summary: dict[str, Any] = {"at": now.isoformat(), "dry_run": dry_run, "near_breach_skipped": decision.skipped,
                               "alerts": len(msgs), "posted": 0, "tagged": 0, "untagged": 0,
                               "messages": [m.summary for m in msgs][:20]}
    failures: list[str] = []
    posted = []
    if msgs:
        plan_id = plan(engine, SLA_ALERTS, msgs, dry_run=dry_run, max_changes=max_alerts)
        summary["slack_plan"] = plan_id
        result = apply(engine, plan_id, writer=SLA_ALERTS, max_changes=max_alerts, raise_on_failure=False)
        if not dry_run:
            for a, m in zip(decision.alerts, msgs, strict=True):
                if result.statuses.get(m.key) in (APPLIED, SKIPPED):
                    posted.append(a)
                elif m.key in result.errors:
                    failures.append(f"{m.key}: {result.errors[m.key]}")
            store.record_alerts(engine, [{
                "ticket_id": a.ticket.id, "metric": a.instance.metric, "instance_id": a.instance.instance_id,
                "breach_at": a.breach_at, "alerted_at": now, "lead_minutes": a.minutes_left, "plan": a.plan,
                "priority": a.ticket.priority, "organization": (a.ticket.organization or "")[:255] or None,
                "plan_id": plan_id, "tag_on": True, "tag_removed_at": None} for a in posted])
            summary["posted"] = len(posted)
    tags = _tag_writes(decision, posted if not dry_run else decision.alerts, alerted)
    if tags:
        tag_plan = plan(engine, SLA_TAGS, tags, dry_run=dry_run, max_changes=max_alerts)
        summary["tag_plan"] = tag_plan
        result = apply(engine, tag_plan, writer=SLA_TAGS, max_changes=max_alerts, raise_on_failure=False)
        if not dry_run:
            done = {w.key for w in tags if result.statuses.get(w.key) in (APPLIED, SKIPPED)}
            removed = [w.after["ticket_id"] for w in tags if w.action == REMOVE and w.key in done]
            store.tag_removed(engine, removed, now)
            summary["tagged"] = sum(1 for w in tags if w.action == ADD and w.key in done)
            summary["untagged"] = len(removed)
            failures += [f"{k}: {v}" for k, v in result.errors.items()]
    log.info("premium SLA-breach alerts at %s: %s", now.isoformat(), {k: v for k, v in summary.items()
                                                                      if k != "messages"})
    if failures:
        raise WritesFailed(summary.get("slack_plan") or summary.get("tag_plan") or "",
                           dict(f.split(": ", 1) for f in failures))
    return summary


def _tag_writes(decision: Decision, posted: list, alerted: dict) -> list[Write]:
    writes: dict[str, Write] = {}
    for a in posted:
        key = f"zendesk:sla-tag:add:{a.ticket.id}:{a.instance.metric}:{a.instance.instance_id}"
        writes[key] = tag_write(ADD, a.ticket.id, key, f"ticket {a.ticket.id}: add tag {TAG} "
                                f"({a.instance.metric} breaches at {a.breach_at:%H:%M UTC})")
    for tid in decision.untag:
        ours = sorted(k for k, on in alerted.items() if k[0] == tid and on)
        ref = f"{ours[-1][1]}:{ours[-1][2]}" if ours else "foreign"
        key = f"zendesk:sla-tag:remove:{tid}:{ref}"
        writes[key] = tag_write(REMOVE, tid, key, f"ticket {tid}: remove tag {TAG} (the alerted SLA is fulfilled)")
    return list(writes.values())
