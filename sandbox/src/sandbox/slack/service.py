"""Sandbox imitation of Slack incoming webhooks, plus admin paths to read what was posted.

Slack's incoming webhooks are per channel: each URL posts to the one channel it was created
for. The sandbox has one webhook per channel the pipelines use (`CHANNELS`: connection id ->
channel), each with its own secret path derived from the sandbox's credential
(`channel_webhooks`), plus the credential's own path (`slack_default`, channel
`#support-ops`) and any registered through `POST /_sandbox/webhooks {"path":
"/services/T/B/X", "channel": "#name"}`. Every message is recorded with its channel.
Like Slack, answers are plain text: `ok`, `invalid_payload`, `no_service`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.core.collections import SLACK_MESSAGES

WEBHOOKS_META = "slack_webhooks"  # {path: channel or None}, registered at runtime
DEFAULT_CHANNEL = "#support-ops"  # where slack_default (pipeline notices, failures) posts
# Connection id -> the channel its webhook posts to (docs/alerts.md).
CHANNELS = {
    "slack_breach_alerts": "#premium-breach-notifications",
    "slack_feed_self_managed": "#zd-self-managed-feed",
    "slack_feed_gitlab_com": "#zd-gitlab-com-feed",
    "slack_view_counts": "#support-bot",
}


def channel_webhooks(credentials: dict) -> dict[str, tuple[str, str]]:
    """Connection id -> (webhook path, channel): one secret path per channel, derived from the
    credential's path so it stays the same for the life of the sandbox's data folder."""
    own = str(credentials.get("webhook_path") or "")
    secret = own.rsplit("/", 1)[-1]
    out = {}
    for conn_id, channel in CHANNELS.items():
        digest = hashlib.sha256(f"{secret}:{conn_id}".encode()).hexdigest()
        bot = "B0" + conn_id.removeprefix("slack_").replace("_", "").upper()[:9]
        out[conn_id] = (f"/services/T0SANDBOX/{bot}/{digest[:24]}", channel)
    return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _since(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Slack:
    def __init__(self, ctx):
        self.ctx = ctx
        self.store = ctx.store

    def webhooks(self) -> dict[str, str | None]:
        hooks: dict[str, str | None] = dict(self.store.get_meta(WEBHOOKS_META, {}) or {})
        own = self.ctx.credentials.get("webhook_path")
        if own:
            hooks.setdefault(own, DEFAULT_CHANNEL)
        for path, channel in channel_webhooks(self.ctx.credentials).values():
            hooks.setdefault(path, channel)
        return hooks

    @staticmethod
    def _payload(raw: bytes, content_type: str) -> dict | None:
        """The message JSON, sent as a body or as the form field `payload`."""
        text = raw.decode("utf-8", "replace").strip()
        if "application/x-www-form-urlencoded" in content_type:
            text = (parse_qs(text).get("payload") or [""])[0]
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def webhook(self, request: Request) -> Response:
        path = request.url.path
        hooks = self.webhooks()
        if path not in hooks:
            return PlainTextResponse("no_service", status_code=404)
        data = self._payload(await request.body(), request.headers.get("content-type", ""))
        if data is None:
            return PlainTextResponse("invalid_payload", status_code=400)
        text, blocks = data.get("text"), data.get("blocks")
        has_text = isinstance(text, str) and text.strip() != ""
        has_blocks = isinstance(blocks, list) and len(blocks) > 0
        if (text is not None and not isinstance(text, str)) or (
                blocks is not None and not isinstance(blocks, list)) or not (has_text or has_blocks):
            return PlainTextResponse("invalid_payload", status_code=400)
        now = self.ctx.now()
        seq = self.store.next_id(SLACK_MESSAGES)
        parts = path.strip("/").split("/")
        doc: dict[str, Any] = {
            "id": seq, "path": path, "team": parts[1] if len(parts) > 1 else None,
            "received_at": _iso(now), "ts": now, "text": text, "blocks": blocks,
            "attachments": data.get("attachments"),
            "channel": hooks.get(path) or data.get("channel"),  # an app webhook posts to its own channel
            "username": data.get("username"), "icon_emoji": data.get("icon_emoji"),
            "thread_ts": data.get("thread_ts"), "payload": data,
        }
        self.store.put(SLACK_MESSAGES, seq, doc, int(now), seq)
        return PlainTextResponse("ok")

    async def messages(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.store.clear(SLACK_MESSAGES)
            return JSONResponse({"deleted": True})
        q = request.query_params
        since = _since(q["since"]) if q.get("since") else None
        after = (int(since) - 1, 2**62) if since is not None else None
        out = []
        while True:
            rows = self.store.page_by_ts(SLACK_MESSAGES, after, 1000)
            for _, _, doc in rows:
                if since is not None and doc["ts"] < since - 1e-6:  # ISO times keep microseconds
                    continue
                if q.get("channel") and doc.get("channel") != q["channel"]:
                    continue
                if q.get("path") and doc["path"] != q["path"]:
                    continue
                out.append(doc)
            if len(rows) < 1000:
                break
            after = (rows[-1][0], rows[-1][1])
        return JSONResponse(out)

    async def register(self, request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            path = str(body.get("path", ""))
            if len(path.strip("/").split("/")) != 4 or not path.startswith("/services/"):
                return JSONResponse({"error": "path must look like /services/T../B../..."}, 400)
            hooks = dict(self.store.get_meta(WEBHOOKS_META, {}) or {})
            hooks[path] = body.get("channel")
            self.store.set_meta(WEBHOOKS_META, hooks)
        # Only registered hooks: the credential's path is a secret and stays out of listings.
        return JSONResponse(self.store.get_meta(WEBHOOKS_META, {}) or {})


def routes(ctx) -> list[Route]:
    slack = Slack(ctx)
    return [
        Route("/_sandbox/messages", slack.messages, methods=["GET", "DELETE"]),
        Route("/_sandbox/webhooks", slack.register, methods=["GET", "POST"]),
        Route("/services/{rest:path}", slack.webhook, methods=["POST"]),
    ]
