"""Ticket records in Salesforce (docs/ticket-records.md): findings and runs.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Integer, String, Table, Text

from ..warehouse.metadata import metadata, ts

ticket_record_findings = Table(
    "ticket_record_findings",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("check_name", String(64), primary_key=True),
    Column("entity_type", String(16), primary_key=True, comment="ticket, target, trigger or field"),
    Column("entity_id", String(128), primary_key=True),
    Column("details", JSON, nullable=True),
    Column("first_seen", Date, nullable=False),
)


ticket_record_runs = Table(
    "ticket_record_runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    ts("checked_at", nullable=False),
    Column("days", Integer, nullable=False, comment="the window: tickets created or solved in the last N days"),
    Column("counts", JSON, nullable=False, comment="findings per check, and tickets in the window"),
    Column("health", JSON, nullable=False, comment="each health check: ok and why"),
    Column("backfill", JSON, nullable=True, comment="the backfill's plan and outcome, when asked for"),
    Column("report", Text, nullable=True),
)
