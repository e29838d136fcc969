"""`support_ops`: the project's command line, for people who script (no Airflow needed).

Run from a checkout without the project's environment (`eval "$(make -s env)"`), it uses the
project's own Airflow home (`.airflow/`) rather than letting Airflow create `~/airflow`. Bad
arguments and unreadable warehouses are answered in one line on stderr (exit status 2).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from .capabilities import CAPABILITIES
from .config import PROJECT_ROOT, settings


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command and what is wrong."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def use_project_airflow_home(environ: dict[str, str] = os.environ) -> str | None:
    """Without AIRFLOW_HOME, point Airflow at the checkout's `.airflow/` (where `make` keeps
    it, git-ignored) so importing Airflow never creates `~/airflow`. Returns what was set."""
    if environ.get("AIRFLOW_HOME") or not (PROJECT_ROOT / "pyproject.toml").exists():
        return None
    home = str(PROJECT_ROOT / ".airflow")
    environ["AIRFLOW_HOME"] = home
    return home


def _cli_hooks(name: str) -> list[Callable]:
    """`name` (add_cli or summary_lines) of every capability's CLI module, in the list's order
    (support_ops/capabilities.py): a new capability's commands appear without editing this file."""
    hooks = []
    for cap in CAPABILITIES:
        if cap.cli:
            module = importlib.import_module(f"{__package__}.{cap.package}.{cap.cli}")
            if hasattr(module, name):
                hooks.append(getattr(module, name))
    return hooks


def cmd_migrate(args) -> int:
    from .warehouse import get_engine, upgrade

    print(f"warehouse at revision {upgrade(get_engine())}")
    return 0


def cmd_summary(args) -> int:
    """What the pipelines produced: warehouse tables and their row counts, reports."""
    from .reports.index import KINDS, list_reports
    from .warehouse import get_engine
    from .warehouse.registry import load_all

    metadata = load_all()

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
    for section in _cli_hooks("summary_lines"):
        lines = section(engine)
        if lines:
            print()
            print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    use_project_airflow_home()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    p = OneLineParser(prog="support_ops", description=__doc__.split("\n\n")[0],
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    m = sub.add_parser("migrate", help="apply the warehouse migrations")
    m.set_defaults(func=cmd_migrate)
    s = sub.add_parser("summary", help="warehouse tables and reports")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_summary)
    for add_cli in _cli_hooks("add_cli"):
        add_cli(sub)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"support_ops {args.cmd}: error: {exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"support_ops {args.cmd}: error: cannot read the warehouse ({reason}); "
              "run `support_ops migrate`, then the pipelines", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
