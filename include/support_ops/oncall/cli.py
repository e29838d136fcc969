"""`support_ops oncall ...`: run the on-call audit, show a run's findings, who is on call now.

`audit` reads PagerDuty (`pagerduty_default`), audits and stores like the DAG's first task and
writes the report page; it sends no Slack message (that is the DAG's). `show [DATE]` prints a
stored run's findings per check; `summary_lines` is what `support_ops summary` (and so
`make demo`) prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine


def _engine() -> Engine:
    from ..warehouse import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def run_lines(engine: Engine, run_date: dt.date | None = None) -> list[str]:
    """The findings per check and who is on call, of the run of `run_date` (default: latest)."""
    from . import store
    from .model import CHECK_NAMES
    from .report import describe

    run = store.load_run(engine, run_date)
    if run is None:
        return []
    counts = run["counts"] or {}
    changes = (run["changes"] or {}).get("checks") or {}
    lines = [f"On-call audit {run['run_date']} (14 days from {run['as_of']:%Y-%m-%d %H:%M} UTC): "
             f"{sum(counts.values())} finding(s)"]
    findings = store.load_findings(engine, run["run_date"])
    for c in CHECK_NAMES:
        new = changes.get(c, {}).get("new", 0)
        lines.append(f"  {c:<26} {counts.get(c, 0):>4}" + (f"  ({new} new)" if new else ""))
        for f in (x for x in findings if x["check_name"] == c):
            d = f["details"] or {}
            name = d.get("service") if c == "service_without_policy" else d.get("schedule") or d.get("policy")
            name = name or f["entity_id"]
            what = "; ".join(describe(c, d))
            lines.append(f"      {name}" + (f": {what}" if what else ""))
    lines.append(f"On call at {run['as_of']:%Y-%m-%d %H:%M} UTC:")
    for d in run["now_on_call"] or []:
        people = "; ".join(f"{p['name']} ({p['schedule'] or 'named in the policy'})" for p in d["people"])
        lines.append(f"  {d['service']:<30} {people or 'nobody'}")
    return lines


def summary_lines(engine: Engine) -> list[str]:
    """The latest run, for `support_ops summary` and `make demo`."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("oncall_runs"):
        return []
    return run_lines(engine) or ["On-call audit: no run yet (trigger pagerduty_oncall)"]


def cmd_audit(args: argparse.Namespace) -> int:
    from ..clients.pagerduty import rest_client
    from .report import write_report
    from .runner import run_oncall

    engine = _engine()
    summary = run_oncall(engine, rest_client(), args.as_of)
    written = write_report(engine, summary["run_date"])
    if args.json:
        print(json.dumps({**summary, "report": written}, indent=2, default=str))
        return 0
    print("\n".join(run_lines(engine, dt.date.fromisoformat(summary["run_date"]))))
    print(f"Report: {written['url']}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from . import store

    engine = _engine()
    day = dt.date.fromisoformat(args.date) if args.date else None
    if args.json:
        run = store.load_run(engine, day)
        findings = store.load_findings(engine, run["run_date"]) if run else []
        print(json.dumps({"run": run, "findings": findings}, indent=2, default=str))
        return 0
    lines = run_lines(engine, day)
    print("\n".join(lines) if lines else "No on-call run recorded" + (f" for {day}" if day else ""))
    return 0 if lines else 1


def add_cli(sub: Any) -> None:
    p = sub.add_parser("oncall", help="the PagerDuty on-call audit: run it, show findings and who is on call")
    cmds = p.add_subparsers(dest="oncall_cmd", required=True)
    run = cmds.add_parser("audit", help="read PagerDuty, audit, store and write the report (no Slack)")
    run.add_argument("--as-of", default=None, help="audit the 14 days from this instant (ISO 8601; default now)")
    run.set_defaults(func=cmd_audit)
    show = cmds.add_parser("show", help="a stored run's findings per check and who was on call")
    show.add_argument("date", nargs="?", help="the run date (default: the latest run)")
    show.set_defaults(func=cmd_show)
    for c in (run, show):
        c.add_argument("--json", action="store_true")
