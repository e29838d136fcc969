"""The warehouse's own table: the heartbeat each pipeline writes after it committed.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, String, Table

from .metadata import metadata

warehouse_heartbeat = Table(
    "warehouse_heartbeat",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("beat_at", DateTime(timezone=True), nullable=False),
    Column("schema_revision", String(32), nullable=True),
    Column("details", JSON, nullable=True),
)
