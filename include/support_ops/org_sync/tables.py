"""Salesforce -> Zendesk organization sync (docs/org-sync.md): one row per run, the changes and skips.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, String, Table, Text

from ..warehouse.metadata import metadata, ts

org_sync_runs = Table(
    "org_sync_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    ts("created_at", nullable=False),
    Column("plan_id", String(64), nullable=True, comment="the outbound plan of the run's writes"),
    Column("actor", String(255), nullable=False),
    Column("dag_run_id", String(250), nullable=True),
    Column("dry_run", Boolean, nullable=False),
    Column("max_changes", Integer, nullable=False),
    Column("options", JSON, nullable=False, comment="create_missing, only_orgs, clearable fields"),
    Column("status", String(16), nullable=False,
           comment="planned, dry_run, capped, applied, failed, verified, verify_failed"),
    Column("counts", JSON, nullable=False, comment="planned, applied, failed, skipped by reason, per field"),
    Column("error", Text, nullable=True),
    ts("finished_at", nullable=True),
)


org_sync_changes = Table(
    "org_sync_changes",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("organization_id", BigInteger, primary_key=True, autoincrement=False),
    Column("field", String(64), primary_key=True),
    Column("account_id", String(18), nullable=False),
    Column("before", JSON(none_as_null=True), nullable=True),
    Column("after", JSON(none_as_null=True), nullable=True),
    Column("status", String(16), nullable=False, comment="planned, applied, failed, dry_run"),
    Column("error", Text, nullable=True),
)


org_sync_skips = Table(
    "org_sync_skips",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("account_id", String(18), primary_key=True),
    Column("organization_id", BigInteger, nullable=True),
    Column("reason", String(32), nullable=False),
)
