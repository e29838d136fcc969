"""
### Premium SLA-breach alerts

Every 10 minutes (the seed's Zendesk automation ran only at the top of each hour, so its
alerts came up to an hour late):

- **refresh**: tickets and ticket metric events (SLA events), and the organizations (their
  plan) and users (assignees) they name, incrementally, through the same streams and cursors
  as `zendesk_extract`, in the one-slot pool `zendesk_incremental` that every incremental
  Zendesk call runs in; each stream's Asset is updated when rows changed.
- **alert**: each open ticket's next breach from its SLA metric events (`apply_sla` + target
  + paused time). A ticket alerts once per SLA instance when it is not deleted, `new`/`open`/
  `hold`, priority `high`/`urgent`, on a premium-class plan (tag or organization's
  `support_level`; `SUPPORT_OPS_PREMIUM_PLANS`), without the tag
  `slah-2hr-breach-notification`, and its breach is in the next 2 hours: one Slack message
  (`slack_breach_alerts`) per ticket, then the alerted tickets are tagged with one
  `tickets/update_many` call; the tag comes off once the alerted instance is fulfilled.
- **report**: tickets alerted in the last 7 days with their lead time, view-count history.

Params: `dry_run` (store the plans, log every message and tag it would send, send nothing),
`max_alerts` (circuit breaker, default `SUPPORT_OPS_SLA_BREACH_ALERT_MAX_CHANGES` or 50).
Rules: docs/alerts.md.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from support_ops import assets
from support_ops.config import ZENDESK_INCREMENTAL_POOL
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE

# Tickets and their SLA events, and the organizations (plan) and users (assignee) they name.
STREAMS = ("tickets", "ticket_metric_events", "organizations", "users")


@dag(
    schedule="*/10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["alerts", "zendesk", "slack"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", description="Store the plans and log them; post and tag nothing"),
        "max_alerts": Param(None, type=["null", "integer"], minimum=0,
                            description="Circuit breaker: above this many alerts nothing is sent "
                                        "(default SUPPORT_OPS_SLA_BREACH_ALERT_MAX_CHANGES, 50)"),
    },
)
def premium_sla_breach_alerts():
    refreshed = []
    for name in STREAMS:

        @task(task_id=f"refresh_{name}", pool=ZENDESK_INCREMENTAL_POOL)
        def refresh(stream: str = name) -> dict:
            from support_ops.alerts.tasks import refresh_stream

            return refresh_stream(stream)

        @task(task_id=f"publish_{name}", outlets=[Asset(assets.zendesk(name))])
        def publish(result: dict, stream: str = name) -> int:
            """Update the stream's Asset only when rows changed, as zendesk_extract does."""
            from airflow.sdk.exceptions import AirflowSkipException

            from support_ops.extract.changes import changed

            if not changed(result):
                raise AirflowSkipException(f"zendesk {stream}: no row added or changed")
            return int(result.get("loaded") or 0)

        result = refresh()
        publish(result)
        refreshed.append(result)

    @task
    def alert(params: dict | None = None) -> dict:
        """Decide, post one message per near-breach ticket, tag and untag (update_many)."""
        from support_ops.alerts.tasks import breach_alerts_task

        return breach_alerts_task(params)

    @task
    def report() -> dict:
        """The report page and the home page headline (a failed step fails the run first)."""
        from support_ops.alerts.tasks import report_task

        return report_task()

    alerted = alert()
    refreshed >> alerted >> report()


premium_sla_breach_alerts()
