"""Outbound writes (docs/outbound-writes.md): plans, intents before effects, the audit.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text

from ..warehouse.metadata import metadata, ts

outbound_plans = Table(
    "outbound_plans",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("writer", String(64), nullable=False, comment="who plans these writes: kpi_alert, org_sync, ..."),
    Column("target", String(32), nullable=False, comment="slack, zendesk, gitlab, salesforce, pagerduty"),
    ts("created_at", nullable=False),
    Column("actor", String(255), nullable=False, comment="dag/run/task of the planning task, or cli:<user>"),
    Column("dag_id", String(250), nullable=True),
    Column("run_id", String(250), nullable=True),
    Column("task_id", String(250), nullable=True),
    Column("dry_run", Boolean, nullable=False),
    Column("planned", Integer, nullable=False, comment="writes in the plan"),
    Column("to_apply", Integer, nullable=True, comment="writes not applied before, counted against the cap"),
    Column("max_changes", Integer, nullable=True, comment="the cap the plan was applied under"),
    Column("status", String(16), nullable=False, comment="planned, applied, failed, capped, dry_run"),
    Column("error", Text, nullable=True),
    ts("finished_at", nullable=True),
)


outbound_writes = Table(
    "outbound_writes",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("idempotency_key", String(255), primary_key=True, comment="the same key is the same write"),
    Column("seq", Integer, nullable=False, comment="order in the plan"),
    Column("writer", String(64), nullable=False),
    Column("target", String(32), nullable=False),
    Column("action", String(64), nullable=False, comment="post_message, update_organization, create_issue, ..."),
    Column("target_ref", String(255), nullable=False, comment="what is written to: a connection, a record"),
    Column("summary", Text, nullable=False, comment="the message or change, as a person reads it"),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=False, comment="the payload or the state after the write"),
    Column("status", String(16), nullable=False,
           comment="planned, pending, applied, failed, skipped, interrupted, dry_run"),
    Column("reconciled", Boolean, nullable=False,
           comment="applied found by reading the target back after an interrupted attempt"),
    Column("attempts", Integer, nullable=False),
    Column("result", JSON, nullable=True, comment="what the target answered (ids, job status, URL)"),
    Column("error", Text, nullable=True),
    ts("planned_at", nullable=False),
    ts("started_at", nullable=True),
    ts("finished_at", nullable=True),
    Index("ix_outbound_writes_idempotency_key_status", "idempotency_key", "status"),
)
