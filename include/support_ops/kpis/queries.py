"""Reading the CSAT tables back: for the report, the alert, the CLI and the demo summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, desc, select

from ..extract.tables import zd_organizations, zd_satisfaction_ratings, zd_tickets, zd_users
from .tables import csat_bad_reasons, csat_kpi_runs, csat_kpis, csat_unsurveyed

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
    k = csat_kpis
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
    table = {"csat_unsurveyed": csat_unsurveyed, "csat_bad_reasons": csat_bad_reasons}[table_name]
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
    runs = csat_kpi_runs
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


def _aware(value: Any) -> dt.datetime | None:
    """A UTC datetime from what the dialect returns (aware, naive UTC, or ISO text on SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def bad_rated_tickets(engine: Engine, period_type: str, start: dt.date) -> list[dict[str, Any]]:
    """The tickets solved in the period whose latest rating is bad, as the KPIs count them
    (latest rating by update time, else the ticket's own score), newest solved first.

    Each: ticket_id, solved_at, reason (canonical), route, comment, organization."""
    from . import definitions as d

    end = d.next_period(period_type, start)
    lo = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), dt.UTC)  # slack for SQLite's text
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)  # comparison; exact below
    tk, rt, org, users = zd_tickets, zd_satisfaction_ratings, zd_organizations, zd_users
    with engine.connect() as conn:
        tickets = {}
        for r in conn.execute(select(tk.c.id, tk.c.solved_at, tk.c.satisfaction_score, tk.c.organization_id,
                                     tk.c.requester_id)
                              .where(tk.c.solved_at >= lo, tk.c.solved_at < hi, tk.c.is_deleted.is_(False))):
            solved = _aware(r.solved_at)
            if solved and start <= solved.date() < end:
                tickets[r.id] = {"ticket_id": r.id, "solved_at": solved, "score": r.satisfaction_score,
                                 "org_id": r.organization_id, "requester_id": r.requester_id,
                                 "reason": None, "comment": None, "_rated": None}
        ids = list(tickets)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for r in conn.execute(select(rt.c.id, rt.c.ticket_id, rt.c.score, rt.c.reason, rt.c.comment, rt.c.updated_at)
                                  .where(rt.c.ticket_id.in_(chunk))):
                t = tickets[r.ticket_id]
                key = (_aware(r.updated_at) or dt.datetime.min.replace(tzinfo=dt.UTC), r.id)
                if t["_rated"] is None or key > t["_rated"]:
                    t.update(_rated=key, score=r.score, reason=r.reason, comment=r.comment)
        bad = [t for t in tickets.values() if str(t["score"] or "").strip().lower() == "bad"]
        requesters = {t["requester_id"] for t in bad if t["requester_id"] is not None}
        user_org = dict(conn.execute(select(users.c.id, users.c.organization_id)
                                     .where(users.c.id.in_(requesters))).all()) if requesters else {}
        for t in bad:
            t["org_id"] = user_org.get(t["requester_id"]) or t["org_id"]
        org_ids = {t["org_id"] for t in bad if t["org_id"] is not None}
        names = dict(conn.execute(select(org.c.id, org.c.name).where(org.c.id.in_(org_ids))).all()) if org_ids else {}
    out = []
    for t in sorted(bad, key=lambda t: (t["solved_at"], t["ticket_id"]), reverse=True):
        reason = d.canonical_reason(t["reason"])
        out.append({"ticket_id": t["ticket_id"], "solved_at": t["solved_at"], "reason": reason,
                    "route": d.route_for(reason), "comment": t["comment"], "organization": names.get(t["org_id"]),
                    "organization_id": t["org_id"]})
    return out
