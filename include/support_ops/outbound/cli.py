"""`support_ops outbound ...`: review plans and the audit, and apply a reviewed plan.

`plans` lists recent plans; `show PLAN` prints a plan's writes (what a person reviews before
approving a capped plan); `apply PLAN --max-changes N` applies that very plan under a cap of N
(rerunning the DAG with a higher `max_changes` instead plans again from fresh data);
`audit` prints applied, failed and skipped writes, newest first.
"""

from __future__ import annotations

import json
from typing import Any


def _engine() -> Any:
    from ..warehouse import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def _dump(rows: list[dict], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        print("  ".join(str(r.get(c)) for c in columns))


def cmd_plans(args) -> int:
    from .audit import plans

    rows = plans(_engine(), writer=args.writer, limit=args.limit)
    _dump(rows, args.json, ("plan_id", "status", "planned", "to_apply", "max_changes", "actor", "error"))
    return 0


def cmd_show(args) -> int:
    from .audit import plan_writes

    rows = plan_writes(_engine(), args.plan_id)
    if not rows:
        print(f"no writes for plan {args.plan_id!r}")
        return 1
    if args.json:
        _dump(rows, True, ())
        return 0
    for r in rows:
        print(f"[{r['status']}] {r['action']} {r['target_ref']} ({r['idempotency_key']})")
        print("    " + r["summary"].replace("\n", "\n    "))
    return 0


def cmd_apply(args) -> int:
    from .core import apply
    from .model import OutboundError

    try:
        result = apply(_engine(), args.plan_id, max_changes=args.max_changes)
    except OutboundError as exc:
        print(exc)
        return 1
    print(json.dumps(result.as_dict(), indent=2))
    return 0


def cmd_audit(args) -> int:
    from .audit import audit

    rows = audit(_engine(), writer=args.writer, target=args.target, limit=args.limit)
    _dump(rows, args.json, ("finished_at", "status", "writer", "action", "target_ref", "key", "actor"))
    return 0


def add_cli(sub) -> None:
    """Register `outbound` and its subcommands on the project's command line."""
    p = sub.add_parser("outbound", help="plans, audit and approval of writes to other systems")
    osub = p.add_subparsers(dest="outbound_cmd", required=True)
    pl = osub.add_parser("plans", help="recent plans")
    pl.add_argument("--writer")
    pl.add_argument("--limit", type=int, default=20)
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_plans)
    sh = osub.add_parser("show", help="a plan's writes")
    sh.add_argument("plan_id")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_show)
    ap = osub.add_parser("apply", help="apply a reviewed plan (approve a capped plan with --max-changes)")
    ap.add_argument("plan_id")
    ap.add_argument("--max-changes", type=int, default=None)
    ap.set_defaults(func=cmd_apply)
    au = osub.add_parser("audit", help="writes, newest first")
    au.add_argument("--writer")
    au.add_argument("--target")
    au.add_argument("--limit", type=int, default=50)
    au.add_argument("--json", action="store_true")
    au.set_defaults(func=cmd_audit)
