"""
### Warehouse maintenance

Applies the warehouse's Alembic migrations and records a heartbeat row in
`warehouse_heartbeat`. Runs daily and first in `make demo`; safe to rerun at any time.

The warehouse is the Airflow connection `support_warehouse` (a SQLite file in the
project's `data/` folder by default; any SQLAlchemy URL, e.g. PostgreSQL, in production).
"""

from __future__ import annotations

from airflow.sdk import Asset, dag, task

from support_ops import assets
from support_ops.dag_policy import DEFAULT_ARGS, ON_DAG_FAILURE, START_DATE

WAREHOUSE_SCHEMA = Asset(assets.WAREHOUSE_SCHEMA)


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    on_failure_callback=ON_DAG_FAILURE,
    tags=["warehouse", "maintenance"],
    doc_md=__doc__,
)
def warehouse_maintenance():
    @task(outlets=[WAREHOUSE_SCHEMA])
    def migrate_and_heartbeat() -> dict:
        """Migrate to the latest revision and record the heartbeat (returns a small summary)."""
        from support_ops.warehouse.maintenance import migrate_and_beat

        return migrate_and_beat()

    migrate_and_heartbeat()


warehouse_maintenance()
