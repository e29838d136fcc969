"""The pagerduty_oncall DAG on the sandbox's generated account: exactly the findings the
generator's manifest says it planted, the roster page with a timeline per schedule, one
Slack digest a day (a dry run records it and sends nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from sandbox.core.collections import MANIFEST_KEY
from support_ops.config import settings
from support_ops.oncall import store
from support_ops.outbound import audit
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag


def _slack_texts(sb) -> list[str]:
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5).json()
    return [m["text"] for m in (body["messages"] if isinstance(body, dict) else body)]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_pagerduty_oncall_dag_run(airflow_db, sandbox_factory, warehouse, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    manifest = sb.store.get_meta(MANIFEST_KEY)
    as_of = manifest["now"]
    day = dt.date.fromisoformat(as_of[:10])

    dry = run_dag("pagerduty_oncall", as_of=as_of, dry_run=True)
    assert str(dry.state).endswith("success")
    assert _slack_texts(sb) == []
    assert [w["status"] for w in audit(warehouse, writer="oncall_digest", include_dry_runs=True)] == ["dry_run"]

    run = run_dag("pagerduty_oncall", as_of=as_of)
    assert str(run.state).endswith("success")
    found = {(f["check_name"], f["entity_id"], f["item"]) for f in store.load_findings(warehouse, day)}
    planted = {(p["check_name"], p["entity_id"], p["item"]) for p in manifest["oncall_findings"]}
    assert planted and found == planted, found ^ planted

    page = (settings().reports_dir / "oncall" / day.isoformat() / "index.html").read_text()
    assert page.count("<svg class='timeline'") >= 12
    assert "Support Manager - APAC" in page and "class='gap'" in page
    assert "https://gitlab.pagerduty.com/escalation_policies/PKV6GCH" in page
    assert ">FRT Hawk (P6IRZCX)</a>" in page  # a service finding names the service
    [text] = _slack_texts(sb)
    assert text.startswith("*On call now*")
    for service in ("Customer Support:", "Customer Support - US Federal:", "Support Managers:"):
        assert f"• {service}" in text
    assert f"/support-ops/reports/oncall/{day.isoformat()}/index.html" in text
    # a second run the same day sends nothing new
    assert str(run_dag("pagerduty_oncall", as_of=as_of).state).endswith("success")
    assert len(_slack_texts(sb)) == 1
