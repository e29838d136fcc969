"""
### Zendesk view counts

The support bot's view counts, hourly and on manual trigger: `views/count_many` (at most 20
ids a call, within its limit of 6 requests every 5 minutes: 429s waited out) for the views the
Param `views` names (ids or titles; empty: every active view), one message to
`slack_view_counts`, and the counts kept as a time series in `zd_view_counts`, drawn in the
alerts report. Unknown views fail the run at once, naming them and the active views.

Params: `views`, `dry_run` (count and record; post nothing). Rules: docs/alerts.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["alerts", "zendesk", "slack"],
    doc_md=__doc__,
    params={
        "views": Param([], type="array", items={"type": ["integer", "string"]},
                       description="View ids or titles (empty: every active view)"),
        "dry_run": Param(False, type="boolean", description="Count and record; post nothing"),
    },
)
def zendesk_view_counts():
    @task
    def count(params: dict | None = None) -> dict:
        """count_many, 20 ids a call; Slack; zd_view_counts."""
        from support_ops.alerts.tasks import view_counts_task

        return view_counts_task(params)

    @task
    def report() -> dict:
        """The report page and the home page headline (a failed step fails the run first)."""
        from support_ops.alerts.tasks import report_task

        return report_task()

    count() >> report()


zendesk_view_counts()
