"""CRM data-integrity checks (docs/integrity-rules.md) as a Great Expectations suite with Data Docs.

Entry points: `run_checks` / `notify_run` (the crm_integrity DAG), `sync_status` (read by the
organization sync), `summary_lines` and `add_cli` (the command line and `make demo`).
Nothing here imports pandas or great_expectations at import time.
"""

from .cli import add_cli, summary_lines
from .rules import CHECK_NAMES, CHECKS
from .runner import notify_run, run_checks
from .store import IntegritySourceError, sync_status

__all__ = ["CHECKS", "CHECK_NAMES", "IntegritySourceError", "add_cli", "notify_run", "run_checks",
           "summary_lines", "sync_status"]
