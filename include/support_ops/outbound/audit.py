"""The audit the reports read: who wrote what, where, when, before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from .tables import outbound_plans, outbound_writes


def audit(engine: Engine, *, writer: str | None = None, target: str | None = None,
          since: dt.datetime | None = None, statuses: tuple[str, ...] | None = None,
          include_dry_runs: bool = False, limit: int = 1000) -> list[dict[str, Any]]:
    """Writes, newest first, with their plan's actor and Airflow run."""
    w, p = outbound_writes.c, outbound_plans.c
    q = (select(w.plan_id, w.idempotency_key.label("key"), w.writer, w.target, w.action, w.target_ref,
                w.summary, w.before, w.after, w.status, w.reconciled, w.attempts, w.result, w.error,
                w.planned_at, w.finished_at, p.actor, p.dag_id, p.run_id, p.task_id, p.dry_run)
         .join(outbound_plans, p.plan_id == w.plan_id)
         .order_by(w.planned_at.desc(), w.seq).limit(limit))
    if writer:
        q = q.where(w.writer == writer)
    if target:
        q = q.where(w.target == target)
    if since:
        q = q.where(w.planned_at >= since)
    if statuses:
        q = q.where(w.status.in_(list(statuses)))
    if not include_dry_runs:
        q = q.where(p.dry_run.is_(False))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def plans(engine: Engine, *, writer: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Plans, newest first (status, counts, cap, error)."""
    q = select(outbound_plans).order_by(outbound_plans.c.created_at.desc()).limit(limit)
    if writer:
        q = q.where(outbound_plans.c.writer == writer)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def plan_writes(engine: Engine, plan_id: str) -> list[dict[str, Any]]:
    """A plan's writes in order: what a person reviews before approving a capped plan."""
    w = outbound_writes.c
    with engine.connect() as conn:
        rows = conn.execute(select(outbound_writes).where(w.plan_id == plan_id).order_by(w.seq)).mappings()
        return [dict(r) for r in rows]
