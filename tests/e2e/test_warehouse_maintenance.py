"""A real run of the warehouse_maintenance DAG migrates the warehouse and records a heartbeat."""

from __future__ import annotations

from sqlalchemy import inspect

from support_ops.warehouse.maintenance import last_heartbeat
from support_ops.warehouse.migrate import head_revision
from tests.e2e.conftest import run_dag


def test_warehouse_maintenance_dag_run(airflow_db, warehouse_url, monkeypatch):
    from support_ops.warehouse import get_engine

    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", warehouse_url)
    run = run_dag("warehouse_maintenance")
    assert str(run.state).endswith("success")
    engine = get_engine(warehouse_url)
    assert "csat_kpis" in inspect(engine).get_table_names()
    beat = last_heartbeat("warehouse_maintenance", engine)
    assert beat is not None and beat["schema_revision"] == head_revision()
    # A second run is a no-op apart from the heartbeat.
    run = run_dag("warehouse_maintenance")
    assert str(run.state).endswith("success")
    assert last_heartbeat("warehouse_maintenance", engine)["beat_at"] >= beat["beat_at"]
