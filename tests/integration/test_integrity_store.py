"""Integrity results in the warehouse (SQLite and PostgreSQL): first_seen across runs, idempotent
reruns, new/resolved, the sync status, the summary page, the Slack message and the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re

import pytest
import requests
from sqlalchemy import func, select, update

from support_ops.config import settings
from support_ops.extract.tables import sf_accounts, zd_organizations
from support_ops.integrity import (
    IntegritySourceError,
    add_cli,
    notify_run,
    run_checks,
    summary_lines,
    sync_status,
)
from support_ops.integrity.tables import integrity_findings, integrity_runs
from support_ops.warehouse.upsert import upsert
from tests.conftest import use_sandbox
from tests.unit.test_integrity_rules import ACCOUNTS, EXPECTED, MISLEVEL_O, ORGS, TRIO

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def load(engine, accounts=ACCOUNTS, orgs=ORGS) -> None:
    acc_rows = [{**{k: a[k] for k in ("id", "name", "type", "is_deleted", "support_level", "deployment",
                                       "zendesk_organization_id", "zendesk_organization_name")},
                 "id15": a["id"][:15], "raw": {"Id": a["id"]}, "extracted_at": NOW} for a in accounts]
    org_rows = [{"id": o["id"], "name": o["name"], "domain_names": o["domain_names"], "tags": [],
                 "salesforce_id": o["salesforce_id"], "support_level": o["support_level"],
                 "deleted_at": NOW if o["deleted_at"] else None, "raw": {"id": o["id"]}, "extracted_at": NOW}
                for o in orgs]
    with engine.begin() as conn:
        upsert(conn, sf_accounts, acc_rows)
        upsert(conn, zd_organizations, org_rows)


@pytest.fixture
def links_env(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ZENDESK_DEFAULT", json.dumps({"conn_type": "zendesk", "host": "acme.zendesk.com"}))
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps(
        {"conn_type": "salesforce", "extra": {"instance_url": "https://acme.my.salesforce.com"}}))


def stored(engine, day):
    with engine.connect() as conn:
        return {(r.check_name, r.entity_id): r for r in
                conn.execute(select(integrity_findings).where(integrity_findings.c.run_date == day))}


def test_no_sources_is_a_clear_error_and_no_run_blocks_nothing(warehouse):
    with pytest.raises(IntegritySourceError, match="sf_accounts .* empty"):
        run_checks(warehouse, D1, use_gx=False)
    assert sync_status(warehouse) == (True, ["no CRM integrity run recorded yet; nothing blocks the sync"])
    assert summary_lines(warehouse)[0].startswith("CRM integrity: no run yet")


def test_runs_carry_first_seen_replace_reruns_and_count_new_and_resolved(warehouse, links_env):
    load(warehouse)
    s1 = run_checks(warehouse, D1, use_gx=False)
    assert s1["counts"] == {c: len(ids) for c, ids in EXPECTED.items()}
    assert s1["changes"]["previous_run"] is None and s1["changes"]["checks"]["no_salesforce_id"]["new"] == 2
    first = stored(warehouse, D1)
    assert {k[0] for k in first} == {c for c, ids in EXPECTED.items() if ids}
    assert all(r.first_seen == D1 for r in first.values())
    mis = first[("support_level_mismatch", str(MISLEVEL_O["id"]))]
    assert mis.entity_type == "organization" and mis.details["linked_account"]["account_support_level"] == "Ultimate"
    assert mis.details["zendesk_url"] == f"https://acme.zendesk.com/agent/organizations/{MISLEVEL_O['id']}"

    # the same run date again: the same rows, not twice as many
    run_checks(warehouse, D1, use_gx=False)
    assert stored(warehouse, D1).keys() == first.keys()
    with warehouse.connect() as conn:
        assert conn.execute(select(func.count()).select_from(integrity_runs)).scalar() == 1

    # next day: the level mismatch is fixed, a new organization without a plan appears
    with warehouse.begin() as conn:
        conn.execute(update(zd_organizations).where(zd_organizations.c.id == MISLEVEL_O["id"]).values(support_level="ultimate"))
    load(warehouse, accounts=[], orgs=[{"id": 999, "name": "Fresh Org", "domain_names": ["fresh.io"],
                                        "salesforce_id": None, "support_level": None, "deleted_at": None}])
    s2 = run_checks(warehouse, D2, use_gx=False)
    assert s2["changes"]["previous_run"] == D1.isoformat()
    checks = s2["changes"]["checks"]
    assert checks["support_level_mismatch"] == {"new": 0, "resolved": 1}
    assert checks["no_support_level"] == {"new": 1, "resolved": 0} == checks["no_salesforce_id"]
    second = stored(warehouse, D2)
    assert second[("no_support_level", "999")].first_seen == D2
    assert {r.first_seen for k, r in second.items() if k[1] != "999"} == {D1}
    assert stored(warehouse, D1).keys() == first.keys()  # history kept

    page = settings().reports_dir / "integrity" / D2.isoformat() / "index.html"
    latest = settings().reports_dir / "integrity" / "latest" / "index.html"
    text = page.read_text()
    assert text == latest.read_text()
    assert "Resolved since 2026-03-02 (1)" in text
    assert f"https://acme.my.salesforce.com/lightning/r/Account/{TRIO[0]['id']}/view" in text
    assert "https://acme.zendesk.com/agent/organizations/999" in text
    assert "GitLab staff organization" in text
    assert not re.search(r"<script(?! src='../../_kit/kit.js' defer>)|https?://[^'\"]*\.(css|js)", text)  # own script only


def test_blocking_checks_publish_the_sync_status(warehouse, monkeypatch):
    monkeypatch.setenv("SUPPORT_OPS_BLOCKING_CHECKS", "duplicate_salesforce_account")  # default: none
    load(warehouse)
    run_checks(warehouse, D1, use_gx=False)
    allowed, reasons = sync_status(warehouse)
    assert not allowed and reasons == [f"integrity run {D1}: duplicate_salesforce_account has 5 finding(s) (blocking)"]
    with warehouse.connect() as conn:
        row = conn.execute(select(integrity_runs)).one()
    assert row.blocking == {"duplicate_salesforce_account": 5} and row.sync_allowed is False
    # configurable: with no blocking checks the next run allows the sync
    monkeypatch.setenv("SUPPORT_OPS_BLOCKING_CHECKS", "no_salesforce_id,invalid_org_domain")
    run_checks(warehouse, D2, use_gx=False)
    allowed, reasons = sync_status(warehouse)
    assert not allowed and len(reasons) == 2
    monkeypatch.setenv("SUPPORT_OPS_BLOCKING_CHECKS", "zendesk_org_id_mismatch")
    with warehouse.begin() as conn:
        conn.execute(update(sf_accounts).where(sf_accounts.c.zendesk_organization_id == "999")
                     .values(zendesk_organization_id="126"))
    run_checks(warehouse, D2, use_gx=False)
    assert sync_status(warehouse) == (True, [f"integrity run {D2}: no findings in blocking checks"])


def test_one_slack_message_per_run_date_with_dry_run(sandbox_factory, warehouse, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory())
    load(warehouse)
    run_checks(warehouse, D1, use_gx=False)
    assert notify_run(warehouse, D1, dry_run=True) == "dry_run"
    assert notify_run(warehouse, D1) == "sent"
    assert notify_run(warehouse, D1) == "skipped"
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5).json()
    texts = [m["text"] for m in (body["messages"] if isinstance(body, dict) else body)]
    assert len(texts) == 1
    assert texts[0].startswith(f"*CRM integrity {D1}*: {sum(len(v) for v in EXPECTED.values())} finding(s) (first run)")
    assert "• duplicate_salesforce_account: 5 (+5 / -0)" in texts[0]
    assert "Organization sync" not in texts[0]  # no blocking checks by default: nothing to announce
    with pytest.raises(LookupError):
        notify_run(warehouse, D2)


def test_cli_and_demo_summary(warehouse, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_OPS_BLOCKING_CHECKS", "duplicate_salesforce_account")  # default: none
    load(warehouse)
    run_checks(warehouse, D1, use_gx=False)
    lines = summary_lines(warehouse)
    assert lines[0].startswith(f"CRM integrity {D1}: ") and "BLOCKED" in lines[0]
    assert any(re.match(r"\s+duplicate_salesforce_account\s+5$", line) for line in lines)
    assert any(line.strip().startswith("summary:") and D1.isoformat() in line for line in lines)
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["integrity", "--json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_date"] == D1.isoformat() and out["counts"]["duplicate_salesforce_account"] == 5
    assert out["sync_allowed"] is False
