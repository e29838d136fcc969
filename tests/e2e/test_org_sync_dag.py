"""A real run of the salesforce_zendesk_org_sync DAG against the sandbox: refresh, plan, apply,
verify, report and one Slack summary; a run over the cap fails and writes nothing."""

from __future__ import annotations

import pytest
import requests

from sandbox.core.collections import ZD_ORGANIZATIONS
from support_ops.config import settings
from support_ops.org_sync import runs
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag


def _slack(sb) -> list[str]:
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5).json()
    return [m["text"] for m in (body["messages"] if isinstance(body, dict) else body)]


def _orgs(sb) -> dict:
    return {o["id"]: o for o in sb.store.all(ZD_ORGANIZATIONS)}


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_org_sync_dag_run(airflow_db, sandbox_factory, warehouse, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    before = _orgs(sb)

    capped = run_dag("salesforce_zendesk_org_sync", max_changes=1)
    assert str(capped.state).endswith("failed")
    assert _orgs(sb) == before  # the circuit breaker: nothing written
    run = runs.latest_runs(warehouse, 1)[0]
    assert run["status"] == "capped" and "max_changes" in run["error"]
    texts = _slack(sb)
    summaries = [t for t in texts if t.startswith("*Organization sync")]
    assert len(summaries) == 1 and ": capped" in summaries[0] and "nothing was written" in summaries[0]
    assert any("salesforce_zendesk_org_sync" in t and "failed" in t for t in texts)  # the failure notice

    ok = run_dag("salesforce_zendesk_org_sync")
    assert str(ok.state).endswith("success")
    run = runs.latest_runs(warehouse, 1)[0]
    assert run["status"] == "verified" and run["dag_run_id"] == ok.run_id
    per = runs.status_counts(warehouse, run["run_id"])
    assert per["applied"] == run["counts"]["changed_organizations"] > 0 and per["failed"] == 0
    after = _orgs(sb)
    assert sum(1 for k in before if after[k] != before[k]) == per["applied"]
    page = settings().reports_dir / "org_sync" / run["run_id"] / "index.html"
    assert page.exists() and "Every change" in page.read_text()
    summaries = [t for t in _slack(sb) if t.startswith("*Organization sync")]
    assert len(summaries) == 2 and summaries[1].startswith(f"*Organization sync {run['run_id']}*: verified")
    assert f"/support-ops/reports/org_sync/{run['run_id']}/index.html" in summaries[1]
