"""Reading the sources and writing the results: `integrity_findings` and `integrity_runs`.

Findings follow the contract of docs/data-contract.md: one row per (run_date, check_name, entity_type,
entity_id) with JSON details and `first_seen`, the first run_date on which the same finding
(check_name, entity_type, entity_id) appeared in any earlier run. A rerun of a run_date
replaces that run's rows in one transaction. A finding present in the previous run and absent
now is *resolved*; one absent from the previous run is *new*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, inspect, select

from ..extract.tables import sf_accounts, zd_organizations
from ..warehouse.upsert import upsert
from .rules import CHECK_NAMES, Key
from .tables import integrity_findings, integrity_runs


class IntegritySourceError(RuntimeError):
    """The checks cannot run: the extracted source tables are missing or empty."""


ACCOUNT_COLUMNS = ("id", "name", "type", "is_deleted", "support_level", "deployment",
                   "zendesk_organization_id", "zendesk_organization_name")
ORG_COLUMNS = ("id", "name", "domain_names", "salesforce_id", "support_level", "deleted_at")


def load_sources(engine: Engine) -> tuple[list[dict], list[dict]]:
    """In-scope accounts and organizations (scope filtered in SQL; the rules re-check it).

    Raises IntegritySourceError when there is nothing to check, so a run that cannot check
    fails loudly instead of reporting an empty, clean result."""
    tables = set(inspect(engine).get_table_names())
    missing = {"sf_accounts", "zd_organizations"} - tables
    if missing:
        raise IntegritySourceError(f"warehouse has no {', '.join(sorted(missing))} table: migrate and extract first")
    with engine.connect() as conn:
        n_acc = conn.execute(select(func.count()).select_from(sf_accounts)).scalar_one()
        n_org = conn.execute(select(func.count()).select_from(zd_organizations)).scalar_one()
        empty = [name for name, n in (("sf_accounts (Salesforce accounts)", n_acc),
                                      ("zd_organizations (Zendesk organizations)", n_org)) if n == 0]
        if empty:
            raise IntegritySourceError(
                f"cannot check CRM integrity: {' and '.join(empty)} empty; run the extraction DAGs "
                "(salesforce_extract, zendesk_extract) first")
        acc_cols = [sf_accounts.c[c] for c in ACCOUNT_COLUMNS]
        accounts = [dict(r._mapping) for r in conn.execute(
            select(*acc_cols).where(sf_accounts.c.type == "Customer", sf_accounts.c.is_deleted.is_(False)))]
        org_cols = [zd_organizations.c[c] for c in ORG_COLUMNS]
        orgs = [dict(r._mapping) for r in conn.execute(
            select(*org_cols).where(zd_organizations.c.deleted_at.is_(None)))]
    if not accounts:
        raise IntegritySourceError(f"cannot check CRM integrity: none of the {n_acc} accounts is a "
                                   "non-deleted Customer account")
    return accounts, orgs


@dataclass
class RunDelta:
    previous_run: dt.date | None
    new: dict[str, int] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)
    new_keys: set[Key] = field(default_factory=set)
    resolved_keys: set[Key] = field(default_factory=set)


def previous_run_date(conn: Connection, run_date: dt.date) -> dt.date | None:
    return conn.execute(select(func.max(integrity_runs.c.run_date))
                        .where(integrity_runs.c.run_date < run_date)).scalar()


def findings_of(conn: Connection, run_date: dt.date) -> dict[Key, dict]:
    t = integrity_findings
    rows = conn.execute(select(t.c.check_name, t.c.entity_type, t.c.entity_id, t.c.details, t.c.first_seen)
                        .where(t.c.run_date == run_date))
    return {(r.check_name, r.entity_type, r.entity_id): {"details": r.details, "first_seen": r.first_seen}
            for r in rows}


def write_findings(conn: Connection, run_date: dt.date, findings: dict[Key, dict]) -> tuple[dict[Key, dt.date], RunDelta]:
    """Replace the run's findings; returns first_seen per finding and the change since the previous run."""
    t = integrity_findings
    seen = {
        (r.check_name, r.entity_type, r.entity_id): r.first
        for r in conn.execute(
            select(t.c.check_name, t.c.entity_type, t.c.entity_id, func.min(t.c.first_seen).label("first"))
            .where(t.c.run_date < run_date).group_by(t.c.check_name, t.c.entity_type, t.c.entity_id))
    }
    first_seen = {key: seen.get(key) or run_date for key in findings}
    conn.execute(delete(t).where(t.c.run_date == run_date))
    upsert(conn, t, ({"run_date": run_date, "check_name": k[0], "entity_type": k[1], "entity_id": k[2],
                      "details": details, "first_seen": first_seen[k]} for k, details in findings.items()))
    prev = previous_run_date(conn, run_date)
    prev_keys = set(findings_of(conn, prev)) if prev else set()
    now = set(findings)
    delta = RunDelta(prev, new_keys=now - prev_keys if prev else now, resolved_keys=prev_keys - now)
    delta.new = {c: sum(1 for k in delta.new_keys if k[0] == c) for c in CHECK_NAMES}
    delta.resolved = {c: sum(1 for k in delta.resolved_keys if k[0] == c) for c in CHECK_NAMES}
    return first_seen, delta


def write_run(conn: Connection, run_date: dt.date, counts: dict[str, int], delta: RunDelta,
              blocking_checks: Iterable[str], reports: dict[str, Any] | None) -> dict:
    blocking = {c: counts.get(c, 0) for c in blocking_checks if counts.get(c, 0) > 0}
    row = {
        "run_date": run_date, "checked_at": dt.datetime.now(dt.UTC), "counts": counts,
        "changes": {
            "previous_run": delta.previous_run.isoformat() if delta.previous_run else None,
            "checks": {c: {"new": delta.new.get(c, 0), "resolved": delta.resolved.get(c, 0)} for c in counts},
        },
        "blocking": blocking, "sync_allowed": not blocking, "reports": reports,
    }
    upsert(conn, integrity_runs, [row])
    return row


def latest_run(engine: Engine) -> dict | None:
    if "integrity_runs" not in set(inspect(engine).get_table_names()):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(integrity_runs).order_by(integrity_runs.c.run_date.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def sync_status(engine: Engine) -> tuple[bool, list[str]]:
    """May the organization sync run? (allowed, reasons) from the latest integrity run.

    Blocked when a blocking check (settings().blocking_checks at the time of the run) had
    findings. With no integrity run recorded yet the sync is allowed, with a reason saying so."""
    run = latest_run(engine)
    if run is None:
        return True, ["no CRM integrity run recorded yet; nothing blocks the sync"]
    day = run["run_date"].isoformat()
    if run["sync_allowed"]:
        return True, [f"integrity run {day}: no findings in blocking checks"]
    return False, [f"integrity run {day}: {check} has {n} finding(s) (blocking)"
                   for check, n in sorted((run["blocking"] or {}).items())]
