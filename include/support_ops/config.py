"""The one place for configuration: defaults, environment overrides, documented.

Every setting has a default that works against the embedded sandbox; each can be
overridden by the environment variable named beside it. Secrets never live here:
they come from Airflow connections.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Airflow connection ids (docs/data-contract.md).
WAREHOUSE_CONN_ID = "support_warehouse"
ZENDESK_CONN_ID = "zendesk_default"
SALESFORCE_CONN_ID = "salesforce_default"
PAGERDUTY_CONN_ID = "pagerduty_default"
PAGERDUTY_EVENTS_CONN_ID = "pagerduty_events_default"
SLACK_CONN_ID = "slack_default"
GITLAB_CONN_ID = "gitlab_default"

# The Airflow pool (one slot) every task that calls Zendesk's incremental exports runs in, so
# the shared cursors never race and the 10-requests-a-minute limit holds (docs/alerts.md).
# Created by the project's setup (scripts/common.sh, `import_connections`).
ZENDESK_INCREMENTAL_POOL = "zendesk_incremental"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Project settings. Build with `settings()` to pick up the environment."""

    # SUPPORT_OPS_DATA_DIR: warehouse file, reports, GX project (git-ignored).
    data_dir: Path = field(default_factory=lambda: Path(_env("SUPPORT_OPS_DATA_DIR", str(PROJECT_ROOT / "data"))))
    # SUPPORT_OPS_MAIL_LIST: the mail-list address whose tickets are auto-closed (docs/kpi-definitions.md).
    mail_list_address: str = field(default_factory=lambda: _env("SUPPORT_OPS_MAIL_LIST", "mail-list@gitlab.com"))
    # SUPPORT_OPS_CSAT_TARGET: the CSAT KPI target.
    csat_target: float = field(default_factory=lambda: float(_env("SUPPORT_OPS_CSAT_TARGET", "0.95")))
    # SUPPORT_OPS_EXTRACT_START: where a first extraction starts (ISO date/time, UTC).
    extract_start: str = field(default_factory=lambda: _env("SUPPORT_OPS_EXTRACT_START", "2020-01-01T00:00:00Z"))
    # SUPPORT_OPS_QUARANTINE_MAX_RATIO: a task fails only above this share of bad records.
    quarantine_max_ratio: float = field(
        default_factory=lambda: float(_env("SUPPORT_OPS_QUARANTINE_MAX_RATIO", "0.05"))
    )
    # SUPPORT_OPS_CURSOR_SAFETY_LAG: seconds; no cursor moves past a run's start time minus this.
    cursor_safety_lag: float = field(
        default_factory=lambda: float(_env("SUPPORT_OPS_CURSOR_SAFETY_LAG", "60"))
    )
    # SUPPORT_OPS_CANARY_MAX_MISSING_RATIO: a Zendesk run fails (before writing the page) when
    # more than this share of solved tickets lack a metric set, or of rows lack a field earlier
    # rows always had (docs/zendesk-api-shapes.md).
    canary_max_missing_ratio: float = field(
        default_factory=lambda: float(_env("SUPPORT_OPS_CANARY_MAX_MISSING_RATIO", "0.2"))
    )
    # SUPPORT_OPS_CANARY_MIN_SAMPLE: below this many records seen in a run the canary only warns.
    canary_min_sample: int = field(default_factory=lambda: int(_env("SUPPORT_OPS_CANARY_MIN_SAMPLE", "20")))
    # SUPPORT_OPS_BLOCKING_CHECKS: integrity checks whose findings stop the whole organization
    # sync. Default none: the sync skips problem accounts one by one (docs/org-sync.md).
    blocking_checks: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            c.strip() for c in _env("SUPPORT_OPS_BLOCKING_CHECKS", "").split(",") if c.strip()
        )
    )
    # SUPPORT_OPS_SYNC_MAX_CHANGES: the organization sync's change cap (organizations per run);
    # above it nothing is written and the run fails saying how to approve (docs/org-sync.md).
    sync_max_changes: int = field(default_factory=lambda: int(_env("SUPPORT_OPS_SYNC_MAX_CHANGES", "1000")))
    # SUPPORT_OPS_FEEDBACK_SINCE: the feedback issues look at ratings updated on or after this ISO
    # date or date-time (UTC); empty (the default): 30 days before the run (docs/feedback-issues.md).
    feedback_since: str = field(default_factory=lambda: _env("SUPPORT_OPS_FEEDBACK_SINCE", ""))

    @property
    def warehouse_file(self) -> Path:
        return self.data_dir / "warehouse.db"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def settings() -> Settings:
    return Settings()
