"""Real runs of shared_org_audit, salesforce_ticket_records and shared_org_apply against the
sandbox (dag.test): findings stored and reported, one Slack message for the audit; a dry-run
apply changes nothing and a refused request fails the run with the reason on the issue."""

from __future__ import annotations

import pytest
import requests

from sandbox.core.collections import GL_NOTES, MANIFEST_KEY, ZD_USERS
from support_ops.config import settings
from support_ops.sharing import store
from support_ops.ticket_records.report import summary_lines
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag


def _slack(sb) -> list[str]:
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5).json()
    return [m["text"] for m in (body["messages"] if isinstance(body, dict) else body)]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_audits_and_apply_dag_runs(airflow_db, sandbox_factory, warehouse, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    manifest = sb.store.get_meta(MANIFEST_KEY)

    audit = run_dag("shared_org_audit")
    assert str(audit.state).endswith("success")
    run = store.run_of(warehouse)
    assert run["counts"] == {k: len(v) for k, v in manifest["shared_orgs"]["findings"].items()}
    assert (settings().reports_dir / "shared_orgs" / run["run_date"].isoformat() / "index.html").exists()
    assert len([t for t in _slack(sb) if t.startswith("*Shared organizations audit")]) == 1

    records = run_dag("salesforce_ticket_records")
    assert str(records.state).endswith("success")
    assert any(line.startswith("Ticket records in Salesforce") for line in summary_lines(warehouse))

    case = manifest["shared_orgs"]["planted"]["not_applied_selected_view"]
    users = {u["email"]: u["ticket_restriction"] for u in sb.store.all(ZD_USERS)}
    dry = run_dag("shared_org_apply", issue=case["issue"], dry_run=True)
    assert str(dry.state).endswith("success")
    assert {u["email"]: u["ticket_restriction"] for u in sb.store.all(ZD_USERS)} == users
    refused = run_dag("shared_org_apply", issue=manifest["shared_orgs"]["planted"]["not_approved"]["issue"],
                      dry_run=False)
    assert str(refused.state).endswith("failed")
    iid = manifest["shared_orgs"]["planted"]["not_approved"]["issue"]
    assert any("not approved" in n["body"] for n in sb.store.all(GL_NOTES) if n.get("noteable_iid") == iid
               and n.get("project_id") == 1002)
