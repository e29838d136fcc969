"""`support_ops shared-orgs ...`: the latest audit's findings, and a request's apply history.

`show [--date D]` prints an audit's findings, widest exposures first; `applies ISSUE` prints what
the apply DAG did with a request. Auditing and applying are the DAGs' job (`shared_org_audit`,
`shared_org_apply`), so they run with the refresh and the outbound layer around them.
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


def summary_lines(engine: Engine, limit: int = 8) -> list[str]:
    """The latest audit, for `support_ops summary` and `make demo`."""
    from . import store

    run = store.run_of(engine)
    if run is None:
        return [] if not _has(engine) else ["Shared organizations audit: no run yet (trigger shared_org_audit)"]
    rows = store.findings_of(engine, run["run_date"])
    rows.sort(key=lambda r: [-x for x in (r["details"] or {}).get("exposure", [0, 0])])
    counts = run["counts"] or {}
    lines = [f"Shared organizations audit {run['run_date']}: {sum(counts.values())} finding(s), widest exposures first"]
    lines += [f"  {c:<34} {n:>4}" for c, n in counts.items()]
    for r in rows[:limit]:
        d = r["details"] or {}
        who = d.get("email") or d.get("organization")
        lines.append(f"  {r['check_name']:<34} {r['entity_type']} {r['entity_id']} ({who}), first seen {r['first_seen']}")
    if run.get("report"):
        lines.append(f"  Report: {run['report']}")
    return lines


def _has(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("shared_org_runs")


def cmd_show(args: argparse.Namespace) -> int:
    from . import store

    engine = _engine()
    day = dt.date.fromisoformat(args.date) if args.date else (store.run_of(engine) or {}).get("run_date")
    rows = store.findings_of(engine, day) if day else []
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        print("\n".join(summary_lines(engine, limit=args.limit or len(rows))))
    return 0


def cmd_applies(args: argparse.Namespace) -> int:
    from . import store
    from .requests import support_ops_project

    rows = store.applies(_engine(), args.project or support_ops_project(), args.issue)
    print(json.dumps(rows, indent=2, default=str))
    return 0


def add_cli(sub: Any) -> None:
    p = sub.add_parser("shared-orgs", help="the shared-organization audit's findings, a request's applies")
    cmds = p.add_subparsers(dest="shared_orgs_cmd", required=True)
    show = cmds.add_parser("show", help="an audit's findings (default: the latest)")
    show.add_argument("--date", help="the audit day (YYYY-MM-DD)")
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    ap = cmds.add_parser("applies", help="what shared_org_apply did with a request")
    ap.add_argument("issue", type=int)
    ap.add_argument("--project", help="the Support Ops project path (default: the connection's)")
    ap.set_defaults(func=cmd_applies)
