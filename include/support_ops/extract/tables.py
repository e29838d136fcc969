"""Extracted source data (Zendesk zd_*, Salesforce sf_*) and the extraction's bookkeeping
(cursors, quarantine). Typed columns for what KPIs, checks and the sync use, plus the raw JSON;
the contract is docs/data-contract.md.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from ..warehouse.metadata import extracted, metadata, ts

extract_state = Table(
    "extract_state",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("cursor", Text, nullable=True, comment="opaque cursor or high-water mark of the stream"),
    Column("records", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    comment="Incremental cursors, committed in the same transaction as the rows they follow.",
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


zd_tickets = Table(
    "zd_tickets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("is_deleted", Boolean, nullable=False),
    Column("via_channel", String(32)),
    Column("recipient", String(255)),
    Column("requester_id", BigInteger, index=True),
    Column("organization_id", BigInteger, index=True),
    Column("ticket_form_id", BigInteger),
    Column("priority", String(16)),
    Column("tags", JSON, nullable=False),
    ts("created_at"),
    ts("updated_at"),
    Column("generated_timestamp", BigInteger),
    ts("solved_at", index=True),
    Column("satisfaction_score", String(16)),
    *extracted(),
)


zd_ticket_metrics = Table(
    "zd_ticket_metrics",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("id", BigInteger),
    ts("solved_at"),
    Column("reopens", Integer),
    Column("replies", Integer),
    Column("reply_time_minutes", Integer),
    Column("full_resolution_time_minutes", Integer),
    ts("updated_at"),
    *extracted(),
)


zd_satisfaction_ratings = Table(
    "zd_satisfaction_ratings",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", BigInteger, index=True),
    Column("requester_id", BigInteger),
    Column("assignee_id", BigInteger),
    Column("group_id", BigInteger),
    Column("score", String(16), nullable=False),
    Column("comment", Text),
    Column("reason", String(255)),
    Column("reason_id", BigInteger),
    ts("created_at"),
    ts("updated_at"),
    *extracted(),
)


zd_organizations = Table(
    "zd_organizations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("domain_names", JSON, nullable=False),
    Column("external_id", String(255)),
    Column("tags", JSON, nullable=False),
    Column("salesforce_id", String(32)),
    Column("support_level", String(64)),
    Column("aar", Float),
    Column("account_owner", String(255)),
    Column("number_of_seats", Integer),
    Column("market_segment", String(64)),
    Column("sales_segmentation", String(64)),
    Column("technical_account_manager", String(255)),
    Column("account_type", String(64)),
    ts("created_at"),
    ts("updated_at"),
    ts("deleted_at"),
    *extracted(),
)


zd_users = Table(
    "zd_users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255)),
    Column("email", String(255)),
    Column("role", String(32)),
    Column("organization_id", BigInteger, index=True),
    Column("active", Boolean),
    ts("created_at"),
    ts("updated_at"),
    *extracted(),
)


zd_ticket_forms = Table(
    "zd_ticket_forms",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("active", Boolean),
    ts("created_at"),
    ts("updated_at"),
    *extracted(),
)


zd_ticket_metric_events = Table(
    "zd_ticket_metric_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", BigInteger, nullable=False, index=True),
    Column("metric", String(64), nullable=False),
    Column("instance_id", Integer),
    Column("type", String(32), nullable=False),
    ts("time", nullable=False),
    Column("sla_target", Integer),
    Column("sla_business_hours", Boolean),
    Column("sla_policy_id", BigInteger),
    Column("sla_policy_title", String(255)),
    *extracted(),
)


sf_accounts = Table(
    "sf_accounts",
    metadata,
    Column("id", String(18), primary_key=True),
    Column("id15", String(15), nullable=False, index=True),
    Column("name", String(255)),
    Column("type", String(64)),
    Column("owner_name", String(255)),
    Column("website", String(255)),
    Column("is_deleted", Boolean, nullable=False),
    ts("created_date"),
    ts("last_modified_date"),
    ts("system_modstamp"),
    Column("support_level", String(64)),
    Column("carr", Float),
    Column("licenses", Integer),
    Column("market_segment", String(64)),
    Column("sales_segmentation", String(64)),
    Column("technical_account_manager", String(255)),
    Column("zendesk_organization_id", String(32)),
    Column("zendesk_organization_name", String(255)),
    Column("deployment", String(255)),
    *extracted(),
)

# Rows written since the last KPI computation are found by extracted_at (kpis/incremental.py).
Index("ix_zd_tickets_extracted_at", zd_tickets.c.extracted_at)
Index("ix_zd_satisfaction_ratings_extracted_at", zd_satisfaction_ratings.c.extracted_at)
