"""On-call from PagerDuty (docs/oncall.md): the roster, the audits' findings and runs.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, String, Table, Text

from ..warehouse.metadata import metadata, ts

oncall_shifts = Table(
    "oncall_shifts",
    metadata,
    Column("schedule_id", String(32), primary_key=True),
    ts("start", primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("schedule_name", String(255), nullable=False),
    Column("user_name", String(255), nullable=True),
    Column("user_email", String(255), nullable=True),
    ts("end", nullable=False),
    ts("recorded_at", nullable=False, comment="when the run that read this shift ran"),
    comment="Who is on call per schedule, from PagerDuty's final schedule; future shifts are replaced each run.",
)


oncall_findings = Table(
    "oncall_findings",
    metadata,
    Column("run_date", Date, primary_key=True),
    Column("check_name", String(64), primary_key=True),
    Column("entity_id", String(255), primary_key=True, comment="schedule/policy/service id, or the name of a missing one"),
    Column("item", String(64), primary_key=True, comment="tells findings of one entity apart: a gap's start, a layer id"),
    Column("details", JSON, nullable=True),
    Column("first_seen", Date, nullable=False),
)


oncall_runs = Table(
    "oncall_runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    ts("checked_at", nullable=False),
    ts("as_of", nullable=False, comment="the start of the audited window"),
    ts("until", nullable=False),
    Column("counts", JSON, nullable=False, comment="findings per check"),
    Column("changes", JSON, nullable=False, comment="new and resolved per check since the previous run"),
    Column("now_on_call", JSON, nullable=True, comment="the digest: who is on call at as_of per service"),
    Column("report", Text, nullable=True),
)
