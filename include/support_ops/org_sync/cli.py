"""`support_ops org-sync ...`: plan the organization sync from the command line, and review runs.

`plan` makes a dry-run plan from the warehouse as it is (nothing is written to Zendesk; the
plan is recorded like a DAG dry run) and prints its counts and changes; `show RUN` prints a
stored run (a capped plan waiting for approval, say); `runs` lists recent runs. Applying is
the DAG's job (`salesforce_zendesk_org_sync`), so it happens with the refresh, the verify and
the report around it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy import Engine


def _engine() -> Engine:
    from ..warehouse import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def _print_run(engine: Engine, run_id: str, *, as_json: bool, limit: int) -> None:
    from . import runs

    run = runs.load_run(engine, run_id)
    changes = runs.changes(engine, run_id)
    if as_json:
        print(json.dumps({"run": run, "changes": changes[:limit] if limit else changes,
                          "skips": runs.skips(engine, run_id)}, indent=2, default=str))
        return
    counts = run["counts"] or {}
    print(f"Organization sync {run_id}: {run['status']}" + (" (dry run)" if run["dry_run"] else ""))
    print(f"  accounts in scope {counts.get('accounts_in_scope', 0)}, organizations to change "
          f"{counts.get('changed_organizations', 0)} ({counts.get('field_changes', 0)} fields), up to date "
          f"{counts.get('unchanged', 0)}, skipped {counts.get('skipped', 0)}; cap {run['max_changes']}")
    for reason, n in (counts.get("skipped_by_reason") or {}).items():
        if n:
            print(f"  skipped {reason:<28} {n:>6}")
    for field, n in (counts.get("changes_per_field") or {}).items():
        if n:
            print(f"  changes {field:<28} {n:>6}")
    if run.get("error"):
        print(f"  {run['error']}")
    shown = changes[:limit] if limit else changes
    for c in shown:
        print(f"  {c['organization_id']:>14}  {c['account_id']}  {c['field']:<26} {c['before']!r} -> {c['after']!r}"
              f"  [{c['status']}]")
    if len(shown) < len(changes):
        print(f"  ... {len(changes) - len(shown)} more (--limit 0 shows all)")


def cmd_plan(args: argparse.Namespace) -> int:
    from .plan import plan_run

    engine = _engine()
    only = [int(x) for x in args.only_orgs] if args.only_orgs else None
    planned = plan_run(engine, dry_run=True, max_changes=args.max_changes, only_orgs=only)
    _print_run(engine, planned["run_id"], as_json=args.json, limit=args.limit)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    _print_run(_engine(), args.run_id, as_json=args.json, limit=args.limit)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from . import runs

    rows = runs.latest_runs(_engine(), args.limit or 20)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for r in rows:
        c = r["counts"] or {}
        print(f"{r['run_id']}  {r['created_at']:%Y-%m-%d %H:%M}  {r['status']:<13} planned "
              f"{c.get('changed_organizations', 0):>6}  skipped {c.get('skipped', 0):>6}")
    return 0


def summary_lines(engine: Engine) -> list[str]:
    """The latest run, for `support_ops summary` and `make demo`."""
    from sqlalchemy import inspect

    from . import runs

    if not inspect(engine).has_table("org_sync_runs"):
        return []
    latest = runs.latest_runs(engine, 1)
    if not latest:
        return ["Organization sync: no run yet (trigger salesforce_zendesk_org_sync)"]
    r = latest[0]
    c = r["counts"] or {}
    per = runs.status_counts(engine, r["run_id"])
    return [f"Organization sync {r['run_id']}: {r['status']}",
            f"  planned {c.get('changed_organizations', 0)}, applied {per['applied']}, failed {per['failed']}, "
            f"up to date {c.get('unchanged', 0)}, skipped {c.get('skipped', 0)}",
            *[f"  skipped {k:<28} {v:>6}" for k, v in (c.get("skipped_by_reason") or {}).items() if v]]


def add_cli(sub: Any) -> None:
    p = sub.add_parser("org-sync", help="plan the Salesforce -> Zendesk organization sync (dry run), review runs")
    cmds = p.add_subparsers(dest="org_sync_cmd", required=True)
    plan = cmds.add_parser("plan", help="plan from the warehouse as it is and record it as a dry run")
    plan.add_argument("--only-orgs", nargs="*", metavar="ORG_ID", help="limit to these organization ids")
    plan.add_argument("--max-changes", type=int, default=None, help="the cap to check the plan against")
    plan.set_defaults(func=cmd_plan)
    show = cmds.add_parser("show", help="a stored run: counts and its changes")
    show.add_argument("run_id")
    show.set_defaults(func=cmd_show)
    recent = cmds.add_parser("runs", help="recent runs")
    recent.set_defaults(func=cmd_runs)
    for c in (plan, show, recent):
        c.add_argument("--json", action="store_true")
        c.add_argument("--limit", type=int, default=50, help="changes (or runs) to print; 0 for all")
