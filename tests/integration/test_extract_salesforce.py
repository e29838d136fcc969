"""Salesforce Account extraction against the sandbox (simple-salesforce via the SalesforceHook)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from sandbox import collections as C
from sandbox.soql import make_id
from support_ops.clients.salesforce import salesforce_client
from support_ops.extract.salesforce import extract_accounts
from support_ops.warehouse import schema
from tests.conftest import use_sandbox


def accounts(engine) -> dict[str, tuple]:
    t = schema.sf_accounts
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.name, t.c.type, t.c.is_deleted, t.c.support_level,
                                   t.c.owner_name, t.c.deployment)).all()
    return {r.id: tuple(r[1:]) for r in rows}


def expected(store) -> dict[str, tuple]:
    return {a["Id"]: (a["Name"], a.get("Type"), bool(a.get("IsDeleted")), a.get("Support_Level__c"),
                      (a.get("Owner") or {}).get("Name"), a.get("GitLab_Deployment__c"))
            for a in store.all(C.SF_ACCOUNT)}


def test_accounts_equal_the_sandbox_and_rerun_changes_nothing(sandbox, warehouse, monkeypatch):
    use_sandbox(monkeypatch, sandbox)
    sf = salesforce_client()
    first = extract_accounts(warehouse, sf)
    assert accounts(warehouse) == expected(sandbox.store)
    assert any(deleted for (_, _, deleted, *_) in accounts(warehouse).values())  # queryAll
    again = extract_accounts(warehouse, sf)
    assert accounts(warehouse) == expected(sandbox.store)
    assert first.loaded == sandbox.store.count(C.SF_ACCOUNT)
    assert again.pages == 1  # only the look-back window is read again


def _many_accounts(n: int):
    def populate(store, cfg):
        stamp = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        docs = []
        for i in range(n):
            when = stamp + dt.timedelta(minutes=i)
            iso = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
            sfid = make_id("001", 10_000 + i)
            docs.append((sfid, {"Id": sfid, "Name": f"Account {i}", "Type": "Customer", "IsDeleted": False,
                                "Owner": {"Name": "Pat Owner"}, "CreatedDate": iso, "LastModifiedDate": iso,
                                "SystemModstamp": iso, "Support_Level__c": "Premium",
                                "GitLab_Deployment__c": "GitLab.com"}, int(when.timestamp()), None))
        store.put_many(C.SF_ACCOUNT, docs)
    return populate


@pytest.mark.parametrize("crash_after", [1])
def test_paged_pull_resumes_and_picks_up_changes(sandbox_factory, warehouse, monkeypatch, crash_after):
    sb = sandbox_factory(populate=_many_accounts(4500))
    use_sandbox(monkeypatch, sb)
    sf = salesforce_client()
    part = extract_accounts(warehouse, sf, max_pages=crash_after)  # a run that stopped early
    assert part.pages == 1 and part.loaded == 2000
    rest = extract_accounts(warehouse, sf)
    assert part.loaded + rest.loaded == 4500 and rest.pages == 2
    assert accounts(warehouse) == expected(sb.store)
    target = make_id("001", 10_007)
    sf.Account.update(target, {"Support_Level__c": "Ultimate"})
    later = extract_accounts(warehouse, sf)
    assert accounts(warehouse)[target][3] == "Ultimate"
    assert later.loaded <= 12  # incremental: the changed account and the 10-minute look-back
    full = extract_accounts(warehouse, sf, full_refresh=True)
    assert full.loaded == 4500 and full.pages == 3


def test_faults_and_an_expired_query_locator(sandbox_factory, warehouse, monkeypatch):
    import requests

    from support_ops.extract.fetch import RetryPolicy
    from support_ops.extract.state import save_state

    sb = sandbox_factory(populate=_many_accounts(4500))
    use_sandbox(monkeypatch, sb)
    sf = salesforce_client()
    admin = sb.config.base_url("salesforce") + "/_sandbox/realism"
    requests.post(admin, json={"faults": {"seed": 2, "rate_5xx": 0.3, "rate_drop": 0.2}}, timeout=5,
                  verify=sb.env["REQUESTS_CA_BUNDLE"]).raise_for_status()
    try:
        res = extract_accounts(warehouse, sf, policy=RetryPolicy(attempts=15, backoff=0.01, max_backoff=0.02))
    finally:
        requests.post(admin, json={"faults": {"rate_5xx": 0, "rate_drop": 0}}, timeout=5,
                      verify=sb.env["REQUESTS_CA_BUNDLE"])
    assert res.api_calls > res.pages  # some calls were retried ...
    assert accounts(warehouse) == expected(sb.store)  # ... and nothing was lost or doubled
    # A resume whose query locator has expired starts the query again from the high-water mark.
    with warehouse.begin() as conn:
        save_state(conn, "salesforce.accounts", {"hwm": "2026-11-01T00:00:00.000+0000",
                                                 "next_url": "/services/data/v59.0/query/01gEXPIRED-2000"}, 0)
    again = extract_accounts(warehouse, sf, policy=RetryPolicy(attempts=2, backoff=0.01))
    assert again.loaded == 4500 and accounts(warehouse) == expected(sb.store)
