"""
### Zendesk extraction

Hourly, incremental, exactly once: tickets (cursor export, 1,000 per page, metric sets
side-loaded), satisfaction ratings (including later score changes), organizations, users,
ticket forms and ticket metric events (SLA events) into the warehouse (`zd_*` tables).

Each stream commits its cursor in the same transaction as the page it follows: a failed or
killed run resumes where it stopped and a rerun writes nothing twice. 429s are waited out,
server errors and broken responses retried; malformed records go to `quarantine` with a
reason. Each stream updates its Asset; the KPI and integrity DAGs are scheduled on them.

Connection: `zendesk_default` (OAuth client credentials by default). First extraction
window: `SUPPORT_OPS_EXTRACT_START`.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, START_DATE

ASSETS = {name: Asset(assets.zendesk(name)) for name in assets.ZENDESK_STREAMS}


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    max_active_tasks=2,
    default_args=DEFAULT_ARGS,
    tags=["extract", "zendesk"],
    doc_md=__doc__,
)
def zendesk_extract():
    for name, asset in ASSETS.items():

        @task(task_id=name, outlets=[asset])
        def extract(stream: str = name) -> dict:
            from support_ops.extract.tasks import run_zendesk_stream

            return run_zendesk_stream(stream)

        extract()


zendesk_extract()
