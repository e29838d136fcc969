"""Warehouse housekeeping: apply migrations, record a heartbeat the UI and tests can read."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, select

from .engine import get_engine
from .migrate import upgrade
from .tables import warehouse_heartbeat
from .upsert import upsert

log = logging.getLogger(__name__)


def migrate_and_beat(source: str = "warehouse_maintenance", engine: Engine | None = None,
                     details: dict | None = None) -> dict:
    """Migrate to head and upsert one heartbeat row for `source`. Safe to rerun."""
    engine = engine or get_engine()
    revision = upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        upsert(conn, warehouse_heartbeat, [
            {"source": source, "beat_at": now, "schema_revision": revision, "details": details or {}}
        ])
    log.info("warehouse at revision %s, heartbeat %s recorded at %s", revision, source, now.isoformat())
    return {"revision": revision, "beat_at": now.isoformat(), "dialect": engine.dialect.name}


def last_heartbeat(source: str, engine: Engine | None = None) -> dict | None:
    engine = engine or get_engine()
    with engine.connect() as conn:
        row = conn.execute(
            select(warehouse_heartbeat).where(warehouse_heartbeat.c.source == source)
        ).mappings().first()
    return dict(row) if row else None
