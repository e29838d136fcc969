"""The audit's tables: shared_org_findings, shared_org_runs, shared_org_applies; and reading
organizations and end users from the warehouse (refreshed at the start of each run)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, inspect, select

from ..extract.tables import zd_users
from ..warehouse.upsert import upsert
from . import findings as findings_store
from .audit import CHECKS, Finding
from .tables import shared_org_applies, shared_org_findings, shared_org_runs


def load_users(engine: Engine) -> list[dict[str, Any]]:
    """End users in Zendesk's shape (the extracted record)."""
    u = zd_users.c
    with engine.connect() as conn:
        rows = conn.execute(select(u.id, u.email, u.role, u.organization_id, u.active, u.raw)
                            .where(u.role == "end-user")).all()
    out = []
    for r in rows:
        doc = dict(r.raw) if isinstance(r.raw, dict) else {}
        doc.update(id=int(r.id), email=doc.get("email", r.email), role=r.role, organization_id=r.organization_id,
                   active=doc.get("active", r.active))
        out.append(doc)
    return out


def save_run(engine: Engine, run_date: dt.date, found: list[Finding], requests: dict[str, Any],
             report: str | None = None) -> dict[str, Any]:
    """The day's findings (first_seen kept) and run row, in one transaction."""
    by_key = {f.key: {**f.details, "exposure": list(f.exposure)} for f in found}
    with engine.begin() as conn:
        first_seen, changes = findings_store.write(conn, shared_org_findings, shared_org_runs, run_date, by_key, CHECKS)
        counts = {c: sum(1 for f in found if f.check == c) for c in CHECKS}
        row = {"run_date": run_date, "checked_at": dt.datetime.now(dt.UTC), "counts": counts, "changes": changes,
               "requests": requests, "report": report}
        upsert(conn, shared_org_runs, [row])
    return {"run_date": run_date.isoformat(), "counts": counts, "changes": changes["checks"],
            "first_seen": {"|".join(k): v.isoformat() for k, v in first_seen.items()}}


def set_report(engine: Engine, run_date: dt.date, url: str) -> None:
    with engine.begin() as conn:
        conn.execute(shared_org_runs.update().where(shared_org_runs.c.run_date == run_date).values(report=url))


def run_of(engine: Engine, run_date: dt.date | None = None) -> dict[str, Any] | None:
    if not inspect(engine).has_table("shared_org_runs"):
        return None
    q = select(shared_org_runs).order_by(shared_org_runs.c.run_date.desc()).limit(1)
    if run_date is not None:
        q = select(shared_org_runs).where(shared_org_runs.c.run_date == run_date)
    with engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def findings_of(engine: Engine, run_date: dt.date) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return findings_store.of_day(conn, shared_org_findings, run_date)


def record_apply(engine: Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(shared_org_applies.insert(), [{"attempted_at": dt.datetime.now(dt.UTC), **row}])


def applies(engine: Engine, project: str, iid: int) -> list[dict[str, Any]]:
    a = shared_org_applies.c
    with engine.connect() as conn:
        rows = conn.execute(select(shared_org_applies).where(a.project == project, a.issue_iid == int(iid))
                            .order_by(a.attempted_at))
        return [dict(r) for r in rows.mappings()]
