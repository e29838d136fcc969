"""The `integrity` subcommand and the lines `make demo` prints (wired by cli.py)."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import Engine

from .rules import CHECK_NAMES
from .store import latest_run, sync_status


def summary_lines(engine: Engine) -> list[str]:
    """Count per check of the latest run, sync status, and where the reports are."""
    run = latest_run(engine)
    if run is None:
        return ["CRM integrity: no run yet (trigger the crm_integrity DAG)"]
    reports = run.get("reports") or {}
    allowed, reasons = sync_status(engine)
    lines = [f"CRM integrity {run['run_date'].isoformat()}: {sum(run['counts'].values())} finding(s); "
             f"organization sync {'allowed' if allowed else 'BLOCKED'}"]
    lines += [f"  {c:<34} {run['counts'].get(c, 0):>6}" for c in CHECK_NAMES]
    if not allowed:
        lines += [f"  blocked: {r}" for r in reasons]
    lines.append(f"  summary:   {_link(reports.get('summary'))}")
    lines.append(f"  GX validation results: {_link(reports.get('data_docs'))}")
    return lines


def _link(path: str | None) -> str:
    """The report's absolute address in the Airflow UI, and the file; the path alone if it is
    not in the current reports folder (a run written elsewhere)."""
    if not path:
        return "not written"
    from ..links import report_url

    try:
        return f"{report_url(path)} ({path})"
    except ValueError:
        return str(path)


def cmd_integrity(args: argparse.Namespace) -> int:
    from ..warehouse import get_engine

    engine = get_engine()
    run = latest_run(engine)
    if args.json:
        allowed, reasons = sync_status(engine)
        out = None if run is None else {
            "run_date": run["run_date"].isoformat(), "checked_at": run["checked_at"].isoformat(),
            "counts": run["counts"], "changes": run["changes"], "blocking": run["blocking"],
            "sync_allowed": allowed, "reasons": reasons, "reports": run["reports"]}
        print(json.dumps(out, indent=2))
    else:
        print("\n".join(summary_lines(engine)))
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `support_ops integrity [--json]`: the latest findings counts."""
    p = subparsers.add_parser("integrity", help="latest CRM integrity findings per check",
                              description="Counts per check of the latest CRM integrity run, the organization "
                                          "sync status and the reports' addresses.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_integrity)
    return p
