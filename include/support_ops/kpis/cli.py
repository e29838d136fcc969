"""The `support_ops kpis` subcommand and the lines `make demo` prints at its end."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from . import definitions as d
from .queries import KPI_FIELDS, as_of, pct, period_row, read_kpis


def add_cli(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `kpis` to the `support_ops` command (the lead calls this from cli.py)."""
    p = subparsers.add_parser(
        "kpis", help="print the CSAT KPI table for a range of periods",
        description="CSAT, survey response rate and coverage per period (docs/kpi-definitions.md). "
                    "Periods are given as a date inside them, '2026-W46' for a week or '2026-10' for a "
                    "month. A period that has not ended yet (the data's time) is marked incomplete.",
    )
    p.add_argument("--period", choices=d.PERIOD_TYPES, default="week")
    p.add_argument("--from", dest="start", help="first period (default: 12 weeks / 6 months back)")
    p.add_argument("--to", dest="end", help="last period (default: the latest)")
    p.add_argument("--segment", choices=d.SEGMENT_TYPES, default="all")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--refresh", action="store_true", help="recompute the KPI tables first (where the data changed)")
    p.add_argument("--full", action="store_true", help="with --refresh: recompute every period")
    p.set_defaults(func=cmd_kpis)
    return p


def _engine() -> Engine:
    from ..warehouse import get_engine

    return get_engine()


PERIOD_EXAMPLES = {"week": "2026-W46 or a date such as 2026-11-09", "month": "2026-10 or a date such as 2026-10-01"}


def period_arg(period: str, text: str, option: str) -> dt.date:
    """The start of the period `text` names, or a one-line CliError saying what is accepted."""
    from ..cli import CliError

    try:
        return d.parse_period(period, text)
    except ValueError:
        raise CliError(f"{option} {text!r} is not a {period} (use {PERIOD_EXAMPLES[period]})") from None


def kpi_rows(engine: Engine, period: str, start: str | None, end: str | None, segment: str) -> list[dict]:
    """The rows of the range, each with `complete`: False while the period has not ended."""
    from ..cli import CliError

    end_d = period_arg(period, end, "--to") if end else None
    start_d = period_arg(period, start, "--from") if start else None
    when = as_of(engine)
    if start_d is None:
        anchor = end_d or d.period_start(period, when.date())
        start_d = anchor
        for _ in range(11 if period == "week" else 5):
            start_d = d.previous_period(period, start_d)
    if end_d is not None and start_d > end_d:
        raise CliError(f"--from {start!r} is after --to {end!r}")
    rows = read_kpis(engine, period, start_d, end_d, segment)
    for r in rows:
        r["complete"] = is_complete(period, r["period_start"], when)
    return rows


def is_complete(period: str, start: dt.date, when: dt.datetime) -> bool:
    """Has the period ended by `when` (the data's time, UTC)?"""
    return d.next_period(period, start) <= when.astimezone(dt.UTC).date()


def format_text(rows: list[dict[str, Any]], period: str) -> str:
    head = (f"{'period':<10} {'segment':<18} {'solved':>7} {'surveyed':>8} {'responded':>9} "
            f"{'good':>6} {'bad':>5} {'CSAT':>7} {'resp.':>7} {'cover.':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        mark = "" if r.get("complete", True) else "*"
        lines.append(
            f"{d.period_label(period, r['period_start']) + mark:<10} {str(r['segment_value'])[:18]:<18} "
            f"{r['solved']:>7} {r['surveyed']:>8} {r['responded']:>9} {r['good']:>6} {r['bad']:>5} "
            f"{pct(r['csat']):>7} {pct(r['response_rate']):>7} {pct(r['coverage']):>7}")
    if not rows:
        lines.append("(no rows: run the csat_kpis DAG or `support_ops kpis --refresh`)")
    if any(not r.get("complete", True) for r in rows):
        lines.append(f"* incomplete: the {period} has not ended yet, its figures will still change")
    return "\n".join(lines)


def cmd_kpis(args: argparse.Namespace) -> int:
    engine = _engine()
    if getattr(args, "refresh", False):
        from .compute import refresh

        refresh(engine, full=getattr(args, "full", False))
    rows = kpi_rows(engine, args.period, args.start, args.end, args.segment)
    if args.format == "json":
        out = [{**{k: r[k] for k in ("period_type", "segment_type", "segment_value", *KPI_FIELDS)},
                "period_start": r["period_start"].isoformat(),
                "period": d.period_label(args.period, r["period_start"]), "complete": r["complete"]}
               for r in rows]
        print(json.dumps(out, indent=2))
    else:
        print(format_text(rows, args.period))
    return 0


def summary_lines(engine: Engine) -> list[str]:
    """The latest complete week's (and month's) figures and the report path, for `make demo`."""
    when = as_of(engine)
    target = settings().csat_target
    lines = []
    for period in d.PERIOD_TYPES:
        start = d.latest_complete(period, when)
        row = period_row(engine, period, start)
        title = d.period_title(period, start)
        if row is None:
            lines.append(f"CSAT {title}: no solved tickets")
            continue
        flag = "" if row["csat"] is None else (" (on target)" if row["csat"] >= target else " (BELOW target)")
        lines.append(
            f"CSAT {title}: {pct(row['csat'])}{flag}, target {pct(target, 0)}; "
            f"response rate {pct(row['response_rate'])}; coverage {pct(row['coverage'])}; "
            f"{row['solved']} solved, {row['responded']} responses ({row['good']} good, {row['bad']} bad)")
    latest = settings().reports_dir / "kpis" / "latest" / "index.html"
    lines.append(f"KPI report: {report_link(latest)}" if latest.exists() else "KPI report: not written yet")
    return lines


def report_link(path) -> str:
    """The report's address in the Airflow UI (absolute), with the file it was written to."""
    from ..links import report_url

    return f"{report_url(path)} ({path})"


