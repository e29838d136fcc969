"""Live mode produces premium tickets that approach breach, so scheduled alert runs have work
(the sandbox's LiveActivity on a simulated clock, decided by the alert rules themselves)."""

from __future__ import annotations

import datetime as dt

from sandbox.core.collections import ZD_ORGANIZATIONS, ZD_TICKET_METRIC_EVENTS, ZD_TICKETS
from sandbox.core.live import PREMIUM_PLANS, LiveActivity
from sandbox.core.store import Store
from sandbox.generate import generate
from sandbox.generate.util import rng_for
from support_ops.alerts.breach import Event, instances
from support_ops.alerts.rules import Ticket, decide
from support_ops.extract.records import parse_time

START = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def test_live_mode_creates_near_breach_premium_tickets(tmp_path):
    store = Store(tmp_path / "sb.db")
    generate(store, seed=3, scale=0.02, now=START.strftime("%Y-%m-%dT%H:%M:%SZ"))
    first = store.next_id(ZD_TICKETS)
    live = LiveActivity(store, rng_for(3, "live"))
    t0 = int(START.timestamp())
    done = [live.tick(t0 + 30 * i) for i in range(40)]
    assert sum(d["premium"] for d in done) >= 5
    orgs = {o["id"]: o for o in store.all(ZD_ORGANIZATIONS)}
    new = [t for t in store.all(ZD_TICKETS) if t["id"] >= first]
    premium = [t for t in new if ((orgs.get(t["organization_id"]) or {}).get("organization_fields") or {})
               .get("support_level") in PREMIUM_PLANS and t["priority"] in ("urgent", "high")]
    assert len(premium) >= 5
    tickets = {t["id"]: Ticket(t["id"], t["status"], t["priority"], tuple(t["tags"]),
                               support_level=((orgs.get(t["organization_id"]) or {}).get("organization_fields")
                                              or {}).get("support_level")) for t in new}
    events = [Event(e["ticket_id"], e["metric"], e["instance_id"], e["type"], parse_time(e["time"], "time"),
                    (e.get("sla") or {}).get("target"), e["id"])
              for e in store.all(ZD_TICKET_METRIC_EVENTS) if e["ticket_id"] in tickets]
    at = START + dt.timedelta(minutes=21)
    alerts = decide(tickets, instances([e for e in events if e.time <= at]), at).alerts
    assert alerts and all(a.ticket.priority in ("urgent", "high") for a in alerts)


def test_the_premium_draws_leave_the_rest_of_live_mode_alone(tmp_path):
    """Live mode with and without premium tickets does the same other activity."""
    counts = []
    for rate in (0.0, 1.0):
        store = Store(tmp_path / f"sb{rate}.db")
        generate(store, seed=3, scale=0.02, now=START.strftime("%Y-%m-%dT%H:%M:%SZ"))
        live = LiveActivity(store, rng_for(3, "live"), premium_rate=rate)
        counts.append([{k: v for k, v in live.tick(int(START.timestamp()) + i).items() if k != "premium"}
                       for i in range(3)][0])
    assert counts[0] == counts[1]
