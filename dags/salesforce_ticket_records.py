"""
### Ticket records in Salesforce

Daily. Zendesk sends a Salesforce `Zendesk Support Ticket` record when a ticket is created and
when it is solved (a target and a trigger). This DAG checks that it works: tickets created or
solved in the last `days` days (default 7) against their records (`missing_record`,
`stale_status`, `wrong_account`), and the seed's troubleshooting checklist as health checks (the
Salesforce target and its trigger exist and are active; the ticket and ticket-comment objects'
fields are readable for the System Administrator profile). Findings in
`ticket_record_findings` with `first_seen`; runs in `ticket_record_runs`.

Params: `days`, `backfill` (upsert the missing records by their ticket-number external id,
linked to the account of the ticket's organization, through the outbound layer), `dry_run`
(plan and record the backfill, send nothing), `max_changes` (the backfill's cap).
Rules: docs/ticket-records.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE
from support_ops.schedules import FromNowCronTriggerTimetable


@dag(
    schedule=FromNowCronTriggerTimetable("45 7 * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["ticket-records", "zendesk", "salesforce"],
    doc_md=__doc__,
    params={
        "days": Param(7, type="integer", minimum=1, description="Tickets created or solved in the last N days"),
        "backfill": Param(False, type="boolean", description="Upsert the missing records (by ticket number)"),
        "dry_run": Param(False, type="boolean", description="Plan and record the backfill; send nothing"),
        "max_changes": Param(500, type="integer", minimum=0, description="Backfill cap: above it nothing is sent"),
    },
)
def salesforce_ticket_records():
    @task
    def check(params: dict | None = None, ds: str | None = None) -> dict:
        """Reconcile, health checks, optional backfill."""
        from support_ops.ticket_records.tasks import run_task

        return run_task(params, ds)

    check()


salesforce_ticket_records()
