"""
### Apply a shared organization request

Manual only. Applies exactly the approved option of one request (an issue of the Support Ops
project made from the `Shared Organization Request` template, labelled `shared-org::approved`)
to the Zendesk organization and the selected end users, through the outbound layer; comments
the before → after on the issue and closes it. A second run of the same request changes nothing.

Refused, with the reason commented on the issue: a request that is not approved, whose block
cannot be read, that names an organization or user that does not exist, or whose ticket is not
from that organization.

Params: `issue` (the request's issue number), `dry_run` (plan and record; change nothing,
comment nothing). Rules: docs/sharing.md.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["sharing", "zendesk", "gitlab"],
    doc_md=__doc__,
    params={
        "issue": Param(None, type=["null", "integer"], minimum=1, description="The request's issue number"),
        "dry_run": Param(True, type="boolean", description="Plan and record; change and comment nothing"),
    },
)
def shared_org_apply():
    @task
    def apply(params: dict | None = None) -> dict:
        """Check the request, apply its option, comment before -> after, close the issue."""
        from support_ops.sharing.tasks import apply_task

        return apply_task(params)

    apply()


shared_org_apply()
