"""CRM integrity tables (docs/integrity-rules.md): findings per day, one row per run.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, String, Table

from ..warehouse.metadata import metadata, ts

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


integrity_runs = Table(
    "integrity_runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    ts("checked_at", nullable=False),
    Column("counts", JSON, nullable=False, comment="findings per check_name"),
    Column("changes", JSON, nullable=False, comment="previous_run and, per check_name, new and resolved findings"),
    Column("blocking", JSON, nullable=False, comment="blocking checks with findings: {check_name: count}"),
    Column("sync_allowed", Boolean, nullable=False),
    Column("reports", JSON, nullable=True, comment="paths of the summary page and the Data Docs"),
)
