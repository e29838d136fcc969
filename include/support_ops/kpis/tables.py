"""CSAT KPI tables (docs/kpi-definitions.md): the contract tables, one row per computation, and
what the last computation counted (for the incremental recompute).

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Float, Integer, String, Table

from ..warehouse.metadata import metadata, ts

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


csat_kpi_runs = Table(
    "csat_kpi_runs",
    metadata,
    Column("run_id", String(64), primary_key=True, comment="computed_at as ISO text plus a short random suffix"),
    ts("computed_at", nullable=False),
    ts("data_as_of", nullable=True, comment="newest ticket/rating change seen, capped at computed_at"),
    Column("first_period", Date, nullable=True),
    Column("last_period", Date, nullable=True),
    Column("periods", Integer, nullable=False, comment="(period_type, period_start) pairs replaced"),
    Column("tickets", Integer, nullable=False, comment="solved, non-deleted tickets in the cohort"),
    Column("seconds", Float, nullable=False),
)


csat_kpi_tickets = Table(
    "csat_kpi_tickets",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    ts("solved_at", nullable=False, comment="the solved_at the ticket was counted with"),
    comment="The KPI cohort as last counted: a ticket solved again leaves its old period.",
)


csat_kpi_dimensions = Table(
    "csat_kpi_dimensions",
    metadata,
    Column("dimension", String(16), primary_key=True, comment="user, organization or form"),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("organization_id", BigInteger),
    Column("name", String(255)),
    Column("support_level", String(64)),
    comment="The user, organization and form values the last KPI computation used.",
)


csat_kpi_marks = Table(
    "csat_kpi_marks",
    metadata,
    Column("source", String(64), primary_key=True),
    ts("mark", nullable=False, comment="newest extracted_at the last KPI computation saw, capped at its run time"),
    ts("updated_at", nullable=False, comment="when that computation ran"),
)
