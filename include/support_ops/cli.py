"""`support_ops`: the project's command line, for people who script (no Airflow needed)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from sqlalchemy import func, inspect, select

from .config import settings


def cmd_migrate(args) -> int:
    from .warehouse import get_engine, upgrade

    print(f"warehouse at revision {upgrade(get_engine())}")
    return 0


def cmd_summary(args) -> int:
    """What the pipelines produced: warehouse tables and their row counts, reports."""
    from .reports.index import KINDS, list_reports
    from .warehouse import get_engine, metadata

    engine = get_engine()
    existing = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            if name in existing:
                counts[name] = conn.execute(select(func.count()).select_from(table)).scalar()
    s = settings()
    reports = {k: [str(s.reports_dir / p) for p in v] for k, v in list_reports(s.reports_dir).items()}
    if args.json:
        print(json.dumps({"warehouse": engine.url.render_as_string(), "tables": counts,
                          "reports": reports}, indent=2))
        return 0
    print(f"Warehouse: {engine.url.render_as_string()}")
    for name, n in counts.items():
        print(f"  {name:<28} {n:>10,} rows")
    for kind, paths in reports.items():
        if paths:
            print(f"{KINDS[kind]}: {paths[0]}")
    from .integrity import summary_lines as integrity_summary
    from .kpis.cli import summary_lines as kpi_summary

    for section in (kpi_summary, integrity_summary):
        lines = section(engine)
        if lines:
            print()
            print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    p = argparse.ArgumentParser(prog="support_ops", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("migrate", help="apply the warehouse migrations")
    m.set_defaults(func=cmd_migrate)
    s = sub.add_parser("summary", help="warehouse tables and reports")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_summary)
    from .integrity import add_cli as add_integrity_cli
    from .kpis.cli import add_cli as add_kpis_cli
    from .outbound.cli import add_cli as add_outbound_cli

    add_kpis_cli(sub)
    add_integrity_cli(sub)
    add_outbound_cli(sub)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
