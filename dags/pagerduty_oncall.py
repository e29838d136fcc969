"""
### On-call from PagerDuty

The seed's PagerDuty section, made exact (docs/oncall.md). Daily at 07:30 UTC (after the
Monday 07:00 hand-off) and on manual trigger.

- **audit**: reads PagerDuty (`pagerduty_default`; its extra `base_url` points elsewhere, e.g.
  at the sandbox): every schedule rendered for the next 14 days, the escalation policies,
  services and users. Stores the roster in `oncall_shifts` and the findings in
  `oncall_findings` (`first_seen` carried across runs): `coverage_gap`,
  `handoff_not_monday_0700` (the regional schedules: Customer Emergencies and Support
  Manager, AMER/APAC/EMEA), `schedule_missing`, `policy_missing`, `policy_rule_mismatch`,
  `policy_repeat_mismatch`, `service_without_policy` (against
  `include/support_ops/oncall/expected.yaml`, the handbook's setup as data).
- **report**: a timeline per schedule, who is on call now, the findings with links
  (*Browse → Support Ops reports*, `oncall/<run date>/`).
- **notify**: one Slack message a day (`slack_default`): who is on call now for Customer
  Support, US Federal and Support Managers.

Findings are the purpose, not a failure: the run succeeds with them. Params: `dry_run` (record
the Slack message, send nothing), `as_of` (audit the 14 days from this instant; empty: now).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE
from support_ops.schedules import FromNowCronTriggerTimetable


@dag(
    schedule=FromNowCronTriggerTimetable("30 7 * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["oncall", "pagerduty", "slack", "reports"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", description="Record the Slack digest; send nothing"),
        "as_of": Param(None, type=["null", "string"],
                       description="Audit the 14 days from this instant (ISO 8601, UTC); empty: now"),
    },
)
def pagerduty_oncall():
    @task
    def audit(params: dict | None = None) -> dict:
        """Roster and both audits into the warehouse; returns counts per check."""
        from support_ops.oncall.tasks import audit_task

        return audit_task(params)

    @task
    def report(summary: dict) -> dict:
        """The roster page: a timeline per schedule, who is on call now, the findings."""
        from support_ops.oncall.tasks import report_task

        return report_task(summary["run_date"])

    @task
    def notify(summary: dict, written: dict, params: dict | None = None) -> str:
        """One Slack message a day: who is on call now."""
        from support_ops.oncall.tasks import notify_task

        return notify_task(summary["run_date"], written, dry_run=bool((params or {}).get("dry_run")))

    summary = audit()
    notify(summary, report(summary))


pagerduty_oncall()
