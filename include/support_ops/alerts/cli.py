"""`support_ops alerts ...`: the ops notifications from the command line.

`breach` does what the alerts DAG's alert task does (after refreshing tickets and SLA events
with `--refresh`); `feed` posts the live feeds; `views` counts views (ids or titles);
`report` writes the report page; `status` prints the ledger's counts and the latest messages.
`--dry-run` stores the plans and sends nothing (review them with `support_ops outbound show`).
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import Engine, inspect, select

WRITERS = ("sla_breach_alert", "ticket_feed", "view_counts")


def _engine() -> Engine:
    from ..warehouse import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def _print(out: object) -> int:
    print(json.dumps(out, indent=2, default=str))
    return 0


def cmd_breach(args: argparse.Namespace) -> int:
    from .tasks import breach_alerts_task, refresh_stream

    if args.refresh:
        for stream in ("tickets", "ticket_metric_events"):
            refresh_stream(stream)
    return _print(breach_alerts_task({"dry_run": args.dry_run, "max_alerts": args.max_alerts}))


def cmd_feed(args: argparse.Namespace) -> int:
    from .tasks import live_feed_task

    return _print(live_feed_task({"dry_run": args.dry_run}))


def cmd_views(args: argparse.Namespace) -> int:
    from .tasks import view_counts_task

    return _print(view_counts_task({"views": args.views, "dry_run": args.dry_run}))


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    print(write_report(_engine()))
    return 0


def summary_lines(engine: Engine, messages: int = 3) -> list[str]:
    """The notifications' part of `support_ops summary`: alerts, and what was last posted."""
    from ..outbound.tables import outbound_writes
    from .tables import sla_breach_alerts

    names = set(inspect(engine).get_table_names())
    if "sla_breach_alerts" not in names:
        return []
    w = outbound_writes.c
    with engine.connect() as conn:
        alerts = conn.execute(select(sla_breach_alerts.c.tag_on)).all()
        posted = conn.execute(select(w.writer, w.target_ref, w.summary, w.finished_at)
                              .where(w.writer.in_(WRITERS), w.status == "applied")
                              .order_by(w.finished_at.desc()).limit(50)).all()
    if not alerts and not posted:
        return []
    lines = [f"Ops notifications: {len(alerts)} premium SLA-breach alert(s) recorded, "
             f"{sum(1 for (on,) in alerts if on)} tag(s) still on"]
    shown: dict[str, int] = {}
    for writer, conn_id, text, _at in posted:
        if shown.get(writer, 0) >= messages:
            continue
        shown[writer] = shown.get(writer, 0) + 1
        body = "\n    ".join(text.splitlines()[:6])
        lines.append(f"  posted to {conn_id}:\n    {body}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    lines = summary_lines(_engine(), messages=args.messages)
    print("\n".join(lines) if lines else "Ops notifications: nothing posted yet")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="premium SLA-breach alerts, live feeds, view counts")
    asub = p.add_subparsers(dest="alerts_cmd", required=True, parser_class=type(p))
    b = asub.add_parser("breach", help="alert the near-breach premium tickets, tag and untag")
    b.add_argument("--refresh", action="store_true", help="refresh tickets and SLA events first")
    b.add_argument("--dry-run", action="store_true", help="store the plans, send nothing")
    b.add_argument("--max-alerts", type=int, default=None, help="the cap (default 50)")
    b.set_defaults(func=cmd_breach)
    f = asub.add_parser("feed", help="post the live feeds (tickets since the last post)")
    f.add_argument("--dry-run", action="store_true")
    f.set_defaults(func=cmd_feed)
    v = asub.add_parser("views", help="count Zendesk views and post the counts")
    v.add_argument("views", nargs="*", help="view ids or titles (none: every active view)")
    v.add_argument("--dry-run", action="store_true")
    v.set_defaults(func=cmd_views)
    asub.add_parser("report", help="write the report page").set_defaults(func=cmd_report)
    s = asub.add_parser("status", help="alerts recorded and the latest messages")
    s.add_argument("--messages", type=int, default=3, help="latest messages per kind")
    s.set_defaults(func=cmd_status)
