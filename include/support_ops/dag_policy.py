"""What every DAG of the project shares: owner, retries, the controlled tag vocabulary, and the
failure notice.

DAG files take `DEFAULT_ARGS`, tags from `TAGS` and `on_failure_callback=ON_DAG_FAILURE` (one
Slack message per failed run, docs/outbound-writes.md); tests/dags enforce all three.
"""

from __future__ import annotations

import datetime as dt

from .notify.failures import on_dag_failure

OWNER = "support-ops"

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
}

# The controlled vocabulary: a tag says which system or which capability a DAG belongs to.
TAGS = frozenset(
    {
        # capabilities
        "extract", "kpi", "integrity", "sync", "feedback", "alerts", "warehouse", "maintenance",
        "reports", "oncall", "sharing", "ticket-records",
        # systems
        "zendesk", "salesforce", "pagerduty", "gitlab", "slack",
    }
)

START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# The DAG-level on_failure_callback of every DAG (light to import: its work is done lazily).
ON_DAG_FAILURE = on_dag_failure
