"""Warehouse tables (SQLAlchemy Core). Contract tables (docs/data-contract.md) keep their names and columns.

Changing this module needs a matching Alembic migration; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
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

# -- contract tables (docs/data-contract.md) ------------------------------------
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

# -- extracted source data (typed columns for what KPIs, checks and sync use, plus raw JSON) --
def _ts(name: str, **kw) -> Column:
    return Column(name, DateTime(timezone=True), **kw)


def _extracted() -> list[Column]:
    return [Column("raw", JSON, nullable=False), _ts("extracted_at", nullable=False)]


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
    _ts("created_at"),
    _ts("updated_at"),
    Column("generated_timestamp", BigInteger),
    _ts("solved_at", index=True),
    Column("satisfaction_score", String(16)),
    *_extracted(),
)

zd_ticket_metrics = Table(
    "zd_ticket_metrics",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("id", BigInteger),
    _ts("solved_at"),
    Column("reopens", Integer),
    Column("replies", Integer),
    Column("reply_time_minutes", Integer),
    Column("full_resolution_time_minutes", Integer),
    _ts("updated_at"),
    *_extracted(),
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
    _ts("created_at"),
    _ts("updated_at"),
    *_extracted(),
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
    _ts("created_at"),
    _ts("updated_at"),
    _ts("deleted_at"),
    *_extracted(),
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
    _ts("created_at"),
    _ts("updated_at"),
    *_extracted(),
)

zd_ticket_forms = Table(
    "zd_ticket_forms",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("active", Boolean),
    _ts("created_at"),
    _ts("updated_at"),
    *_extracted(),
)

zd_ticket_metric_events = Table(
    "zd_ticket_metric_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", BigInteger, nullable=False, index=True),
    Column("metric", String(64), nullable=False),
    Column("instance_id", Integer),
    Column("type", String(32), nullable=False),
    _ts("time", nullable=False),
    Column("sla_target", Integer),
    Column("sla_business_hours", Boolean),
    Column("sla_policy_id", BigInteger),
    Column("sla_policy_title", String(255)),
    *_extracted(),
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
    _ts("created_date"),
    _ts("last_modified_date"),
    _ts("system_modstamp"),
    Column("support_level", String(64)),
    Column("carr", Float),
    Column("licenses", Integer),
    Column("market_segment", String(64)),
    Column("sales_segmentation", String(64)),
    Column("technical_account_manager", String(255)),
    Column("zendesk_organization_id", String(32)),
    Column("zendesk_organization_name", String(255)),
    Column("deployment", String(255)),
    *_extracted(),
)

# -- outbound writes (docs/outbound-writes.md): plans, intents before effects, the audit ------
outbound_plans = Table(
    "outbound_plans",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("writer", String(64), nullable=False, comment="who plans these writes: kpi_alert, org_sync, ..."),
    Column("target", String(32), nullable=False, comment="slack, zendesk, gitlab, salesforce, pagerduty"),
    _ts("created_at", nullable=False),
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
    _ts("finished_at", nullable=True),
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
    _ts("planned_at", nullable=False),
    _ts("started_at", nullable=True),
    _ts("finished_at", nullable=True),
    Index("ix_outbound_writes_idempotency_key_status", "idempotency_key", "status"),
)

# -- CSAT KPIs (issue 5): one row per computation of the KPI tables, for the report and the CLI --
csat_kpi_runs = Table(
    "csat_kpi_runs",
    metadata,
    Column("run_id", String(64), primary_key=True, comment="computed_at as ISO text plus a short random suffix"),
    _ts("computed_at", nullable=False),
    _ts("data_as_of", nullable=True, comment="newest ticket/rating change seen, capped at computed_at"),
    Column("first_period", Date, nullable=True),
    Column("last_period", Date, nullable=True),
    Column("periods", Integer, nullable=False, comment="(period_type, period_start) pairs replaced"),
    Column("tickets", Integer, nullable=False, comment="solved, non-deleted tickets in the cohort"),
    Column("seconds", Float, nullable=False),
)

# -- CSAT KPIs recomputed where the data changed (docs/kpi-definitions.md): what the last run counted --
csat_kpi_tickets = Table(
    "csat_kpi_tickets",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    _ts("solved_at", nullable=False, comment="the solved_at the ticket was counted with"),
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
    _ts("mark", nullable=False, comment="newest extracted_at the last KPI computation saw, capped at its run time"),
    _ts("updated_at", nullable=False, comment="when that computation ran"),
)

# Rows written since the last KPI computation are found by extracted_at.
Index("ix_zd_tickets_extracted_at", zd_tickets.c.extracted_at)
Index("ix_zd_satisfaction_ratings_extracted_at", zd_satisfaction_ratings.c.extracted_at)

# -- CRM integrity (issue 6): one row per integrity run; the organization sync reads the status --
integrity_runs = Table(
    "integrity_runs",
    metadata,
    Column("run_date", Date, primary_key=True),
    _ts("checked_at", nullable=False),
    Column("counts", JSON, nullable=False, comment="findings per check_name"),
    Column("changes", JSON, nullable=False, comment="previous_run and, per check_name, new and resolved findings"),
    Column("blocking", JSON, nullable=False, comment="blocking checks with findings: {check_name: count}"),
    Column("sync_allowed", Boolean, nullable=False),
    Column("reports", JSON, nullable=True, comment="paths of the summary page and the Data Docs"),
)

# -- Salesforce -> Zendesk organization sync (docs/org-sync.md): one row per run, the changes and skips --
org_sync_runs = Table(
    "org_sync_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    _ts("created_at", nullable=False),
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
    _ts("finished_at", nullable=True),
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

# -- feedback issues (docs/feedback-issues.md): one GitLab issue per rating, never two --
feedback_issues = Table(
    "feedback_issues",
    metadata,
    Column("rating_id", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", BigInteger, nullable=True),
    Column("project", String(255), nullable=False, comment="path of the GitLab project"),
    Column("issue_iid", Integer, nullable=False),
    Column("web_url", Text, nullable=True),
    Column("score", String(16), nullable=False, comment="the score the issue is labelled with"),
    Column("reason_key", String(32), nullable=True),
    Column("route", String(32), nullable=True),
    Column("state", String(16), nullable=False, comment="opened or closed, as GitLab last showed it"),
    Column("assignee", String(255), nullable=True, comment="GitLab username assigned at creation"),
    Column("manager", String(255), nullable=True, comment="the reviewing manager on call at creation"),
    Column("found_by", String(16), nullable=False, comment="created, or marker (recovered from GitLab)"),
    _ts("issue_created_at", nullable=True),
    _ts("issue_updated_at", nullable=True),
    _ts("closed_at", nullable=True),
    _ts("first_response_at", nullable=True, comment="first note by someone other than the bot"),
    _ts("recorded_at", nullable=False),
    _ts("synced_at", nullable=False),
)

# -- on-call from PagerDuty (docs/oncall.md): the roster, the audits' findings and runs --
oncall_shifts = Table(
    "oncall_shifts",
    metadata,
    Column("schedule_id", String(32), primary_key=True),
    _ts("start", primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("schedule_name", String(255), nullable=False),
    Column("user_name", String(255), nullable=True),
    Column("user_email", String(255), nullable=True),
    _ts("end", nullable=False),
    _ts("recorded_at", nullable=False, comment="when the run that read this shift ran"),
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
    _ts("checked_at", nullable=False),
    _ts("as_of", nullable=False, comment="the start of the audited window"),
    _ts("until", nullable=False),
    Column("counts", JSON, nullable=False, comment="findings per check"),
    Column("changes", JSON, nullable=False, comment="new and resolved per check since the previous run"),
    Column("now_on_call", JSON, nullable=True, comment="the digest: who is on call at as_of per service"),
    Column("report", Text, nullable=True),
)

# -- ops notifications (docs/alerts.md): the alert ledger, the live feeds' cursors, view counts --
sla_breach_alerts = Table(
    "sla_breach_alerts",
    metadata,
    Column("ticket_id", BigInteger, primary_key=True, autoincrement=False),
    Column("metric", String(64), primary_key=True),
    Column("instance_id", Integer, primary_key=True, autoincrement=False),
    _ts("breach_at", nullable=False, comment="the instance's breach time when it was alerted"),
    _ts("alerted_at", nullable=False),
    Column("lead_minutes", Integer, nullable=False, comment="minutes left before breach at the alert"),
    Column("plan", String(64), nullable=False),
    Column("priority", String(16), nullable=True),
    Column("organization", String(255), nullable=True),
    Column("plan_id", String(64), nullable=True, comment="the outbound plan of the Slack message"),
    Column("tag_on", Boolean, nullable=False, comment="the ticket carries slah-2hr-breach-notification for it"),
    _ts("tag_removed_at", nullable=True),
    comment="One row per alerted (ticket, metric, instance): an instance alerts once.",
)

ops_feed_state = Table(
    "ops_feed_state",
    metadata,
    Column("feed", String(32), primary_key=True),
    _ts("posted_until", nullable=False, comment="tickets updated up to here have been posted"),
    Column("pending", JSON, nullable=True, comment="the window being posted: since, until, message key"),
    _ts("updated_at", nullable=False),
)

zd_view_counts = Table(
    "zd_view_counts",
    metadata,
    Column("view_id", BigInteger, primary_key=True, autoincrement=False),
    _ts("counted_at", primary_key=True),
    Column("title", String(255), nullable=False),
    Column("value", Integer, nullable=True, comment="null while Zendesk is still counting"),
    Column("fresh", Boolean, nullable=True),
)

# -- shared organizations (docs/sharing.md): the audit's findings and runs, the applied requests --
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
    _ts("checked_at", nullable=False),
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
    _ts("attempted_at", primary_key=True),
    Column("outcome", String(16), nullable=False, comment="applied, unchanged, refused, dry_run or failed"),
    Column("option", String(32), nullable=True),
    Column("organization_id", BigInteger, nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", Text, nullable=True),
    Column("plan_id", String(64), nullable=True),
    Column("actor", String(255), nullable=False),
)

# -- ticket records in Salesforce (docs/ticket-records.md): findings and runs --
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
    _ts("checked_at", nullable=False),
    Column("days", Integer, nullable=False, comment="the window: tickets created or solved in the last N days"),
    Column("counts", JSON, nullable=False, comment="findings per check, and tickets in the window"),
    Column("health", JSON, nullable=False, comment="each health check: ok and why"),
    Column("backfill", JSON, nullable=True, comment="the backfill's plan and outcome, when asked for"),
    Column("report", Text, nullable=True),
)
