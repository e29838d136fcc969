"""
### CSAT KPIs

Recomputes the CSAT KPI tables whenever a Zendesk extraction updates tickets, satisfaction
ratings, organizations, ticket forms or users (any one of them triggers a run):

- **compute**: `csat_kpis` (CSAT = good / (good + bad), response rate = responded / surveyed,
  coverage = surveyed / solved; per ISO week and calendar month, overall, by support level and
  by ticket form), `csat_unsurveyed` (merged, mail_list, gitlab_team, other) and
  `csat_bad_reasons` (reason and route: product or support_managers). Only the periods holding
  changed tickets, ratings, users, organizations or forms are recomputed (Param `full_recompute`:
  every period), in one transaction, so reruns give the same tables and late rating changes move
  the periods they touch. Definitions: docs/kpi-definitions.md.
- **report**: the KPI report page under *Browse → Support Ops reports* (`kpis/<run date>/`,
  and `kpis/latest/`).
- **alert**: when the latest complete week's CSAT is below the target (95% by default,
  `SUPPORT_OPS_CSAT_TARGET`), one Slack message (`slack_default`) per ISO week, never twice.
  Param `dry_run` logs the message instead of sending it.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE

TRIGGERS = (
    Asset(assets.zendesk("tickets"))
    | Asset(assets.zendesk("satisfaction_ratings"))
    | Asset(assets.zendesk("organizations"))
    | Asset(assets.zendesk("ticket_forms"))
    | Asset(assets.zendesk("users"))
)


@dag(
    schedule=TRIGGERS,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["kpi", "zendesk", "reports"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean",
                         description="Log the below-target Slack message instead of sending it."),
        "full_recompute": Param(False, type="boolean",
                                description="Recompute every period, not only those whose data changed."),
    },
)
def csat_kpis():
    @task
    def compute(params=None) -> dict:
        """Recompute the KPI tables where the data changed; returns period references and counts."""
        from support_ops.kpis.tasks import compute_task

        return compute_task(full_recompute=bool((params or {}).get("full_recompute", False)))

    @task
    def report(summary: dict, dag_run=None) -> dict:
        """Write the HTML report for this run's date; returns its path and URL."""
        from support_ops.kpis.tasks import report_task

        return report_task(summary, dag_run.run_after.date())

    @task
    def alert(summary: dict, written: dict, params=None) -> dict:
        """Slack message when last week's CSAT is below target (once per ISO week)."""
        from support_ops.kpis.tasks import alert_task

        return alert_task(summary, written, dry_run=bool((params or {}).get("dry_run", False)))

    summary = compute()
    alert(summary, report(summary))


csat_kpis()
