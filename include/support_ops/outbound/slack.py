"""Slack incoming webhooks (one Airflow connection per channel), through the provider's hook.

A webhook cannot be read back (it answers `ok` and nothing else), so a message whose attempt
was interrupted is sent again: at least once. A repeated notice is visible and harmless; a lost
alert or failure notice is silent (docs/outbound-writes.md).
"""

from __future__ import annotations

import re

from ..config import SLACK_CONN_ID
from .model import Delivery, Outcome, StoredWrite, Write
from .targets import Target

_URL = re.compile(r"(https?://[^/\s'\"]+)/[^\s'\"]*")
_WEBHOOK_PATH = re.compile(r"/services/[^\s'\"]+")


def message(key: str, text: str, *, conn_id: str = SLACK_CONN_ID, blocks: list | None = None) -> Write:
    """A planned Slack message; `text` is already escaped (`notify.slack.escape`)."""
    after: dict = {"conn_id": conn_id, "text": text}
    if blocks:
        after["blocks"] = blocks
    return Write(key=key, action="post_message", target_ref=conn_id, summary=text, after=after)


class SlackWebhook(Target):
    name = "slack"
    delivery = Delivery.AT_LEAST_ONCE

    def send_one(self, write: StoredWrite) -> Outcome:
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        after = write.after
        hook = SlackWebhookHook(slack_webhook_conn_id=after.get("conn_id") or SLACK_CONN_ID)
        resp = hook.send(text=after["text"], blocks=after.get("blocks"))
        return Outcome.applied(status_code=resp.status_code, body=str(resp.body)[:200])

    @staticmethod
    def describe_error(exc: BaseException) -> str:
        """The error without the webhook URL: its path is the channel's secret."""
        text = _WEBHOOK_PATH.sub("/services/<redacted>", f"{type(exc).__name__}: {exc}")
        return _URL.sub(r"\1/<redacted>", text)
