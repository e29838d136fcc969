"""CSAT KPIs and survey analytics (docs/kpi-definitions.md): the contract tables, the report, the alert.

Entry points: `compute.refresh(engine)` (recompute the tables), `tasks.*` (what the
`csat_kpis` DAG calls), `cli.add_cli(subparsers)` and `cli.summary_lines(engine)`.
"""

from .cli import add_cli, summary_lines
from .compute import compute, refresh

__all__ = ["add_cli", "compute", "refresh", "summary_lines"]
