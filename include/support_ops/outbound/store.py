"""Reading and writing the outbound tables; each function is one short transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, and_, select, update

from .model import StoredWrite
from .tables import outbound_plans, outbound_writes

ERROR_MAX = 2000
KEY_CHUNK = 500


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def insert_plan(engine: Engine, plan: dict[str, Any], writes: Sequence[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(outbound_plans.insert(), [plan])
        if writes:
            conn.execute(outbound_writes.insert(), list(writes))


def load_plan(engine: Engine, plan_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(outbound_plans).where(outbound_plans.c.plan_id == plan_id)).mappings().first()
    if row is None:
        raise LookupError(f"no outbound plan {plan_id!r}")
    return dict(row)


def load_writes(engine: Engine, plan_id: str) -> list[StoredWrite]:
    w = outbound_writes.c
    with engine.connect() as conn:
        rows = conn.execute(select(outbound_writes).where(w.plan_id == plan_id).order_by(w.seq)).mappings().all()
    return [StoredWrite(plan_id=r["plan_id"], key=r["idempotency_key"], seq=r["seq"], action=r["action"],
                        target_ref=r["target_ref"], summary=r["summary"], after=r["after"],
                        before=r["before"], status=r["status"], attempts=r["attempts"]) for r in rows]


def history(engine: Engine, keys: Iterable[str], exclude_plan: str,
            statuses: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """For each key, (plan_id, status) of its rows in other plans with one of `statuses`."""
    keys = list(keys)
    w = outbound_writes.c
    out: dict[str, list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for i in range(0, len(keys), KEY_CHUNK):
            chunk = keys[i:i + KEY_CHUNK]
            rows = conn.execute(select(w.idempotency_key, w.plan_id, w.status).where(
                w.idempotency_key.in_(chunk), w.plan_id != exclude_plan, w.status.in_(list(statuses)),
            ).order_by(w.planned_at))
            for key, plan_id, status in rows:
                out.setdefault(key, []).append((plan_id, status))
    return out


def mark(engine: Engine, plan_id: str, keys: Iterable[str], **values: Any) -> None:
    """Set `values` on the plan's rows for `keys` (one transaction)."""
    keys = list(keys)
    if not keys:
        return
    if values.get("error") is not None:
        values["error"] = str(values["error"])[:ERROR_MAX]
    w = outbound_writes.c
    with engine.begin() as conn:
        for i in range(0, len(keys), KEY_CHUNK):
            conn.execute(update(outbound_writes).where(
                w.plan_id == plan_id, w.idempotency_key.in_(keys[i:i + KEY_CHUNK])).values(**values))


def mark_each(engine: Engine, plan_id: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Per-key values in one transaction (the outcomes of one batch)."""
    w = outbound_writes.c
    with engine.begin() as conn:
        for key, values in rows:
            if values.get("error") is not None:
                values = {**values, "error": str(values["error"])[:ERROR_MAX]}
            conn.execute(update(outbound_writes).where(
                w.plan_id == plan_id, w.idempotency_key == key).values(**values))


def mark_interrupted(engine: Engine, key_plans: Sequence[tuple[str, str]], note: str) -> None:
    """Earlier `pending` rows whose outcome a later plan settled."""
    w = outbound_writes.c
    with engine.begin() as conn:
        for key, plan_id in key_plans:
            conn.execute(update(outbound_writes).where(and_(
                w.plan_id == plan_id, w.idempotency_key == key, w.status == "pending",
            )).values(status="interrupted", error=note[:ERROR_MAX], finished_at=now()))


def update_plan(engine: Engine, plan_id: str, **values: Any) -> None:
    if values.get("error") is not None:
        values["error"] = str(values["error"])[:ERROR_MAX]
    with engine.begin() as conn:
        conn.execute(update(outbound_plans).where(outbound_plans.c.plan_id == plan_id).values(**values))
