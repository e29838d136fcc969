"""Slack messages through the outbound layer and the real SlackWebhookHook, against the sandbox:
once per key, dry runs recorded and sent nowhere, failures recorded without the webhook secret."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from sqlalchemy import select

from support_ops.notify.slack import escape, notify
from support_ops.outbound import WritesFailed, audit
from support_ops.outbound.tables import outbound_plans, outbound_writes
from support_ops.outbound.writers import INTEGRITY_SUMMARY, KPI_ALERT
from tests.conftest import use_sandbox


def messages(sb) -> list[dict]:
    resp = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5)
    resp.raise_for_status()
    body = resp.json()
    return body["messages"] if isinstance(body, dict) else body


def logged(caplog, capsys) -> str:
    """What was logged, whether stdlib logging or Airflow's structlog (to stdout) handled it."""
    out = capsys.readouterr()
    return caplog.text + out.out + out.err


def test_notify_sends_once_per_key_and_dry_run_sends_nothing(sandbox_factory, warehouse, monkeypatch, caplog,
                                                             capsys):
    sb = sandbox_factory()
    use_sandbox(monkeypatch, sb)
    caplog.set_level(logging.INFO, logger="support_ops.outbound")
    assert notify(warehouse, "test:dry", "would say hi", writer=KPI_ALERT, dry_run=True) == "dry_run"
    assert messages(sb) == []
    assert "would say hi" in logged(caplog, capsys)
    assert notify(warehouse, "test:1", "CSAT below target", writer=KPI_ALERT) == "sent"
    assert notify(warehouse, "test:1", "CSAT below target", writer=KPI_ALERT) == "skipped"
    assert [m["text"] for m in messages(sb)] == ["CSAT below target"]

    # A dry run of a message already sent shows the message; it never just says "already sent".
    caplog.clear()
    logged(caplog, capsys)
    assert notify(warehouse, "test:1", "CSAT below target", writer=KPI_ALERT, dry_run=True) == "dry_run"
    text = logged(caplog, capsys)
    assert "would post_message slack_default" in text and "CSAT below target" in text
    assert "already sent" not in text
    assert len(messages(sb)) == 1

    rows = audit(warehouse, writer="kpi_alert", include_dry_runs=True)
    by_status = sorted((r["key"], r["status"], r["dry_run"]) for r in rows)
    assert by_status == [("slack:test:1", "applied", False), ("slack:test:1", "dry_run", True),
                         ("slack:test:1", "skipped", False), ("slack:test:dry", "dry_run", True)]
    applied = next(r for r in rows if r["status"] == "applied")
    assert applied["after"]["text"] == "CSAT below target" and applied["result"]["status_code"] == 200
    assert applied["actor"].startswith("cli:") and applied["finished_at"] is not None
    assert "dry_run" not in [r["status"] for r in audit(warehouse, writer="kpi_alert")]


def test_a_refused_message_is_recorded_without_the_webhook_secret_and_sent_on_rerun(
        sandbox_factory, warehouse, monkeypatch):
    sb = sandbox_factory()
    use_sandbox(monkeypatch, sb)
    good = json.loads(sb.env["AIRFLOW_CONN_SLACK_DEFAULT"])
    secret_path = good["password"].split("/services/", 1)[1]
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(
        {**good, "password": good["password"] + "-revoked"}))
    with pytest.raises(WritesFailed):
        notify(warehouse, "crm-integrity:2026-11-20", "summary", writer=INTEGRITY_SUMMARY)
    with warehouse.connect() as conn:
        row = conn.execute(select(outbound_writes)).mappings().one()
        plan = conn.execute(select(outbound_plans)).mappings().one()
    assert row["status"] == "failed" and row["attempts"] == 1 and row["error"]
    assert secret_path not in row["error"] and secret_path not in (plan["error"] or "")
    assert plan["status"] == "failed"
    assert messages(sb) == []

    monkeypatch.setenv("AIRFLOW_CONN_SLACK_DEFAULT", json.dumps(good))
    assert notify(warehouse, "crm-integrity:2026-11-20", "summary", writer=INTEGRITY_SUMMARY) == "sent"
    assert notify(warehouse, "crm-integrity:2026-11-20", "summary", writer=INTEGRITY_SUMMARY) == "skipped"
    assert [m["text"] for m in messages(sb)] == ["summary"]


def test_escape_keeps_untrusted_text_plain():
    assert escape("<!channel> & <@U123> <https://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;@\u2060U123&gt; &lt;https://evil|click&gt;")
    assert "@here" not in escape("ping @here please")
    assert escape("ping @here please").replace("\u2060", "") == "ping @here please"
