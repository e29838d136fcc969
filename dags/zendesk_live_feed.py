"""
### Zendesk live feeds

Every 10 minutes: the tickets created or updated since the last run, one Slack message per
channel listing them with their organization names: form `Self-Managed` ->
`slack_feed_self_managed` (#zd-self-managed-feed), form `SaaS` (GitLab.com) ->
`slack_feed_gitlab_com` (#zd-gitlab-com-feed); other forms are not posted. Messages stay
within Slack's size (a long list ends with how many more).

- **refresh**: tickets, incrementally (the `zendesk_extract` stream and cursor, pool
  `zendesk_incremental`); the Asset is updated when rows changed.
- **post**: each feed's window since its cursor (`ops_feed_state`) is recorded before it is
  posted, so a run after a crash neither skips nor repeats a ticket.

Params: `dry_run` (log the messages, post nothing, move no cursor). Rules: docs/alerts.md.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from support_ops import assets
from support_ops.config import ZENDESK_INCREMENTAL_POOL
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE


@dag(
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["alerts", "zendesk", "slack"],
    doc_md=__doc__,
    params={"dry_run": Param(False, type="boolean", description="Log the messages; post nothing, move no cursor")},
)
def zendesk_live_feed():
    @task(pool=ZENDESK_INCREMENTAL_POOL)
    def refresh_tickets() -> dict:
        from support_ops.alerts.tasks import refresh_stream

        return refresh_stream("tickets")

    @task(outlets=[Asset(assets.zendesk("tickets"))])
    def publish_tickets(result: dict) -> int:
        from airflow.sdk.exceptions import AirflowSkipException

        from support_ops.extract.changes import changed

        if not changed(result):
            raise AirflowSkipException("zendesk tickets: no row added or changed")
        return int(result.get("loaded") or 0)

    @task
    def post(params: dict | None = None) -> dict:
        """One message per feed channel with the tickets of its window."""
        from support_ops.alerts.tasks import live_feed_task

        return live_feed_task(params)

    refreshed = refresh_tickets()
    publish_tickets(refreshed)
    refreshed >> post()


zendesk_live_feed()
