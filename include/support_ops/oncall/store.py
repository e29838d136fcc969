"""The on-call tables: `oncall_shifts`, `oncall_findings` (first_seen carried across runs, as
the integrity findings are) and `oncall_runs`.

A finding is identified by (check_name, entity_id, item). Its `first_seen` is the first
run_date on which it appeared in any earlier run; a rerun of a run_date replaces that run's
rows in one transaction. A finding in the previous run and absent now is resolved; one absent
from the previous run is new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, inspect, select

from ..warehouse.upsert import upsert
from .model import CHECK_NAMES, Finding
from .tables import oncall_findings, oncall_runs, oncall_shifts

Key = tuple[str, str, str]


def utc(value: Any) -> Any:
    """A timestamp read back as aware UTC (SQLite hands back naive UTC values)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _row(r: Any) -> dict[str, Any]:
    return {k: utc(v) for k, v in r._mapping.items()}


def write_shifts(conn: Connection, rows: list[dict[str, Any]], schedule_ids: Iterable[str],
                 as_of: dt.datetime) -> int:
    """Replace the current and future shifts of the schedules read; past shifts stay as recorded.

    A shift that ended before `as_of` is history; anything ending later is what PagerDuty says
    now, so a removed override or a changed rotation disappears from the roster."""
    t = oncall_shifts
    ids = sorted(set(schedule_ids))
    if ids:
        conn.execute(delete(t).where(t.c.schedule_id.in_(ids), t.c.end > as_of))
    recorded = dt.datetime.now(dt.UTC)
    upsert(conn, t, [{**r, "recorded_at": recorded} for r in rows])
    return len(rows)


def previous_run_date(conn: Connection, run_date: dt.date) -> dt.date | None:
    return conn.execute(select(func.max(oncall_runs.c.run_date)).where(oncall_runs.c.run_date < run_date)).scalar()


def findings_of(conn: Connection, run_date: dt.date) -> dict[Key, dict[str, Any]]:
    t = oncall_findings
    rows = conn.execute(select(t).where(t.c.run_date == run_date))
    return {(r.check_name, r.entity_id, r.item): {"details": r.details, "first_seen": r.first_seen} for r in rows}


def write_findings(conn: Connection, run_date: dt.date, findings: list[Finding]) -> dict[str, Any]:
    """Replace the run's findings; returns first_seen per key and the change since the previous run."""
    t = oncall_findings
    seen = {(r.check_name, r.entity_id, r.item): r.first for r in conn.execute(
        select(t.c.check_name, t.c.entity_id, t.c.item, func.min(t.c.first_seen).label("first"))
        .where(t.c.run_date < run_date).group_by(t.c.check_name, t.c.entity_id, t.c.item))}
    unique = {f.key: f for f in findings}
    first_seen = {k: seen.get(k) or run_date for k in unique}
    conn.execute(delete(t).where(t.c.run_date == run_date))
    upsert(conn, t, [{"run_date": run_date, "check_name": k[0], "entity_id": k[1], "item": k[2],
                      "details": f.details, "first_seen": first_seen[k]} for k, f in unique.items()])
    prev = previous_run_date(conn, run_date)
    before = set(findings_of(conn, prev)) if prev else set()
    now = set(unique)
    new, resolved = now - before, before - now
    return {"first_seen": first_seen, "previous_run": prev, "new": new, "resolved": resolved,
            "changes": {"previous_run": prev.isoformat() if prev else None,
                        "checks": {c: {"new": sum(1 for k in new if k[0] == c),
                                       "resolved": sum(1 for k in resolved if k[0] == c)} for c in CHECK_NAMES}}}


def write_run(conn: Connection, run_date: dt.date, as_of: dt.datetime, until: dt.datetime,
              counts: dict[str, int], changes: dict[str, Any], now_on_call: list[dict] | None,
              report: str | None = None) -> None:
    upsert(conn, oncall_runs, [{"run_date": run_date, "checked_at": dt.datetime.now(dt.UTC), "as_of": as_of,
                                "until": until, "counts": counts, "changes": changes,
                                "now_on_call": now_on_call, "report": report}])


def set_report(engine: Engine, run_date: dt.date, report: str) -> None:
    with engine.begin() as conn:
        conn.execute(oncall_runs.update().where(oncall_runs.c.run_date == run_date).values(report=report))


def load_run(engine: Engine, run_date: dt.date | None = None) -> dict[str, Any] | None:
    """The run of `run_date` (default: the latest), or None."""
    if "oncall_runs" not in set(inspect(engine).get_table_names()):
        return None
    q = select(oncall_runs)
    q = q.where(oncall_runs.c.run_date == run_date) if run_date else q.order_by(oncall_runs.c.run_date.desc())
    with engine.connect() as conn:
        row = conn.execute(q.limit(1)).first()
    return _row(row) if row else None


def load_findings(engine: Engine, run_date: dt.date) -> list[dict[str, Any]]:
    t = oncall_findings
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.run_date == run_date)
                            .order_by(t.c.check_name, t.c.entity_id, t.c.item))
        return [_row(r) for r in rows]


def load_shifts(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """Shifts overlapping [since, until), by schedule and start."""
    t = oncall_shifts
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(and_(t.c.end > since, t.c.start < until))
                            .order_by(t.c.schedule_name, t.c.start))
        return [_row(r) for r in rows]


