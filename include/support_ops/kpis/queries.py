"""Reading the CSAT tables back: for the report, the alert, the CLI and the demo summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, desc, select

from ..warehouse import schema

KPI_FIELDS = ("solved", "surveyed", "responded", "good", "bad", "csat", "response_rate", "coverage")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def read_kpis(
    engine: Engine,
    period_type: str = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
    segment_type: str = "all",
) -> list[dict[str, Any]]:
    """`csat_kpis` rows of one period type and segment type, oldest first (start/end inclusive)."""
    k = schema.csat_kpis
    stmt = select(k).where(k.c.period_type == period_type, k.c.segment_type == segment_type)
    if start is not None:
        stmt = stmt.where(k.c.period_start >= start)
    if end is not None:
        stmt = stmt.where(k.c.period_start <= end)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt.order_by(k.c.period_start, k.c.segment_value))]
    for r in rows:
        r["period_start"] = _date(r["period_start"])
    return rows


def read_table(engine: Engine, table_name: str, period_type: str, start: dt.date | None = None) -> list[dict]:
    """`csat_unsurveyed` or `csat_bad_reasons` rows of one period type from `start` on."""
    table = {"csat_unsurveyed": schema.csat_unsurveyed, "csat_bad_reasons": schema.csat_bad_reasons}[table_name]
    stmt = select(table).where(table.c.period_type == period_type)
    if start is not None:
        stmt = stmt.where(table.c.period_start >= start)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt.order_by(table.c.period_start))]
    for r in rows:
        r["period_start"] = _date(r["period_start"])
    return rows


def last_run(engine: Engine) -> dict[str, Any] | None:
    """The newest `csat_kpi_runs` row (None before the first computation)."""
    runs = schema.csat_kpi_runs
    with engine.connect() as conn:
        row = conn.execute(select(runs).order_by(desc(runs.c.computed_at)).limit(1)).first()
    if row is None:
        return None
    out = dict(row._mapping)
    for key in ("computed_at", "data_as_of"):
        if out.get(key) is not None and out[key].tzinfo is None:
            out[key] = out[key].replace(tzinfo=dt.UTC)
    return out


def period_row(engine: Engine, period_type: str, start: dt.date) -> dict[str, Any] | None:
    rows = read_kpis(engine, period_type, start, start)
    return rows[0] if rows else None


def as_of(engine: Engine) -> dt.datetime:
    """What "latest complete period" is judged against: the last run's data time, else now."""
    run = last_run(engine)
    if run and run.get("data_as_of"):
        return run["data_as_of"]
    return dt.datetime.now(dt.UTC)


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"
