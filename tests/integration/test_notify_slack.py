"""Slack notifications: once per dedup key, logged, with a dry-run; through the real SlackWebhookHook."""

from __future__ import annotations

import requests

from support_ops.notify.slack import notify
from tests.conftest import use_sandbox


def messages(sb) -> list[dict]:
    resp = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5)
    resp.raise_for_status()
    body = resp.json()
    return body["messages"] if isinstance(body, dict) else body


def test_notify_sends_once_per_key_and_dry_run_sends_nothing(sandbox_factory, warehouse, monkeypatch):
    sb = sandbox_factory()
    use_sandbox(monkeypatch, sb)
    assert notify(warehouse, "test:dry", "would say hi", dry_run=True) == "dry_run"
    assert messages(sb) == []
    assert notify(warehouse, "test:1", "CSAT below target") == "sent"
    assert notify(warehouse, "test:1", "CSAT below target") == "skipped"
    sent = messages(sb)
    assert [m["text"] for m in sent] == ["CSAT below target"]
