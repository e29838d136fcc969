"""Slack messages through the provider's SlackWebhookHook (connection `slack_default`)."""

from __future__ import annotations

from sqlalchemy import Engine

from ..config import SLACK_CONN_ID
from .outbound import once


def post_webhook(text: str, blocks: list | None = None, conn_id: str = SLACK_CONN_ID) -> dict:
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    resp = SlackWebhookHook(slack_webhook_conn_id=conn_id).send(text=text, blocks=blocks)
    return {"status_code": resp.status_code, "body": resp.body}


def notify(
    engine: Engine,
    dedup_key: str,
    text: str,
    *,
    blocks: list | None = None,
    dry_run: bool = False,
    conn_id: str = SLACK_CONN_ID,
) -> str:
    """Send one Slack message per `dedup_key` (e.g. 'csat-below-target:2026-W46')."""
    return once(engine, f"slack:{dedup_key}", "slack", text,
                lambda: post_webhook(text, blocks, conn_id), dry_run=dry_run)
