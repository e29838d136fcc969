"""Stream cursors in `extract_state`, written in the same transaction as the page they follow."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..warehouse.schema import extract_state
from ..warehouse.upsert import upsert


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
