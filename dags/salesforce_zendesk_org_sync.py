"""
### Salesforce → Zendesk organization sync

The seed's bulk sync (Salesforce Account → Zendesk Organization, full sync, no creation), as a
diff-based pipeline. Monday, Wednesday and Friday at 06:00 UTC, and on manual trigger.

- **refresh**: the incremental organization and account streams, so the plan is made from current data.
- **plan**: every Customer account's nine mapped fields against its organization's
  (`organization_fields` only); accounts failing a sync condition are skipped with the first
  reason (`duplicate_account`, `no_organization`, `multiple_organizations`,
  `zendesk_org_id_mismatch`, `zendesk_org_name_mismatch`, `invalid_org_domain`). An empty
  Salesforce value never blanks Zendesk. Stored in `org_sync_changes` / `org_sync_skips`.
- **apply**: through the outbound layer, `update_many` 100 organizations a call, every job
  status polled to the end, each organization's result recorded; 429s waited out, 5xx retried;
  a rerun never writes the same change twice. **Circuit breaker:** above `max_changes`
  organizations nothing is written, the plan is kept in the report and the run fails saying
  how to approve it (trigger again with a higher `max_changes`).
- **verify**: the updated organizations read back (`show_many`, 100 a call) and compared.
- **report** (*Browse → Support Ops reports*, `org_sync/<run id>/`) and one Slack summary (`slack_default`).

Params: `dry_run` (plan and record, write nothing), `max_changes` (default
`SUPPORT_OPS_SYNC_MAX_CHANGES`, 1000), `create_missing` (off), `only_orgs` (organization ids
for a targeted run). Rules: docs/org-sync.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.config import ZENDESK_INCREMENTAL_POOL, settings
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE
from support_ops.schedules import FromNowCronTriggerTimetable


def _run_id(ti, *, last: bool = False) -> str:
    """The sync run's id from the plan task's XCom. Without a plan the step is skipped, and the
    last step fails the run (an earlier task failed: its log says why)."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    planned = ti.xcom_pull(task_ids="plan") if ti else None
    if not planned:
        if last:
            raise AirflowFailException("no plan was made in this run: see the failed refresh or plan task")
        raise AirflowSkipException("no plan was made in this run: nothing to do")
    return planned["run_id"]


@dag(
    schedule=FromNowCronTriggerTimetable("0 6 * * 1,3,5", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["sync", "zendesk", "salesforce"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", description="Plan and record the changes; write nothing"),
        "max_changes": Param(settings().sync_max_changes, type="integer", minimum=0,
                             description="Circuit breaker: above this many organizations nothing is written "
                                         "(default SUPPORT_OPS_SYNC_MAX_CHANGES)"),
        "create_missing": Param(False, type="boolean",
                                description="Create organizations for accounts that have none (off by default)"),
        "only_orgs": Param(None, type=["null", "array"],
                           description="Zendesk organization ids for a targeted run (empty: every organization)"),
    },
)
def salesforce_zendesk_org_sync():
    @task(pool=ZENDESK_INCREMENTAL_POOL)  # the organization export: one incremental Zendesk call at a time
    def refresh() -> dict:
        """Accounts and organizations, incrementally, so the plan starts from current data."""
        from support_ops.org_sync.tasks import refresh_task

        return refresh_task()

    @task
    def plan(refreshed: dict, params: dict | None = None) -> dict:
        """Desired fields against current ones; skips with their reason. Returns the run id."""
        from support_ops.org_sync.tasks import plan_task

        return plan_task(params)

    @task
    def apply(planned: dict, params: dict | None = None) -> dict:
        """update_many, 100 a call, through the outbound layer, under the cap."""
        from support_ops.org_sync.tasks import apply_task

        return apply_task(planned["run_id"], (params or {}).get("max_changes"))

    @task(trigger_rule="all_done")
    def verify(ti=None) -> dict:
        """show_many, 100 a call: Zendesk shows what was written."""
        from support_ops.org_sync.tasks import verify_task

        return verify_task(_run_id(ti))

    @task(trigger_rule="all_done")
    def report(ti=None) -> dict:
        """The run's report page: counts, changes per field, every change with links."""
        from support_ops.org_sync.tasks import report_task

        return report_task(_run_id(ti))

    @task(trigger_rule="all_done")
    def notify(params: dict | None = None, ti=None) -> dict:
        """One Slack summary; then fail the run if it was capped or did not complete."""
        from support_ops.org_sync.tasks import notify_task

        run_id = _run_id(ti, last=True)
        return notify_task(run_id, ti.xcom_pull(task_ids="report"), dry_run=bool((params or {}).get("dry_run")))

    planned = plan(refresh())
    applied = apply(planned)
    verified = verify()
    applied >> verified
    written = report()
    verified >> written >> notify()


salesforce_zendesk_org_sync()
