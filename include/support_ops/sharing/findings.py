"""Findings with `first_seen`, for any findings table shaped like integrity_findings
(run_date, check_name, entity_type, entity_id, details, first_seen): the shared-organization
audit's and the ticket-record checks'.

A rerun of a day replaces that day's rows in one transaction; `first_seen` is the first day the
same (check, entity) was found in any earlier run; new and resolved are counted against the
previous run (the rule of docs/integrity-rules.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select

from ..warehouse.upsert import upsert

Key = tuple[str, str, str]


def write(conn: Connection, table: Table, run_table: Table, run_date: dt.date,
          findings: dict[Key, dict[str, Any]], checks: Sequence[str]) -> tuple[dict[Key, dt.date], dict[str, Any]]:
    """Replace the day's findings; returns first_seen per finding and the change since the last run."""
    t = table.c
    seen = {(r.check_name, r.entity_type, r.entity_id): r.first for r in conn.execute(
        select(t.check_name, t.entity_type, t.entity_id, func.min(t.first_seen).label("first"))
        .where(t.run_date < run_date).group_by(t.check_name, t.entity_type, t.entity_id))}
    first_seen = {k: seen.get(k) or run_date for k in findings}
    conn.execute(delete(table).where(t.run_date == run_date))
    upsert(conn, table, ({"run_date": run_date, "check_name": k[0], "entity_type": k[1], "entity_id": k[2],
                          "details": d, "first_seen": first_seen[k]} for k, d in findings.items()))
    prev = conn.execute(select(func.max(run_table.c.run_date)).where(run_table.c.run_date < run_date)).scalar()
    before = set(keys_of(conn, table, prev)) if prev else set()
    now = set(findings)
    new, resolved = (now - before) if prev else now, before - now
    changes = {"previous_run": prev.isoformat() if prev else None,
               "checks": {c: {"new": sum(1 for k in new if k[0] == c),
                              "resolved": sum(1 for k in resolved if k[0] == c)} for c in checks},
               "new": sorted("|".join(k) for k in new)[:500]}
    return first_seen, changes


def keys_of(conn: Connection, table: Table, run_date: dt.date) -> Iterable[Key]:
    t = table.c
    for r in conn.execute(select(t.check_name, t.entity_type, t.entity_id).where(t.run_date == run_date)):
        yield (r.check_name, r.entity_type, r.entity_id)


def of_day(conn: Connection, table: Table, run_date: dt.date) -> list[dict[str, Any]]:
    t = table.c
    rows = conn.execute(select(table).where(t.run_date == run_date).order_by(t.check_name, t.entity_id))
    return [dict(r) for r in rows.mappings()]
