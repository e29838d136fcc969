"""
### CRM integrity checks

The seed's `crm-check`, made exact in docs/integrity-rules.md, as a Great Expectations suite: Salesforce
Customer accounts and Zendesk organizations joined on the 15-character Salesforce id, one
expectation per check (`missing_zendesk_org_dotcom`, `missing_zendesk_org_selfmanaged`,
`no_support_level`, `duplicate_salesforce_account`, `support_level_mismatch`,
`no_salesforce_id`, `org_name_mismatch`, `invalid_org_domain`, and the sync conditions
`zendesk_org_id_mismatch`, `zendesk_org_name_mismatch`).

Runs daily at 06:00 UTC **and** whenever the Zendesk organizations or Salesforce accounts
Assets are updated. Findings go to `integrity_findings` (with `first_seen`), the run's status to
`integrity_runs`; the summary page (`reports/integrity/<run_date>/`) and the GX validation
results (`reports/data_docs/<run_date>/`) are linked from *Browse → Support Ops reports*. One
Slack message per run date. The first scheduled run is the next 06:00 after the DAG is switched
on, never one for a day before it.

Finding problems is the purpose, not a failure: the run succeeds. It fails only when it cannot
check (empty source tables). Findings of the blocking checks (`SUPPORT_OPS_BLOCKING_CHECKS`,
default none) block the organization sync until a clean run.

Params: `dry_run` (log the Slack message instead of sending it), `run_date` (a date picked
in the trigger form; default: the run's date). Rerunning a run date replaces its findings.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetOrTimeSchedule, Param, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE
from support_ops.schedules import FromNowCronTriggerTimetable

ORGANIZATIONS = Asset(assets.zendesk("organizations"))
ACCOUNTS = Asset(assets.SALESFORCE_ACCOUNTS)
FINDINGS = Asset(assets.INTEGRITY_FINDINGS)


def _run_date(params: dict | None, dag_run) -> str:
    """The Param override, else the run's date (logical date, or when it was due)."""
    chosen = (params or {}).get("run_date")
    if chosen:
        return str(chosen)
    when = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
    return when.date().isoformat() if when else ""


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=FromNowCronTriggerTimetable("0 6 * * *", timezone="UTC"),
        assets=(ORGANIZATIONS | ACCOUNTS),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["integrity", "zendesk", "salesforce", "reports"],
    params={
        "dry_run": Param(False, type="boolean", description="Log the Slack message instead of sending it"),
        "run_date": Param(None, type=["null", "string"], format="date",
                          description="Check as this date (pick it in the calendar, or leave empty for the run's date)"),
    },
    doc_md=__doc__,
)
def crm_integrity():
    @task(outlets=[FINDINGS])
    def check(params: dict | None = None, dag_run=None) -> dict:
        """Run the suite, store findings and status, write the summary page and Data Docs."""
        from airflow.sdk.exceptions import AirflowFailException

        from support_ops.integrity import IntegritySourceError, run_checks
        from support_ops.warehouse import get_engine, upgrade

        engine = get_engine()
        upgrade(engine)
        try:
            return run_checks(engine, _run_date(params, dag_run))
        except IntegritySourceError as exc:  # retrying will not help: fail now, clearly
            raise AirflowFailException(str(exc)) from exc

    @task
    def notify(summary: dict, params: dict | None = None) -> str:
        """One Slack message per run date: counts per check, change since the last run."""
        from support_ops.integrity import notify_run
        from support_ops.warehouse import get_engine

        return notify_run(get_engine(), summary["run_date"], dry_run=bool((params or {}).get("dry_run")))

    notify(check())


crm_integrity()
