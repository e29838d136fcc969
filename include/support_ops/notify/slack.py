"""Slack messages through the outbound layer: planned, recorded, sent once per key, dry runs kept.

`notify(engine, key, text, writer=...)` plans one message and applies it. The message goes to
the connection `slack_default` (an incoming webhook) unless `conn_id` names another channel.
`escape()` makes untrusted text (customer-written, or names from other systems) plain text in
Slack: `&`, `<`, `>` escaped (so no `<!channel>`, `<!here>`, `<@U…>`, links) and `@word` broken.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine

from ..config import SLACK_CONN_ID
from ..outbound import Actor, Writer, execute
from ..outbound.model import APPLIED, DRY_RUN, SKIPPED
from ..outbound.slack import message
from ..outbound.writers import SLACK_NOTICE, WRITERS

_MENTION = re.compile(r"@(?=\w)")
_STATUS = {APPLIED: "sent", SKIPPED: "skipped", DRY_RUN: "dry_run"}


def escape(text: object) -> str:
    """Untrusted text as Slack mrkdwn plain text."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTION.sub("@\u2060", s)


def slack_key(dedup_key: str) -> str:
    """Slack message keys carry the target's name: `slack:<dedup key>`."""
    return dedup_key if dedup_key.startswith("slack:") else f"slack:{dedup_key}"


def notify(
    engine: Engine,
    dedup_key: str,
    text: str,
    *,
    writer: Writer | str = SLACK_NOTICE.name,
    blocks: list | None = None,
    dry_run: bool = False,
    conn_id: str = SLACK_CONN_ID,
    max_changes: int | str | None = None,
    actor: Actor | None = None,
) -> str:
    """Send one Slack message per `dedup_key` (e.g. 'csat-below-target:2026-W46').

    Returns 'sent', 'skipped' (sent before under the same key) or 'dry_run' (planned and
    recorded, not sent). A refused message raises outbound.WritesFailed after recording it."""
    w = WRITERS[writer] if isinstance(writer, str) else writer
    if w.target != "slack":
        raise ValueError(f"writer {w.name} writes to {w.target}, not slack")
    key = slack_key(dedup_key)
    result = execute(engine, w, [message(key, text, conn_id=conn_id, blocks=blocks)],
                     dry_run=dry_run, max_changes=max_changes, actor=actor)
    return _STATUS.get(result.statuses[key], result.statuses[key])
