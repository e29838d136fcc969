"""Warehouse tables (SQLAlchemy Core). Contract tables of DESIGN §3 keep their names and columns.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    }
)

# -- bookkeeping ----------------------------------------------------------------
extract_state = Table(
    "extract_state",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("cursor", Text, nullable=True, comment="opaque cursor or high-water mark of the stream"),
    Column("records", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    comment="Incremental cursors, committed in the same transaction as the rows they follow.",
)

warehouse_heartbeat = Table(
    "warehouse_heartbeat",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("beat_at", DateTime(timezone=True), nullable=False),
    Column("schema_revision", String(32), nullable=True),
    Column("details", JSON, nullable=True),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("record_key", String(128), primary_key=True, comment="the record id, or a hash when it has none"),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# -- contract tables (DESIGN §3) --------------------------------------------------
csat_kpis = Table(
    "csat_kpis",
    metadata,
    Column("period_type", String(8), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("segment_type", String(16), primary_key=True),
    Column("segment_value", String(128), primary_key=True),
    Column("solved", Integer, nullable=False),
    Column("surveyed", Integer, nullable=False),
    Column("responded", Integer, nullable=False),
    Column("good", Integer, nullable=False),
    Column("bad", Integer, nullable=False),
    Column("csat", Float, nullable=True),
    Column("response_rate", Float, nullable=True),
    Column("coverage", Float, nullable=True),
)

csat_unsurveyed = Table(
    "csat_unsurveyed",
    metadata,
    Column("period_type", String(8), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("reason", String(16), primary_key=True),
    Column("tickets", Integer, nullable=False),
)

csat_bad_reasons = Table(
    "csat_bad_reasons",
    metadata,
    Column("period_type", String(8), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("reason", String(128), primary_key=True),
    Column("route", String(32), primary_key=True),
    Column("ratings", Integer, nullable=False),
)

integrity_findings = Table(
    "integrity_findings",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("check_name", String(64), primary_key=True),
    Column("entity_type", String(16), primary_key=True),
    Column("entity_id", String(32), primary_key=True),
    Column("details", JSON, nullable=True),
    Column("first_seen", Date, nullable=False),
)
