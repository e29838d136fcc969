"""The Salesforce sandbox through simple-salesforce and the Airflow SalesforceHook (https)."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from airflow.providers.salesforce.hooks.salesforce import SalesforceHook
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceMalformedRequest,
)

from sandbox.core.collections import SF_ACCOUNT
from sandbox.salesforce import ids, soql
from sandbox.testing import use_sandbox

N_ACCOUNTS = 4500
BASE = soql.parse_datetime("2026-01-01T00:00:00Z")
OWNERS = ["Fox Mulder", "Dana Scully", "Walter Skinner"]


def _accounts(n: int) -> list[dict]:
    docs = []
    for i in range(1, n + 1):
        stamp = soql.format_datetime(BASE + i * 3600)
        docs.append({
            "Id": ids.make_id("001", i), "Name": f"Account {i:05d}",
            "Type": "Customer" if i % 3 else "Prospect",
            "OwnerId": ids.make_id("005", 1 + i % 3), "Owner": {"Name": OWNERS[i % 3]},
            "Website": f"https://a{i}.example.com", "IsDeleted": i % 100 == 0,
            "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp,
            "Support_Level__c": "Premium", "CARR_This_Account__c": float(i),
            "Number_of_Licenses_This_Account__c": 10, "GitLab_Deployment__c": "GitLab.com",
            "Zendesk_Organization_ID__c": str(100000 + i),
        })
    return docs


def _populate(n: int):
    def populate(store, cfg) -> None:
        store.put_many(SF_ACCOUNT, [
            (d["Id"], d, int(soql.parse_datetime(d["SystemModstamp"])), None) for d in _accounts(n)
        ])
    return populate


@pytest.fixture(scope="module")
def sf_sandbox(sandbox_factory):
    """4500 accounts (45 deleted); read-only for the tests that use it."""
    return sandbox_factory(populate=_populate(N_ACCOUNTS))


@pytest.fixture(scope="module")
def sf_writable(sandbox_factory):
    """A small sandbox the write tests may change."""
    return sandbox_factory(populate=_populate(20))


def _conn(monkeypatch, sb) -> dict:
    use_sandbox(monkeypatch, sb)
    return json.loads(sb.env["AIRFLOW_CONN_SALESFORCE_DEFAULT"])


def _token(conn: dict, grant: str = "client_credentials") -> str:
    """An access token from the OAuth endpoint, with the values of the connection."""
    extra = conn["extra"]
    data = {"grant_type": grant, "client_id": extra["consumer_key"], "client_secret": extra["consumer_secret"]}
    if grant == "password":
        data.update(username=conn["login"], password=conn["password"] + extra["security_token"])
    resp = requests.post(f"{extra['instance_url']}/services/oauth2/token", data=data, timeout=10)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["instance_url"] == extra["instance_url"] and body["token_type"] == "Bearer"
    assert {"id", "issued_at", "signature"} <= set(body)
    return body["access_token"]


def _token_hook(monkeypatch, conn: dict, token: str) -> SalesforceHook:
    """A hook on a connection that carries only the instance URL, given a session id."""
    extra = {"instance_url": conn["extra"]["instance_url"], "version": "59.0"}
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_TOKEN", json.dumps({"conn_type": "salesforce", "extra": extra}))
    return SalesforceHook(salesforce_conn_id="salesforce_token", session_id=token)


# ------------------------------------------------------------------------ auth


def test_hook_with_default_connection_logs_in_over_soap(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    hook = SalesforceHook()
    sf = hook.get_conn()
    assert sf.auth_type == "password"
    assert sf.sf_instance == f"127.0.0.1:{sf_sandbox.config.ports['salesforce']}"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == N_ACCOUNTS - 45


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_hook_with_oauth_token_as_session_id(monkeypatch, sf_sandbox, grant: str) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    hook = _token_hook(monkeypatch, conn, _token(conn, grant))
    result = hook.make_query("SELECT Id, Name FROM Account WHERE Name = 'Account 00007'")
    assert result["totalSize"] == 1
    assert result["records"][0]["Id"] == ids.make_id("001", 7)
    assert hook.get_conn().auth_type == "direct"


def test_hook_with_client_credentials_connection(monkeypatch, sf_sandbox) -> None:
    """A connection holding only the connected app's key and secret and the domain."""
    extra = _conn(monkeypatch, sf_sandbox)["extra"]
    only_app = {k: extra[k] for k in ("consumer_key", "consumer_secret", "domain", "version")}
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_APP", json.dumps({"conn_type": "salesforce", "extra": only_app}))
    sf = SalesforceHook(salesforce_conn_id="salesforce_app").get_conn()
    assert sf.auth_type == "client-credentials"
    assert sf.query("SELECT Id FROM Account WHERE Name LIKE 'Account 0000_'")["totalSize"] == 9


def test_oauth_rejects_wrong_credentials(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    url = f"{conn['extra']['instance_url']}/services/oauth2/token"
    resp = requests.post(url, data={"grant_type": "client_credentials", "client_id": "support_ops_pipelines",
                                    "client_secret": "wrong"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"
    resp = requests.post(url, data={"grant_type": "password", "client_id": conn["extra"]["consumer_key"],
                                    "client_secret": conn["extra"]["consumer_secret"],
                                    "username": conn["login"], "password": conn["password"]}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_soap_login_with_salesforce_login(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    extra = conn["extra"]
    session_id, instance = SalesforceLogin(username=conn["login"], password=conn["password"],
                                           security_token=extra["security_token"], domain=extra["domain"])
    assert instance == f"127.0.0.1:{sf_sandbox.config.ports['salesforce']}"
    sf = Salesforce(session_id=session_id, instance=instance)
    assert sf.query("SELECT Id FROM Account LIMIT 2")["totalSize"] == 2
    with pytest.raises(SalesforceAuthenticationFailed) as err:
        SalesforceLogin(username=conn["login"], password="wrong", security_token=extra["security_token"],
                        domain=extra["domain"])
    assert err.value.code == "INVALID_LOGIN"


def test_soap_endpoint_on_its_real_path(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    envelope = (
        '<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        '<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
        f"<n1:username>{conn['login']}</n1:username>"
        f"<n1:password>{conn['password']}{conn['extra']['security_token']}</n1:password>"
        "</n1:login></env:Body></env:Envelope>"
    )
    resp = requests.post(f"{conn['extra']['instance_url']}/services/Soap/u/59.0", data=envelope,
                         headers={"content-type": "text/xml", "SOAPAction": "login"}, timeout=10)
    assert resp.status_code == 200
    assert re.search(r"<serverUrl>https://127\.0\.0\.1:\d+/services/Soap/u/59\.0/", resp.text)
    assert "<sessionId>" in resp.text


def test_data_api_needs_a_valid_session(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    url = f"{conn['extra']['instance_url']}/services/data/v59.0/query/"
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        resp = requests.get(url, params={"q": "SELECT Id FROM Account"}, headers=headers, timeout=10)
        assert resp.status_code == 401
        assert resp.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expired_token_and_the_hook_logging_in_again(monkeypatch, sf_writable) -> None:
    conn = _conn(monkeypatch, sf_writable)
    base = conn["extra"]["instance_url"]
    token = _token(conn)
    hook = SalesforceHook()
    sf = hook.get_conn()
    settings = f"{base}/_sandbox/settings"
    requests.post(settings, json={"token_ttl": 1}, timeout=10)
    try:
        time.sleep(1.2)
        resp = requests.get(f"{base}/services/data/v59.0/limits/", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
        assert resp.status_code == 401
        # simple-salesforce sees INVALID_SESSION_ID and logs in again with the connection.
        old_session = sf.session_id
        assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 20
        assert sf.session_id != old_session
    finally:
        requests.post(settings, json={"token_ttl": 1800}, timeout=10)


# ----------------------------------------------------------------------- query


def test_query_pages_through_next_records_url(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    sf = _token_hook(monkeypatch, conn, _token(conn)).get_conn()
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert (first["totalSize"], first["done"], len(first["records"])) == (N_ACCOUNTS - 45, False, 2000)
    assert re.fullmatch(r"/services/data/v59\.0/query/01g[0-9A-Za-z]{15}-2000", first["nextRecordsUrl"])
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["done"], len(second["records"])) == (False, 2000)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert (third["done"], len(third["records"])) == (True, N_ACCOUNTS - 45 - 4000)
    assert "nextRecordsUrl" not in third
    names = [r["Name"] for page in (first, second, third) for r in page["records"]]
    assert names == sorted(names) and len(set(names)) == N_ACCOUNTS - 45
    assert list(first["records"][0]) == ["attributes", "Id", "Name"]


def test_hook_make_query_follows_every_page(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    result = SalesforceHook().make_query("SELECT Id, IsDeleted FROM Account")
    assert result["totalSize"] == N_ACCOUNTS - 45
    assert len({r["Id"] for r in result["records"]}) == N_ACCOUNTS - 45
    assert not any(r["IsDeleted"] for r in result["records"])


def test_query_all_includes_deleted_rows(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    result = SalesforceHook().make_query("SELECT Id, IsDeleted FROM Account", include_deleted=True)
    assert result["totalSize"] == N_ACCOUNTS
    assert sum(r["IsDeleted"] for r in result["records"]) == 45


def test_where_on_system_modstamp_and_nested_owner(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    sf = SalesforceHook().get_conn()
    # Account i has SystemModstamp = 2026-01-01 + i hours; 2026-06-01T02:00:00+02:00 is hour 3624.
    result = sf.query_all(
        "SELECT Id, Name, Owner.Name, SystemModstamp FROM Account "
        "WHERE SystemModstamp >= 2026-06-01T02:00:00+02:00 AND Type = 'customer' ORDER BY SystemModstamp DESC"
    )
    expected = [i for i in range(N_ACCOUNTS, 3623, -1) if i % 3 and i % 100]
    assert [r["Name"] for r in result["records"]] == [f"Account {i:05d}" for i in expected]
    rec = result["records"][0]
    assert rec["SystemModstamp"] == soql.format_datetime(BASE + expected[0] * 3600)
    assert rec["Owner"]["Name"] == OWNERS[expected[0] % 3]
    assert rec["Owner"]["attributes"]["type"] == "User"
    assert rec["Owner"]["attributes"]["url"].endswith(ids.make_id("005", 1 + expected[0] % 3))


def test_query_errors_raise_simple_salesforce_exceptions(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    sf = SalesforceHook().get_conn()
    cases = {
        "SELECT Id, Foo FROM Account": ("INVALID_FIELD", "No such column 'Foo' on entity 'Account'"),
        "SELECT Id FROM Account WHERE": ("MALFORMED_QUERY", "unexpected token"),
        "SELECT Id FROM Nonexistent": ("INVALID_TYPE", "sObject type 'Nonexistent' is not supported"),
    }
    for query, (code, text) in cases.items():
        with pytest.raises(SalesforceMalformedRequest) as err:
            sf.query(query)
        assert err.value.status == 400
        assert err.value.content[0]["errorCode"] == code
        assert text in err.value.content[0]["message"]


def test_limit_info_header_counts_calls_and_limits(monkeypatch, sf_sandbox) -> None:
    conn = _conn(monkeypatch, sf_sandbox)
    base = conn["extra"]["instance_url"]
    auth = {"Authorization": f"Bearer {_token(conn)}"}
    used = []
    for _ in range(2):
        resp = requests.get(f"{base}/services/data/v59.0/query/", params={"q": "SELECT Id FROM Account LIMIT 1"},
                            headers=auth, timeout=10)
        m = re.fullmatch(r"api-usage=(\d+)/15000", resp.headers["Sforce-Limit-Info"])
        assert m
        used.append(int(m.group(1)))
    assert used[1] == used[0] + 1
    sf = _token_hook(monkeypatch, conn, auth["Authorization"][7:]).get_conn()
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 15000
    assert limits["DailyApiRequests"]["Remaining"] == 15000 - sf.api_usage["api-usage"].used
    assert sf.api_usage["api-usage"].used == used[1] + 1
    versions = requests.get(f"{base}/services/data/", timeout=10).json()
    assert {"version": "59.0", "url": "/services/data/v59.0"}.items() <= next(
        v for v in versions if v["version"] == "59.0").items()


def test_describe_lists_account_fields(monkeypatch, sf_sandbox) -> None:
    _conn(monkeypatch, sf_sandbox)
    hook = SalesforceHook()
    fields = hook.get_available_fields("Account")
    for name in ("Id", "Name", "OwnerId", "SystemModstamp", "Support_Level__c", "GitLab_Deployment__c",
                 "Zendesk_Organization_ID__c", "Technical_Account_Manager_Name__c"):
        assert name in fields
    owner = next(f for f in hook.describe_object("Account")["fields"] if f["name"] == "OwnerId")
    assert (owner["relationshipName"], owner["referenceTo"]) == ("Owner", ["User"])


# ----------------------------------------------------------------------- writes


def test_patch_account_shows_in_next_query(monkeypatch, sf_writable) -> None:
    _conn(monkeypatch, sf_writable)
    sf = SalesforceHook().get_conn()
    record_id = ids.make_id("001", 5)
    before = sf.Account.get(record_id[:15])
    assert before["Id"] == record_id
    status = sf.Account.update(record_id[:15], {"support_level__c": "Ultimate", "Website": "https://new.example"})
    assert status == 204
    after = sf.query(
        f"SELECT Id, Support_Level__c, Website, SystemModstamp, LastModifiedDate FROM Account "
        f"WHERE SystemModstamp > {before['SystemModstamp'].replace('.000+0000', 'Z')}"
    )["records"]
    assert [r["Id"] for r in after if r["Id"] == record_id] == [record_id]
    rec = next(r for r in after if r["Id"] == record_id)
    assert (rec["Support_Level__c"], rec["Website"]) == ("Ultimate", "https://new.example")
    assert soql.parse_datetime(rec["SystemModstamp"]) > soql.parse_datetime(before["SystemModstamp"])
    assert rec["LastModifiedDate"] == rec["SystemModstamp"]
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Account.update(record_id, {"Nope__c": 1})
    assert err.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Account.update(record_id, {"SystemModstamp": "2020-01-01T00:00:00.000+0000"})
    assert err.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_create_and_delete_account(monkeypatch, sf_writable) -> None:
    _conn(monkeypatch, sf_writable)
    sf = SalesforceHook().get_conn()
    created = sf.Account.create({"Name": "Brand New Inc", "Type": "Prospect"})
    assert created["success"] and created["errors"] == []
    assert ids.is_sf_id(created["id"]) and len(created["id"]) == 18 and created["id"].startswith("001")
    assert sf.Account.delete(created["id"]) == 204
    live = sf.query(f"SELECT Id FROM Account WHERE Id = '{created['id']}'")
    assert live["totalSize"] == 0
    gone = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{created['id']}'", include_deleted=True)
    assert [r["IsDeleted"] for r in gone["records"]] == [True]


def test_upsert_custom_object_by_external_id(monkeypatch, sf_writable) -> None:
    _conn(monkeypatch, sf_writable)
    sf = SalesforceHook().get_conn()
    tickets = sf.Zendesk_Ticket__c
    first = tickets.upsert("Zendesk_Ticket_ID__c/4242", {"Subject__c": "Printer on fire"}, raw_response=True)
    assert first.status_code == 201
    body = first.json()
    assert body["created"] is True and body["success"] is True
    assert body["id"].startswith("a0") and ids.is_sf_id(body["id"])
    # An update answers 200 with created=false (API 46.0 and later; 204 before).
    second = tickets.upsert("Zendesk_Ticket_ID__c/4242", {"Subject__c": "Printer fixed"}, raw_response=True)
    assert second.status_code == 200 and second.json()["created"] is False
    assert second.json()["id"] == body["id"]
    rows = sf.query_all("SELECT Id, Zendesk_Ticket_ID__c, Subject__c FROM Zendesk_Ticket__c")["records"]
    assert [(r["Id"], r["Zendesk_Ticket_ID__c"], r["Subject__c"]) for r in rows] == [
        (body["id"], "4242", "Printer fixed")]
    assert tickets.get_by_custom_id("Zendesk_Ticket_ID__c", "4242")["Subject__c"] == "Printer fixed"
