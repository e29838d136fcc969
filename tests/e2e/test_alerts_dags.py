"""Whole runs of the three notification DAGs against the sandbox (docs/alerts.md): the alerts
DAG refreshes, posts the near-breach tickets, tags them and writes the report; a second run
posts nothing new; the feed posts one message per channel; the view counts post and record."""

from __future__ import annotations

import pytest
import requests

from sandbox.core.collections import ZD_TICKETS
from support_ops.alerts.rules import TAG
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag
from tests.integration.test_alerts import populate


def _slack(sb, channel: str) -> list[str]:
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", params={"channel": channel},
                        timeout=5).json()
    return [m["text"] for m in body]


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_the_three_dags(airflow_db, sandbox_factory, warehouse, monkeypatch, tmp_path):
    import sandbox.zendesk.incremental as inc

    monkeypatch.setattr(inc, "HOLD_BACK_SECONDS", 0)
    monkeypatch.setenv("SUPPORT_OPS_CURSOR_SAFETY_LAG", "0")
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path))
    sb = use_sandbox(monkeypatch, sandbox_factory(populate=populate))
    assert str(run_dag("zendesk_extract").state).endswith("success")  # organizations, users, forms

    dry = run_dag("premium_sla_breach_alerts", dry_run=True)
    assert str(dry.state).endswith("success") and _slack(sb, "#premium-breach-notifications") == []
    first = run_dag("premium_sla_breach_alerts")
    assert str(first.state).endswith("success")
    alerts = _slack(sb, "#premium-breach-notifications")
    assert len(alerts) == 2 and TAG in sb.store.get(ZD_TICKETS, 101)["tags"]
    second = run_dag("premium_sla_breach_alerts")
    assert str(second.state).endswith("success") and len(_slack(sb, "#premium-breach-notifications")) == 2
    page = tmp_path / "reports" / "alerts" / "latest" / "index.html"
    assert page.exists() and "Tickets alerted in the last 7 days (2)" in page.read_text()

    assert str(run_dag("zendesk_live_feed").state).endswith("success")
    assert len(_slack(sb, "#zd-self-managed-feed")) == 1 and len(_slack(sb, "#zd-gitlab-com-feed")) == 1

    assert str(run_dag("zendesk_view_counts", views=["All open tickets"]).state).endswith("success")
    counts = _slack(sb, "#support-bot")
    assert len(counts) == 1 and "All open tickets" in counts[0]
    assert "data:image/svg+xml" in page.read_text()  # the view-count history chart
    bad = run_dag("zendesk_view_counts", views=["No such view"])
    assert str(bad.state).endswith("failed")
