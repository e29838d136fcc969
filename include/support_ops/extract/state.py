"""Stream cursors in `extract_state`, written in the same transaction as the page they follow.

A cursor taken from the data (a high-water mark) never moves past the run's own start time
minus a safety lag (`SUPPORT_OPS_CURSOR_SAFETY_LAG`): one record dated in the future (a
wrong clock, a bad import) would otherwise make every later run skip the real changes made
before that date. Records beyond the ceiling still load, and later runs read them again
until the clock passes them (the upserts make that harmless).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..warehouse.upsert import upsert
from .tables import extract_state


def cursor_ceiling(started: dt.datetime | None = None, lag: float | None = None) -> dt.datetime:
    """The latest time a cursor of a run started at `started` (default: now) may hold."""
    from ..config import settings

    started = started or dt.datetime.now(dt.UTC)
    lag = settings().cursor_safety_lag if lag is None else lag
    return started.astimezone(dt.UTC) - dt.timedelta(seconds=lag)


def capped(mark: dt.datetime, ceiling: dt.datetime) -> dt.datetime:
    """`mark`, or `ceiling` when the data says a later time."""
    return min(mark, ceiling)


def capped_epoch(mark: int, ceiling: dt.datetime) -> int:
    """The same for cursors kept as epoch seconds (Zendesk `start_time`)."""
    return min(int(mark), int(ceiling.timestamp()))


def load_state(engine_or_conn: Engine | Connection, stream: str) -> tuple[dict | None, int]:
    """(saved cursor state or None, records loaded so far) of a stream."""
    query = select(extract_state.c.cursor, extract_state.c.records).where(extract_state.c.stream == stream)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            row = conn.execute(query).first()
    else:
        row = engine_or_conn.execute(query).first()
    if row is None:
        return None, 0
    return (json.loads(row.cursor) if row.cursor else None), int(row.records or 0)


def save_state(conn: Connection, stream: str, state: dict[str, Any], records: int) -> None:
    upsert(conn, extract_state, [{
        "stream": stream,
        "cursor": json.dumps(state, sort_keys=True),
        "records": records,
        "updated_at": dt.datetime.now(dt.UTC),
    }])


def reset_state(conn: Connection, stream: str) -> None:
    conn.execute(extract_state.delete().where(extract_state.c.stream == stream))
