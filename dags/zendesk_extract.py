"""
### Zendesk extraction

Hourly, incremental, exactly once: tickets (cursor export, 1,000 per page, metric sets
side-loaded), satisfaction ratings (including later score changes), organizations, users,
ticket forms and ticket metric events (SLA events) into the warehouse (`zd_*` tables).

Each stream commits its cursor in the same transaction as the page it follows: a failed or
killed run resumes where it stopped and a rerun writes nothing twice. 429s are waited out,
server errors and broken responses retried; malformed records go to `quarantine` with a
reason. Each stream updates its Asset (task `publish_<stream>`) only when rows were added or changed, so
a run that found nothing new triggers no KPI or integrity run; those DAGs are scheduled on them.

Connection: `zendesk_default` (OAuth client credentials by default). First extraction
window: `SUPPORT_OPS_EXTRACT_START`.
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from support_ops import assets
from support_ops.config import ZENDESK_INCREMENTAL_POOL
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE

ASSETS = {name: Asset(assets.zendesk(name)) for name in assets.ZENDESK_STREAMS}


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    max_active_tasks=2,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["extract", "zendesk"],
    doc_md=__doc__,
)
def zendesk_extract():
    for name, asset in ASSETS.items():

        @task(task_id=name, pool=ZENDESK_INCREMENTAL_POOL)  # one incremental Zendesk call at a time
        def extract(stream: str = name) -> dict:
            from support_ops.extract.changes import zendesk_stream

            return zendesk_stream(stream)

        @task(task_id=f"publish_{name}", outlets=[asset])
        def publish(result: dict, stream: str = name) -> int:
            """Update the stream's Asset only when the run loaded or changed rows (else skipped)."""
            from airflow.sdk.exceptions import AirflowSkipException

            from support_ops.extract.changes import changed

            if not changed(result):
                raise AirflowSkipException(f"zendesk {stream}: no row added or changed, Asset left as it was")
            return int(result.get("loaded") or 0)

        publish(extract())


zendesk_extract()
