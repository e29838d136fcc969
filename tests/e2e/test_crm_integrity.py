"""CRM integrity on the sandbox's generated organization: extract, check, compare with the manifest.

The generator's manifest holds, per check, the exact findings it planted (docs/integrity-rules.md recomputed
over its stored documents). The run through Great Expectations must find exactly those.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import requests
from sqlalchemy import select, update

from sandbox.core.collections import MANIFEST_KEY
from support_ops.clients.salesforce import salesforce_client
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.config import settings
from support_ops.extract.salesforce import extract_accounts
from support_ops.extract.tables import zd_organizations
from support_ops.extract.zendesk import extract_all
from support_ops.integrity import CHECK_NAMES, run_checks, sync_status
from support_ops.integrity.store import latest_run
from support_ops.integrity.tables import integrity_findings
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag

DAY1, DAY2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)
SEED_CHECKS = ("missing_zendesk_org_dotcom", "missing_zendesk_org_selfmanaged", "no_support_level",
               "duplicate_salesforce_account", "support_level_mismatch", "no_salesforce_id",
               "org_name_mismatch", "invalid_org_domain")


def extract(engine) -> None:
    extract_all(engine, SupportZendeskHook(), names=["organizations"], start_time=0)
    extract_accounts(engine, salesforce_client())


def stored(engine, day: dt.date) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {c: set() for c in CHECK_NAMES}
    with engine.connect() as conn:
        for r in conn.execute(select(integrity_findings).where(integrity_findings.c.run_date == day)):
            out[r.check_name].add(r.entity_id)
    return out


def first_seen(engine, day: dt.date) -> dict[tuple[str, str], dt.date]:
    with engine.connect() as conn:
        rows = conn.execute(select(integrity_findings).where(integrity_findings.c.run_date == day)).all()
    return {(r.check_name, r.entity_id): r.first_seen for r in rows}


def test_findings_equal_the_manifest_and_carry_first_seen(sandbox, warehouse, monkeypatch):
    use_sandbox(monkeypatch, sandbox)
    extract(warehouse)
    defects = sandbox.store.get_meta(MANIFEST_KEY)["defects"]
    notes = sandbox.store.get_meta(MANIFEST_KEY).get("notes") or {}

    summary = run_checks(warehouse, DAY1)
    found = stored(warehouse, DAY1)
    for check in SEED_CHECKS:
        expected = {str(x) for x in defects[check]}
        assert found[check] == expected, (check, found[check] ^ expected)
        assert summary["counts"][check] == len(expected)
    # Every kind of defect is planted, and the sync conditions hold for every generated link.
    assert all(defects[c] for c in SEED_CHECKS)
    assert found["zendesk_org_id_mismatch"] == found["zendesk_org_name_mismatch"] == set()
    staff = str((notes.get("staff_org") or [None])[0] or "")
    if staff:
        assert staff in found["no_salesforce_id"] and staff in found["no_support_level"]
    assert summary["reports"]["engine"] == "great_expectations" and "disagreement" not in summary["reports"]
    assert (settings().reports_dir / "integrity" / DAY1.isoformat() / "index.html").exists()
    assert (settings().reports_dir / "data_docs" / DAY1.isoformat() / "index.html").exists()
    # no check blocks the sync by default (duplicates are skipped per account by the sync)
    assert sync_status(warehouse)[0] is True

    # Rerunning the same day replaces its rows: same findings, nothing doubled.
    run_checks(warehouse, DAY1, use_gx=False)
    assert stored(warehouse, DAY1) == found

    # Fix one defect at the warehouse's copy of the source, run the next day.
    # (the plan the linked account has, so no new mismatch appears)
    fixed = sorted(found["no_support_level"] - found["no_salesforce_id"])[0]
    with warehouse.begin() as conn:
        details = conn.execute(select(integrity_findings.c.details).where(
            integrity_findings.c.run_date == DAY1, integrity_findings.c.check_name == "no_support_level",
            integrity_findings.c.entity_id == fixed)).scalar_one()
        level = ((details.get("linked_account") or {}).get("account_support_level") or "premium").lower()
        conn.execute(update(zd_organizations).where(zd_organizations.c.id == int(fixed)).values(support_level=level))
    summary2 = run_checks(warehouse, DAY2, use_gx=False)
    assert summary2["changes"]["previous_run"] == DAY1.isoformat()
    changes = summary2["changes"]["checks"]
    assert changes["no_support_level"] == {"new": 0, "resolved": 1}
    assert all(v["new"] == 0 for v in changes.values())
    seen2 = first_seen(warehouse, DAY2)
    assert ("no_support_level", fixed) not in seen2
    assert set(seen2.values()) == {DAY1}  # carried across runs
    page = (settings().reports_dir / "integrity" / "latest" / "index.html").read_text()
    assert f"Resolved since {DAY1.isoformat()} (1)" in page and fixed in page


def _slack_texts(sb) -> list[str]:
    resp = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5)
    body = resp.json()
    return [m["text"] for m in (body["messages"] if isinstance(body, dict) else body)]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_crm_integrity_dag_run(airflow_db, sandbox_factory, warehouse, monkeypatch, caplog):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    extract(warehouse)
    defects = sb.store.get_meta(MANIFEST_KEY)["defects"]
    caplog.set_level(logging.INFO)
    run = run_dag("crm_integrity", run_date=DAY1.isoformat())
    assert str(run.state).endswith("success")
    # The task log: the check's own lines with absolute report links, none of GX's INFO chatter.
    gx_noise = [r.getMessage() for r in caplog.records if "great_expectations" in r.name and r.levelno < logging.WARNING]
    assert gx_noise == [], gx_noise[:5]
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("integrity summary: http") and f"/support-ops/reports/integrity/{DAY1}/" in m
               for m in messages)
    found = stored(warehouse, DAY1)
    assert {c: found[c] for c in SEED_CHECKS} == {c: {str(x) for x in defects[c]} for c in SEED_CHECKS}
    texts = _slack_texts(sb)
    assert len(texts) == 1 and texts[0].startswith(f"*CRM integrity {DAY1.isoformat()}*")
    assert "duplicate_salesforce_account: " in texts[0] and "Organization sync" not in texts[0]
    assert latest_run(warehouse)["run_date"] == DAY1
