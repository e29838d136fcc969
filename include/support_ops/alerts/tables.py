"""Ops notifications (docs/alerts.md): the alert ledger, the live feeds' cursors, view counts.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, String, Table

from ..warehouse.metadata import metadata, ts

sla_breach_alerts = Table(
    "sla_breach_alerts",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("metric", String(64), primary_key=True),
    Column("instance_id", Integer, primary_key=True, autoincrement=False),
    ts("breach_at", nullable=False, comment="the instance's breach time when it was alerted"),
    ts("alerted_at", nullable=False),
    Column("lead_minutes", Integer, nullable=False, comment="minutes left before breach at the alert"),
    Column("plan", String(64), nullable=False),
    Column("priority", String(16), nullable=True),
    Column("organization", String(255), nullable=True),
    Column("plan_id", String(64), nullable=True, comment="the outbound plan of the Slack message"),
    Column("tag_on", Boolean, nullable=False, comment="the ticket carries slah-2hr-breach-notification for it"),
    ts("tag_removed_at", nullable=True),
    comment="One row per alerted (ticket, metric, instance): an instance alerts once.",
)


ops_feed_state = Table(
    "ops_feed_state",
    metadata,
    Column("feed", String(32), primary_key=True),
    ts("posted_until", nullable=False, comment="tickets updated up to here have been posted"),
    Column("pending", JSON, nullable=True, comment="the window being posted: since, until, message key"),
    ts("updated_at", nullable=False),
)


zd_view_counts = Table(
    "zd_view_counts",
    metadata,
    Column("view_id", BigInteger, primary_key=True, autoincrement=False),
    ts("counted_at", primary_key=True),
    Column("title", String(255), nullable=False),
    Column("value", Integer, nullable=True, comment="null while Zendesk is still counting"),
    Column("fresh", Boolean, nullable=True),
)
