"""Salesforce Account extraction against the sandbox (simple-salesforce via the SalesforceHook)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from sandbox.core import collections as C
from sandbox.salesforce.ids import make_id
from support_ops.clients.salesforce import salesforce_client
from support_ops.extract.salesforce import extract_accounts
from support_ops.extract.tables import sf_accounts
from tests.conftest import use_sandbox


def accounts(engine) -> dict[str, tuple]:
    t = sf_accounts
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


def _realism(sb, body: dict) -> None:
    import requests

    requests.post(sb.config.base_url("salesforce") + "/_sandbox/realism", json=body, timeout=5,
                  verify=sb.env["REQUESTS_CA_BUNDLE"]).raise_for_status()


def _account(number: int, when: dt.datetime, **fields) -> tuple:
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    sfid = fields.pop("Id", None) or make_id("001", number)
    doc = {"Id": sfid, "Name": f"Account {number}", "Type": "Customer", "IsDeleted": False,
           "Owner": {"Name": "Pat Owner"}, "CreatedDate": iso, "LastModifiedDate": iso, "SystemModstamp": iso,
           "Support_Level__c": "Premium", "GitLab_Deployment__c": "GitLab.com", **fields}
    return sfid, doc, int(when.timestamp()), None


def test_a_future_dated_account_does_not_hide_earlier_changes(sandbox_factory, warehouse, monkeypatch):
    """One account stamped a day ahead loads, but the cursor stays at the run's start minus the
    safety lag: a rename made afterwards (before that future date) is still picked up."""
    real_now = dt.datetime.now(dt.UTC)
    past = real_now - dt.timedelta(days=3)
    future = real_now + dt.timedelta(days=1)

    def populate(store, cfg):
        store.put_many(C.SF_ACCOUNT, [_account(20_000 + i, past + dt.timedelta(minutes=i)) for i in range(5)]
                       + [_account(20_100, future, Name="From the future")])

    sb = sandbox_factory(populate=populate, now=None)  # the sandbox stamps changes with the real clock
    use_sandbox(monkeypatch, sb)
    sf = salesforce_client()
    first = extract_accounts(warehouse, sf)
    assert first.loaded == 6 and accounts(warehouse)[make_id("001", 20_100)][0] == "From the future"
    hwm = dt.datetime.fromisoformat(first.cursor["hwm"])
    assert past < hwm <= real_now + dt.timedelta(minutes=1)  # not the future stamp
    renamed = make_id("001", 20_002)
    sf.Account.update(renamed, {"Name": "Renamed Ltd"})
    second = extract_accounts(warehouse, sf)
    assert accounts(warehouse)[renamed][0] == "Renamed Ltd"
    assert accounts(warehouse) == expected(sb.store)
    assert second.loaded >= 2  # the rename, and the future-dated account read again


def test_a_15_character_id_beside_its_18_character_form_is_one_account(sandbox_factory, warehouse, monkeypatch):
    from support_ops.warehouse.upsert import upsert

    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    full = make_id("001", 30_001)
    other = make_id("001", 30_002)

    def populate(store, cfg):
        store.put_many(C.SF_ACCOUNT, [
            _account(30_001, when, Name="Acme (as pasted)", Id=full[:15]),
            _account(30_001, when + dt.timedelta(minutes=1), Name="Acme"),
            _account(30_002, when + dt.timedelta(minutes=2), Id=other[:15]),
        ])

    # A row an earlier version stored under the short id, before ids were normalized.
    with warehouse.begin() as conn:
        upsert(conn, sf_accounts, [{
            "id": other[:15], "id15": other[:15], "name": "old copy", "is_deleted": False,
            "raw": {}, "extracted_at": when}])
    sb = sandbox_factory(populate=populate)
    use_sandbox(monkeypatch, sb)
    res = extract_accounts(warehouse, salesforce_client())
    assert res.quarantined == 0
    got = accounts(warehouse)
    assert set(got) == {full, other}  # 18-character ids only, one row per account
    assert got[full][0] == "Acme"  # the later copy wins
    with warehouse.connect() as conn:
        id15s = conn.execute(select(sf_accounts.c.id15)).scalars().all()
    assert sorted(id15s) == sorted([full[:15], other[:15]])


@pytest.mark.parametrize("flow", ["soap", "client_credentials"])
def test_login_survives_rate_limits_server_errors_and_cut_replies(sandbox_factory, monkeypatch, flow):
    import json

    from support_ops.extract.fetch import RetryPolicy

    sb = sandbox_factory(populate=_many_accounts(3))
    use_sandbox(monkeypatch, sb)
    if flow == "client_credentials":  # no login: the OAuth client-credentials grant
        conn = json.loads(sb.env["AIRFLOW_CONN_SALESFORCE_DEFAULT"])
        conn.pop("login"), conn.pop("password")
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps(conn))
    import requests

    _realism(sb, {"faults": {"seed": 11, "rate_429": 0.2, "retry_after": 0, "rate_5xx": 0.2,
                             "rate_truncate": 0.15, "rate_drop": 0.1}})
    waits: list[float] = []
    policy = RetryPolicy(attempts=20, backoff=0.01, max_backoff=0.02, sleep=waits.append)
    try:
        clients = [salesforce_client(policy=policy) for _ in range(12)]
        served = requests.get(sb.config.base_url("salesforce") + "/_sandbox/stats", timeout=5,
                              verify=sb.env["REQUESTS_CA_BUNDLE"]).json()
    finally:
        _realism(sb, {"faults": {"rate_429": 0, "rate_5xx": 0, "rate_truncate": 0, "rate_drop": 0}})
    faults = served["faults"]
    assert faults.get("429") and faults.get("truncate") and faults.get("drop"), faults
    assert any(code in faults for code in ("500", "502", "503")), faults
    assert len(waits) >= sum(faults.values())  # every fault was waited out, none ended a login
    for sf in clients:
        assert sf.query("SELECT Id FROM Account")["totalSize"] == 3


def test_a_refused_login_fails_at_once(sandbox_factory, monkeypatch):
    import json

    from support_ops.clients.salesforce import SalesforceLoginError
    from support_ops.extract.fetch import RetryPolicy

    sb = sandbox_factory(populate=_many_accounts(1))
    use_sandbox(monkeypatch, sb)
    conn = json.loads(sb.env["AIRFLOW_CONN_SALESFORCE_DEFAULT"])
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({**conn, "password": "wrong"}))
    waits: list[float] = []
    with pytest.raises(SalesforceLoginError, match="refused"):
        salesforce_client(policy=RetryPolicy(sleep=waits.append))
    assert waits == []


def test_an_expired_query_locator_restarts_at_once(sandbox_factory, warehouse, monkeypatch):
    from support_ops.extract.fetch import RetryPolicy
    from support_ops.extract.state import save_state

    sb = sandbox_factory(populate=_many_accounts(2500))
    use_sandbox(monkeypatch, sb)
    with warehouse.begin() as conn:
        save_state(conn, "salesforce.accounts", {"hwm": "2026-11-01T00:00:00.000+0000",
                                                 "next_url": "/services/data/v59.0/query/01gEXPIRED-2000"}, 0)
    waits: list[float] = []
    res = extract_accounts(warehouse, salesforce_client(), policy=RetryPolicy(sleep=waits.append))
    assert waits == []  # not retried as if transient: straight to the new query
    assert res.api_calls == 1 + 2  # the refused locator, then the two pages of the new query
    assert accounts(warehouse) == expected(sb.store)
