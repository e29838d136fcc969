"""Shared organizations (docs/sharing.md): the audit's findings and runs, the applied requests.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Integer, String, Table, Text

from ..warehouse.metadata import metadata, ts

shared_org_findings = Table(
    "shared_org_findings",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("check_name", String(64), primary_key=True),
    Column("entity_type", String(16), primary_key=True, comment="organization or user"),
    Column("entity_id", String(32), primary_key=True),
    Column("details", JSON, nullable=True),
    Column("first_seen", Date, nullable=False),
    comment="One row per shared-organization finding and audit day, like integrity_findings.",
)


shared_org_runs = Table(
    "shared_org_runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    ts("checked_at", nullable=False),
    Column("counts", JSON, nullable=False, comment="findings per check"),
    Column("changes", JSON, nullable=False, comment="new and resolved per check since the previous run"),
    Column("requests", JSON, nullable=False, comment="approved requests read, and those that could not be read"),
    Column("report", Text, nullable=True),
)


shared_org_applies = Table(
    "shared_org_applies",
    metadata,
    Column("project", String(255), primary_key=True),
    Column("issue_iid", Integer, primary_key=True, autoincrement=False),
    ts("attempted_at", primary_key=True),
    Column("outcome", String(16), nullable=False, comment="applied, unchanged, refused, dry_run or failed"),
    Column("option", String(32), nullable=True),
    Column("organization_id", BigInteger, nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", Text, nullable=True),
    Column("plan_id", String(64), nullable=True),
    Column("actor", String(255), nullable=False),
)
