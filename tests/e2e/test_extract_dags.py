"""Real runs of the extraction DAGs against the sandbox; the task log never shows a credential."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from sandbox import collections as C
from support_ops.warehouse import get_engine, schema
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_zendesk_extract_dag_run_and_no_secret_in_the_log(airflow_db, sandbox, monkeypatch, tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    use_sandbox(monkeypatch, sandbox)
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
    monkeypatch.setenv("SUPPORT_OPS_EXTRACT_START", "2020-01-01T00:00:00Z")
    run = run_dag("zendesk_extract")
    assert str(run.state).endswith("success")
    engine = get_engine(url)
    assert _count(engine, schema.zd_tickets) == sandbox.store.count(C.ZD_TICKETS)
    assert _count(engine, schema.zd_organizations) == sandbox.store.count(C.ZD_ORGANIZATIONS)
    assert _count(engine, schema.zd_satisfaction_ratings) == sandbox.store.count(C.ZD_SATISFACTION_RATINGS)
    log = capfd.readouterr()
    text = log.out + log.err + caplog.text  # dag.test() runs tasks in-process
    assert "zendesk.tickets: page 1" in text  # progress is in the task log ...
    creds = sandbox.credentials["zendesk"]
    for secret in (creds["client_secret"], creds["api_token"]):
        assert secret not in text  # ... credentials are not
    issued = list(sandbox.contexts["zendesk"].extra.get("zd_access_tokens", {}))
    assert issued  # the run did authenticate with OAuth access tokens ...
    for token in issued:
        assert token not in text  # ... and none of them was logged


def test_salesforce_extract_dag_run_with_full_refresh(airflow_db, sandbox, monkeypatch, tmp_path):
    use_sandbox(monkeypatch, sandbox)
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
    for conf in ({}, {"full_refresh": True}):
        run = run_dag("salesforce_extract", **conf)
        assert str(run.state).endswith("success")
    assert _count(get_engine(url), schema.sf_accounts) == sandbox.store.count(C.SF_ACCOUNT)
