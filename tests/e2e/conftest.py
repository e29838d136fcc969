"""Whole DAG runs need Airflow's metadata DB: migrate a throwaway one once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def airflow_db():
    from airflow.utils import db

    db.initdb()
    return True


def run_dag(dag_id: str, **conf) -> object:
    """Run a DAG of the project once with `dag.test()`; returns the DagRun."""
    from airflow.models import DagBag

    from tests.dags.test_dag_integrity import DAGS_DIR

    bag = DagBag(dag_folder=str(DAGS_DIR / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[dag_id]
    return dag.test(run_conf=conf or None)
