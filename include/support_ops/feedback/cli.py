"""`support_ops feedback ...`: the feedback issues from the command line.

`run` does what the DAG's issues task does (`--dry-run` stores the plan and writes nothing;
review it with `support_ops outbound show PLAN`); `export` commits the changed months of the
feedback export; `report` writes the report page; `status` prints the mapping table's counts.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from sqlalchemy import Engine, inspect, select


def _engine() -> Engine:
    from ..warehouse import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def cmd_run(args: argparse.Namespace) -> int:
    from .issues import run

    out = run(_engine(), since=args.since, max_issues=args.max_issues, dry_run=args.dry_run)
    print(json.dumps(out, indent=2, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import run

    print(json.dumps(run(_engine(), dry_run=args.dry_run), indent=2, default=str))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(write_report(_engine()))
    return 0


def summary_lines(engine: Engine) -> list[str]:
    """The feedback issues' part of `support_ops summary` (nothing before the first run)."""
    from .tables import feedback_issues

    if not inspect(engine).has_table("feedback_issues"):
        return []
    with engine.connect() as conn:
        rows = conn.execute(select(feedback_issues.c.score, feedback_issues.c.state)).all()
    if not rows:
        return []
    c = Counter((score, state) for score, state in rows)
    lines = [f"Feedback issues: {len(rows)} in GitLab, {sum(v for (_, s), v in c.items() if s == 'opened')} open "
             f"(bad {c[('bad', 'opened')]}, good {c[('good', 'opened')]})"]
    return lines + _export_lines(engine)


def _export_lines(engine: Engine) -> list[str]:
    """The feedback export's commits, from the outbound audit."""
    from ..outbound.tables import outbound_writes as w

    with engine.connect() as conn:
        commits = conn.execute(select(w.c.after, w.c.finished_at).where(
            w.c.writer == "feedback_export", w.c.status == "applied").order_by(w.c.finished_at)).all()
    if not commits:
        return ["Feedback export: no commit yet"]
    months = {path for after, _ in commits for path in (after or {}).get("files", {})}
    return [f"Feedback export: {len(commits)} commit(s), {len(months)} month file(s) written, "
            f"last {commits[-1][1]:%Y-%m-%d %H:%M} UTC"]


def cmd_status(args: argparse.Namespace) -> int:
    lines = summary_lines(_engine())
    print("\n".join(lines) if lines else "Feedback issues: none recorded yet")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="feedback issues in GitLab and the feedback export")
    fsub = p.add_subparsers(dest="feedback_cmd", required=True, parser_class=type(p))
    r = fsub.add_parser("run", help="create, relabel and clean up the feedback issues")
    r.add_argument("--dry-run", action="store_true", help="store the plan, write nothing")
    r.add_argument("--max-issues", type=int, default=None, help="issues created at most (default 200)")
    r.add_argument("--since", default=None, help="ratings updated on or after this ISO date/time")
    r.set_defaults(func=cmd_run)
    e = fsub.add_parser("export", help="commit the changed months of the feedback export")
    e.add_argument("--dry-run", action="store_true")
    e.set_defaults(func=cmd_export)
    fsub.add_parser("report", help="write the report page").set_defaults(func=cmd_report)
    fsub.add_parser("status", help="counts of the recorded feedback issues").set_defaults(func=cmd_status)
