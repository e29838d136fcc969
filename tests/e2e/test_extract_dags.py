"""Real runs of the extraction DAGs against the sandbox; the task log never shows a credential."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from sandbox.core import collections as C
from support_ops.extract.tables import (
    quarantine,
    sf_accounts,
    zd_organizations,
    zd_satisfaction_ratings,
    zd_tickets,
)
from support_ops.warehouse import get_engine
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
    assert _count(engine, zd_tickets) == sandbox.store.count(C.ZD_TICKETS)
    assert _count(engine, zd_organizations) == sandbox.store.count(C.ZD_ORGANIZATIONS)
    assert _count(engine, zd_satisfaction_ratings) == sandbox.store.count(C.ZD_SATISFACTION_RATINGS)
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
    assert _count(get_engine(url), sf_accounts) == sandbox.store.count(C.SF_ACCOUNT)


def _accounts_with_bad_ones(store, cfg):
    import datetime as dt

    from sandbox.salesforce.ids import make_id

    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    docs = []
    for i in range(10):
        # An hour apart: a retry would re-read only the last one (the look-back is 10 minutes).
        iso = (when + dt.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        sfid = make_id("001", 40_000 + i)
        doc = {"Id": sfid, "Name": f"Account {i}", "Type": "Customer", "IsDeleted": False, "CreatedDate": iso,
               "LastModifiedDate": iso, "SystemModstamp": iso, "Owner": {"Name": "Pat Owner"}}
        if i in (2, 5, 7):
            doc["Number_of_Licenses_This_Account__c"] = "inf"
        docs.append((sfid, doc, int((when + dt.timedelta(hours=i)).timestamp()), None))
    store.put_many(C.SF_ACCOUNT, docs)


def test_a_quarantine_breach_fails_the_dag_run_without_a_retry(airflow_db, sandbox_factory, monkeypatch, tmp_path,
                                                              capfd, caplog):
    """3 of 10 accounts are bad (above the 5% limit): the task fails on its first try and is not
    retried (a retry would find the cursor past them and pass), saying where the records are."""
    sb = sandbox_factory(populate=_accounts_with_bad_ones)
    use_sandbox(monkeypatch, sb)
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
    run = run_dag("salesforce_extract")
    assert str(run.state).endswith("failed")
    ti = next(t for t in run.get_task_instances() if t.task_id == "accounts")
    assert str(ti.state).endswith("failed") and ti.try_number == 1  # failed, not up_for_retry
    assert _count(get_engine(url), sf_accounts) == 7  # the valid ones are loaded
    assert _count(get_engine(url), quarantine) == 3
    out = capfd.readouterr()
    text = out.out + out.err + caplog.text
    assert "3 of 10 records quarantined" in text
    assert "warehouse table `quarantine` with stream = 'salesforce.accounts'" in text
