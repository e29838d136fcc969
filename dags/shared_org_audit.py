"""
### Shared organizations audit

Daily. Every Zendesk organization's `shared_tickets` / `shared_comments` and every end user's
own access to the organization's tickets, compared with the approved requests: issues made
from the `Shared Organization Request` template in the Support Ops project (connection
`gitlab_default`, extra `support_ops_project`) labelled `shared-org::approved`.

Findings (`shared_org_findings`, with `first_seen`): `shared_org_without_request`,
`shared_org_settings_mismatch`, `shared_org_request_not_applied`,
`shared_user_without_request`. A report page (*Browse → Support Ops reports*, `shared_orgs/`)
and, when there are findings, one Slack message naming the widest exposures first.
Param `dry_run`: the Slack message is planned and recorded, not sent. Rules: docs/sharing.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE
from support_ops.schedules import FromNowCronTriggerTimetable


@dag(
    schedule=FromNowCronTriggerTimetable("15 7 * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["sharing", "zendesk", "gitlab"],
    doc_md=__doc__,
    params={"dry_run": Param(False, type="boolean", description="Record the Slack message; send nothing")},
)
def shared_org_audit():
    @task
    def audit(params: dict | None = None, ds: str | None = None) -> dict:
        """Organizations and users refreshed, compared with the approved requests; report; Slack."""
        from support_ops.sharing.tasks import audit_task

        return audit_task(ds, dry_run=bool((params or {}).get("dry_run")))

    audit()


shared_org_audit()
