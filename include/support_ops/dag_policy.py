"""What every DAG of the project shares: owner, retries, and the controlled tag vocabulary.

DAG files take `DEFAULT_ARGS` and tags from `TAGS`; tests/dags enforce both.
"""

from __future__ import annotations

import datetime as dt

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
        "reports",
        # systems
        "zendesk", "salesforce", "pagerduty", "gitlab", "slack",
    }
)

START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
