"""
### Failure notice probe (tests only)

A DAG whose only task fails, to prove that a failed run posts exactly one Slack message with an
absolute link to the failed task's log. Lives under tests/, never in the project's dags/ folder.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    default_args={**DEFAULT_ARGS, "retries": 0},
    tags=["maintenance"],
    doc_md=__doc__,
    on_failure_callback=ON_DAG_FAILURE,
)
def failure_notice_probe():
    @task
    def fine() -> int:
        return 1

    @task
    def breaks(value: int) -> None:
        raise RuntimeError(f"probe failure after {value}")

    breaks(fine())


failure_notice_probe()
