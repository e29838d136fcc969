"""An extraction run that loads nothing updates no Asset, so no KPI or integrity run follows.

Real DAG runs (`dag.test()`), with the consumer DAGs registered and unpaused in Airflow's
metadata DB, so Airflow's own asset manager decides what to queue. The first run loads the
sandbox (and must queue the consumers: the check can fail); the second finds nothing new.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag

CONSUMERS = ("csat_kpis", "crm_integrity")


def _unpause_consumers() -> None:
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id.in_(CONSUMERS)).values(is_paused=False))


def _queued() -> set[str]:
    """Consumer DAGs Airflow has queued a run for because an Asset they wait on was updated."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        return {r for (r,) in session.execute(select(AssetDagRunQueue.target_dag_id))}


def _clear_queue() -> None:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))


def _events() -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.execute(select(func.count()).select_from(AssetEvent)).scalar()


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state).rsplit(".", 1)[-1] for ti in run.get_task_instances()}


@pytest.mark.slow
def test_extraction_that_loads_nothing_triggers_no_kpi_or_integrity_run(airflow_db, sandbox, monkeypatch, tmp_path):
    use_sandbox(monkeypatch, sandbox)
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", f"sqlite:///{tmp_path / 'wh.db'}")
    monkeypatch.setenv("SUPPORT_OPS_EXTRACT_START", "2020-01-01T00:00:00Z")

    run_dag("warehouse_maintenance")  # registers every DAG of the folder in the metadata DB
    _unpause_consumers()
    _clear_queue()

    first = run_dag("zendesk_extract")
    assert str(first.state).endswith("success")
    states = _states(first)
    assert states["publish_tickets"] == "success" and states["publish_organizations"] == "success"
    assert set(CONSUMERS) <= _queued()  # loading rows does trigger both consumers
    run_dag("salesforce_extract")
    _clear_queue()
    before = _events()

    again = run_dag("zendesk_extract")
    assert str(again.state).endswith("success")
    states = _states(again)
    publish = {t: s for t, s in states.items() if t.startswith("publish_")}
    assert publish and set(publish.values()) == {"skipped"}, states
    sf = run_dag("salesforce_extract")
    assert str(sf.state).endswith("success") and _states(sf)["publish_accounts"] == "skipped"
    assert _events() == before
    assert _queued() == set()
