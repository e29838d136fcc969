"""
### Salesforce extraction

Hourly: Accounts with the fields of the data contract into `sf_accounts`, incremental on
`SystemModstamp` with a look-back, deleted accounts included (`queryAll`). Trigger with
`full_refresh = true` to read every account again. Updates the Salesforce accounts Asset
(task `publish_accounts`) only when accounts were added or changed.

Connection: `salesforce_default`.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE

ACCOUNTS = Asset(assets.SALESFORCE_ACCOUNTS)


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["extract", "salesforce"],
    params={"full_refresh": Param(False, type="boolean", description="Read every account again")},
    doc_md=__doc__,
)
def salesforce_extract():
    @task
    def accounts(params: dict | None = None) -> dict:
        from support_ops.extract.changes import salesforce_accounts

        return salesforce_accounts(full_refresh=bool((params or {}).get("full_refresh")))

    @task(outlets=[ACCOUNTS])
    def publish_accounts(result: dict) -> int:
        """Update the Asset only when the run loaded or changed accounts (else skipped)."""
        from airflow.sdk.exceptions import AirflowSkipException

        from support_ops.extract.changes import changed

        if not changed(result):
            raise AirflowSkipException("salesforce accounts: no account added or changed, Asset left as it was")
        return int(result.get("loaded") or 0)

    publish_accounts(accounts())


salesforce_extract()
