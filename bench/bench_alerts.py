"""Benchmark of the premium SLA-breach alerts: detection latency and Zendesk API calls per run.

    python bench/bench_alerts.py [--hours H] [--scale S]     (default H = 12, S = 0.05)

1. **Detection latency**, on a simulated clock: a generated sandbox in live mode (the sandbox's
   own `LiveActivity`, a step every 30 simulated seconds for H hours, premium customers opening
   urgent and high tickets) gives the tickets and their SLA metric events. For every premium,
   high/urgent SLA instance, the time it enters the 2-hour window is `max(apply_sla, breach -
   2 h)`. The pipeline's alerts DAG runs every 10 minutes and sees events once the incremental
   export shows them (60 s held back by Zendesk, 60 s cursor safety lag: 2 min of lag); the
   seed's automation runs at the top of every hour on live data. The same decision function
   the DAG uses (`alerts.rules.decide`, on the events known at each run) says when each
   instance alerts, or that it breached (or was answered) first: missed.
2. **Zendesk API calls per run**, for real: a sandbox on loopback with the same kind of data,
   the real client session, two alert passes (refresh of tickets, metric events, organizations
   and users, as the DAG does; alert; tag):
   the sandbox counts every call by endpoint.

Run by `make bench`, not by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT)]

STEP_S = 30
REFRESHED = ("tickets", "ticket_metric_events", "organizations", "users")  # as the DAG's refresh tasks
LAG_S = 120  # export hold-back (60 s) + cursor safety lag (60 s)
WINDOW = dt.timedelta(hours=2)


def simulate(hours: float, scale: float, seed: int = 11) -> tuple[list, dict, dt.datetime, dt.datetime]:
    """Generate at `start`, then live activity for `hours` on a simulated clock."""
    from sandbox.core.collections import ZD_ORGANIZATIONS, ZD_TICKET_METRIC_EVENTS, ZD_TICKETS
    from sandbox.core.live import LiveActivity
    from sandbox.core.store import Store
    from sandbox.generate import generate
    from sandbox.generate.util import rng_for
    from support_ops.alerts.breach import Event
    from support_ops.alerts.rules import Ticket
    from support_ops.extract.records import parse_time

    start = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
    folder = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    store = Store(folder / "sandbox.db")
    generate(store, seed=seed, scale=scale, now=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    first_new = store.next_id(ZD_TICKETS)
    live = LiveActivity(store, rng_for(seed, "live"))
    t0 = int(start.timestamp())
    for step in range(int(hours * 3600 / STEP_S)):
        live.tick(t0 + step * STEP_S)
    orgs = {o["id"]: o for o in store.all(ZD_ORGANIZATIONS)}
    tickets = {}
    for doc in store.all(ZD_TICKETS):
        if doc["id"] < first_new:
            continue
        org = orgs.get(doc.get("organization_id")) or {}
        tickets[doc["id"]] = Ticket(doc["id"], "open", doc.get("priority"), tuple(doc.get("tags") or ()),
                                    organization=org.get("name"),
                                    support_level=(org.get("organization_fields") or {}).get("support_level"))
    events = [Event(e["ticket_id"], e["metric"], e.get("instance_id"), e["type"], parse_time(e["time"], "time"),
                    (e.get("sla") or {}).get("target"), e["id"])
              for e in store.all(ZD_TICKET_METRIC_EVENTS) if e["ticket_id"] in tickets]
    return events, tickets, start, start + dt.timedelta(hours=hours)


def latencies(events, tickets, start, end, period_s: int, lag_s: int) -> tuple[list[float], int, int]:
    """(latencies in minutes, breached without an alert, eligible) of a schedule every `period_s`
    seeing data `lag_s` late. An instance answered before any run could alert is neither."""
    from support_ops.alerts.breach import instances
    from support_ops.alerts.rules import decide

    plans = frozenset({"premium", "ultimate", "silver", "gold"})
    groups: dict = {}
    for e in events:
        groups.setdefault((e.ticket_id, e.metric, int(e.instance_id or 0)), []).append(e)
    entered: dict = {}
    for key, evs in groups.items():
        applied = sorted(e.time for e in evs if e.type == "apply_sla")
        if not applied:
            continue
        t = tickets[key[0]]
        if (t.priority not in ("high", "urgent")) or not (set(t.tags) & plans or (t.support_level or "") in plans):
            continue
        first = instances([e for e in evs if e.time <= applied[0]])[0]  # the SLA as first applied
        if first.breach_at is None:
            continue
        e_at = max(first.applied_at, first.breach_at - WINDOW)
        if e_at + dt.timedelta(hours=2) > end:
            continue  # entered too late in the simulated span to be judged
        entered[key] = e_at
    alerted: dict = {}
    t = start + dt.timedelta(seconds=period_s)
    while t <= end:
        seen = [e for e in events if e.time <= t - dt.timedelta(seconds=lag_s)]
        d = decide(tickets, instances(seen), t, alerted={k: True for k in alerted}, plans=plans)
        for a in d.alerts:
            alerted.setdefault(a.instance.key, t)
        t += dt.timedelta(seconds=period_s)
    lat = [(alerted[k] - entered[k]).total_seconds() / 60 for k in entered if k in alerted]
    final = {i.key: i for i in instances(events)}
    breached = sum(1 for k in entered if k not in alerted and not final[k].fulfilled)
    return lat, breached, len(entered)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_runs(scale: float) -> list[dict]:
    import requests

    from sandbox.core.clientenv import client_env
    from sandbox.core.config import SERVICES, SandboxConfig, ServiceRealism
    from sandbox.core.live import LiveActivity
    from sandbox.core.server import Sandbox
    from sandbox.core.store import Store
    from sandbox.generate import generate
    from sandbox.generate.util import rng_for

    folder = Path(tempfile.mkdtemp(prefix="bench-alerts-sb-"))
    cfg = SandboxConfig(data_dir=folder, ports={s: _free_port() for s in SERVICES}, seed=11, scale=scale,
                        now=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        realism={s: ServiceRealism() for s in SERVICES})
    store = Store(cfg.db_path)
    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    live = LiveActivity(store, rng_for(cfg.seed, "live-bench"), premium_rate=1.0)
    now = int(time.time()) - 300
    for step in range(10):  # premium tickets opened five minutes ago, outside the held-back minute
        live.tick(now + step)
    sb = Sandbox(cfg).start_in_thread()
    try:
        os.environ.update(client_env(cfg))
        os.environ["SUPPORT_OPS_DATA_DIR"] = str(folder / "data")
        os.environ["AIRFLOW_CONN_SUPPORT_WAREHOUSE"] = f"sqlite:///{folder / 'warehouse.db'}"
        from support_ops.alerts.tasks import breach_alerts_task, refresh_stream
        from support_ops.extract.tasks import run_zendesk_stream

        for stream in ("organizations", "users", "ticket_forms", "tickets", "ticket_metric_events"):
            run_zendesk_stream(stream)  # what zendesk_extract has loaded before (the first, full read)
        out = []
        for _ in range(2):
            base = cfg.base_url("zendesk")
            requests.post(base + "/_sandbox/stats/reset", timeout=10)
            started = time.monotonic()
            for stream in REFRESHED:
                refresh_stream(stream)
            result = breach_alerts_task({})
            calls = requests.get(base + "/_sandbox/stats", timeout=10).json()["calls"]
            out.append({"alerts": result["posted"], "tagged": result["tagged"], "calls": calls,
                        "seconds": round(time.monotonic() - started, 2)})
        return out
    finally:
        sb.stop()


def _fmt(lat: list[float]) -> str:
    if not lat:
        return "none alerted"
    q = sorted(lat)
    p95 = q[min(len(q) - 1, int(round(0.95 * (len(q) - 1))))]
    return f"median {statistics.median(q):5.1f} min, p95 {p95:5.1f} min, max {q[-1]:5.1f} min"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=12.0)
    p.add_argument("--scale", type=float, default=0.05)
    args = p.parse_args()
    import logging

    logging.disable(logging.INFO)  # the figures, not the pipeline's log
    t = time.monotonic()
    events, tickets, start, end = simulate(args.hours, args.scale)
    ten, ten_missed, n = latencies(events, tickets, start, end, 600, LAG_S)
    hourly, hourly_missed, _ = latencies(events, tickets, start, end, 3600, 0)
    print(f"detection latency, {n} premium high/urgent SLA instances entering the 2-hour window "
          f"({args.hours:g} simulated hours of live mode, {time.monotonic() - t:.0f}s to simulate):")
    print(f"  every 10 min (this pipeline, data {LAG_S // 60} min late): {_fmt(ten)}; "
          f"breached unalerted {ten_missed}")
    print(f"  hourly automation (the seed):               {_fmt(hourly)}; breached unalerted {hourly_missed}")
    if ten and hourly:
        print(f"  median ratio hourly / 10 min: {statistics.median(hourly) / statistics.median(ten):.1f}x")
    for i, run in enumerate(real_runs(args.scale), 1):
        total = sum(run["calls"].values())
        print(f"run {i} against the sandbox: {run['alerts']} alerts, {run['tagged']} tagged, {total} Zendesk "
              f"API calls in {run['seconds']}s: " + ", ".join(f"{k} x{v}" for k, v in sorted(run["calls"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
