"""Reading and writing the sync's tables: org_sync_runs, org_sync_changes, org_sync_skips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, and_, select, update

from .tables import org_sync_changes, org_sync_runs, org_sync_skips

CHUNK = 1000
ERROR_MAX = 2000


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def insert_run(engine: Engine, run: dict[str, Any], changes: Sequence[dict[str, Any]],
               skips: Sequence[dict[str, Any]]) -> None:
    """The run, its planned changes and its skips, in one transaction."""
    with engine.begin() as conn:
        conn.execute(org_sync_runs.insert(), [run])
        for rows, table in ((changes, org_sync_changes), (skips, org_sync_skips)):
            for i in range(0, len(rows), CHUNK):
                conn.execute(table.insert(), list(rows[i:i + CHUNK]))


def load_run(engine: Engine, run_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(org_sync_runs).where(org_sync_runs.c.run_id == run_id)).mappings().first()
    if row is None:
        raise LookupError(f"no organization sync run {run_id!r}")
    return dict(row)


def latest_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    q = select(org_sync_runs).order_by(org_sync_runs.c.created_at.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def update_run(engine: Engine, run_id: str, **values: Any) -> None:
    if values.get("error") is not None:
        values["error"] = str(values["error"])[:ERROR_MAX]
    with engine.begin() as conn:
        conn.execute(update(org_sync_runs).where(org_sync_runs.c.run_id == run_id).values(**values))


def changes(engine: Engine, run_id: str, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
    c = org_sync_changes.c
    q = select(org_sync_changes).where(c.run_id == run_id).order_by(c.organization_id, c.field)
    if statuses:
        q = q.where(c.status.in_(list(statuses)))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def skips(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    s = org_sync_skips.c
    with engine.connect() as conn:
        rows = conn.execute(select(org_sync_skips).where(s.run_id == run_id).order_by(s.reason, s.account_id))
        return [dict(r) for r in rows.mappings()]


def set_org_status(engine: Engine, run_id: str, outcomes: Sequence[tuple[int, str, str | None]]) -> None:
    """(organization_id, status, error) for every field of each organization, one transaction."""
    c = org_sync_changes.c
    with engine.begin() as conn:
        for org_id, status, error in outcomes:
            conn.execute(update(org_sync_changes).where(and_(c.run_id == run_id, c.organization_id == org_id))
                         .values(status=status, error=None if error is None else str(error)[:ERROR_MAX]))


def set_field_status(engine: Engine, run_id: str, rows: Sequence[tuple[int, str, str, str | None]]) -> None:
    """(organization_id, field, status, error) per row, one transaction."""
    c = org_sync_changes.c
    with engine.begin() as conn:
        for org_id, field, status, error in rows:
            conn.execute(update(org_sync_changes).where(and_(
                c.run_id == run_id, c.organization_id == org_id, c.field == field))
                .values(status=status, error=None if error is None else str(error)[:ERROR_MAX]))


def status_counts(engine: Engine, run_id: str) -> dict[str, int]:
    """Organizations per status (an organization counts once, by its worst field)."""
    order = ("failed", "planned", "dry_run", "applied")
    per_org: dict[int, str] = {}
    for r in changes(engine, run_id):
        prev = per_org.get(r["organization_id"])
        if prev is None or order.index(r["status"]) < order.index(prev):
            per_org[r["organization_id"]] = r["status"]
    out = {s: 0 for s in order}
    for s in per_org.values():
        out[s] += 1
    return out
