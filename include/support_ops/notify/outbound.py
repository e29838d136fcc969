"""The outbound log: every write to an external system happens once per dedup key.

`once(engine, key, target, send, dry_run)` calls `send()` only if `key` is not in
`outbound_log`, records it in the same breath, and logs what it did (or would do).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select

from ..warehouse.schema import outbound_log
from ..warehouse.upsert import upsert

log = logging.getLogger(__name__)


def already_sent(engine: Engine, key: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(outbound_log.c.dedup_key).where(outbound_log.c.dedup_key == key)).first() is not None


def once(
    engine: Engine,
    key: str,
    target: str,
    summary: str,
    send: Callable[[], Any],
    *,
    dry_run: bool = False,
) -> str:
    """Perform `send` once for `key`. Returns 'sent', 'skipped' (done before) or 'dry_run'."""
    if already_sent(engine, key):
        log.info("%s: already sent %s, skipping", target, key)
        return "skipped"
    if dry_run:
        log.info("%s: DRY RUN, would send %s: %s", target, key, summary)
        return "dry_run"
    response = send()
    with engine.begin() as conn:
        upsert(conn, outbound_log, [{
            "dedup_key": key, "target": target, "sent_at": dt.datetime.now(dt.UTC),
            "summary": summary[:2000], "response": response if isinstance(response, (dict, list)) else None,
        }])
    log.info("%s: sent %s: %s", target, key, summary[:200])
    return "sent"
