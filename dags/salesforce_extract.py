"""
### Salesforce extraction

Hourly: Accounts with the fields of the data contract into `sf_accounts`, incremental on
`SystemModstamp` with a look-back, deleted accounts included (`queryAll`). Trigger with
`full_refresh = true` to read every account again. Updates the Salesforce accounts Asset.

Connection: `salesforce_default`.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, START_DATE

ACCOUNTS = Asset(assets.SALESFORCE_ACCOUNTS)


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["extract", "salesforce"],
    params={"full_refresh": Param(False, type="boolean", description="Read every account again")},
    doc_md=__doc__,
)
def salesforce_extract():
    @task(outlets=[ACCOUNTS])
    def accounts(params: dict | None = None) -> dict:
        from support_ops.extract.tasks import run_salesforce_accounts

        return run_salesforce_accounts(full_refresh=bool((params or {}).get("full_refresh")))

    accounts()


salesforce_extract()
