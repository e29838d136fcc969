"""
### SSAT feedback issues

The seed's "Managing Negative Feedback": every bad satisfaction rating (and every good one with
a comment) updated since `since` becomes one GitLab issue in the feedback project (connection
`gitlab_default`, extra `feedback_project`), labelled `satisfaction::bad|good` and, for bad
ratings, `ssat-reason::<key>` and `ssat-route::product|support-managers`, assigned to the
manager on call in the PagerDuty schedule *SSAT Reviewing Manager* (`pagerduty_default`),
matched to a GitLab user by e-mail. Hourly, and whenever an extraction updates the
satisfaction ratings.

- **issues**: create (at most `max_issues`, oldest rating first; the rest next run), relabel and
  note on a score change (reopen when it turns bad), close good issues idle for 7 days. One
  issue per rating, ever: the `feedback_issues` table and a marker in each description. Through
  the outbound layer: a dry run stores the plan and writes nothing.
- **export**: all feedback with a comment, one CSV per month (`feedback/<YYYY>-<MM>.csv`),
  committed to the project's default branch; an unchanged month gets no commit.
- **report**: *Browse → Support Ops reports*, `feedback/latest/`.

Params: `dry_run`, `max_issues` (200), `since` (default `SUPPORT_OPS_FEEDBACK_SINCE`, or 30 days
before the run). Customer text is escaped (no quick action, mention, HTML or forged marker).
Rules: docs/feedback-issues.md.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 * * * *", timezone="UTC"),
        assets=Asset(assets.zendesk("satisfaction_ratings")),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["feedback", "gitlab", "zendesk", "pagerduty"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", description="Plan and record the writes; send nothing"),
        "max_issues": Param(200, type="integer", minimum=0,
                            description="At most this many issues are created per run, oldest rating first"),
        "since": Param(None, type=["null", "string"],
                       description="Ratings updated on or after this ISO date/time (default "
                                   "SUPPORT_OPS_FEEDBACK_SINCE, or 30 days before the run)"),
    },
)
def ssat_feedback_issues():
    @task
    def issues(params: dict | None = None) -> dict:
        """Create, relabel and clean up the issues; returns counts."""
        from support_ops.feedback.tasks import issues_task

        return issues_task(params)

    @task
    def export(created: dict, params: dict | None = None) -> dict:
        """The monthly CSV files, committed when their content changed."""
        from support_ops.feedback.tasks import export_task

        return export_task(params)

    @task(trigger_rule="all_done")
    def report(ti=None) -> dict:
        """The report page: open issues by reason and route, first response, the manager."""
        from support_ops.feedback.tasks import report_task

        return report_task(ti.xcom_pull(task_ids="issues") if ti else None)

    created = issues()
    export(created) >> report()


ssat_feedback_issues()
