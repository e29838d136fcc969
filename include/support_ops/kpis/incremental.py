"""Which KPI periods an extraction changed, and what the last computation counted.

A full recompute reads every solved ticket; after an hourly extraction only a few periods hold
changed data. Three small tables say what the last computation saw (docs/kpi-definitions.md,
"When the tables change"):

- `csat_kpi_marks`: per source table (`zd_tickets`, `zd_satisfaction_ratings`) the newest
  `extracted_at` seen and when (`updated_at`). Every write of an extracted row sets
  `extracted_at` to the time its page was read, shortly before the page commits; so the rows
  changed since are those newer than the mark, or than `LOOKBACK` before the last computation
  ran, whichever is older: a page read before that computation but committed after it is
  caught too.
- `csat_kpi_tickets`: each counted ticket and the `solved_at` it was counted with, so a ticket
  solved again (or deleted) leaves its old period: its old and its new period are recomputed.
- `csat_kpi_dimensions`: the user -> organization, organization -> name and plan, form -> name
  values used. Ticket forms are re-read whole on every extraction, so these three tables are
  compared by value rather than by `extracted_at`; a changed value recomputes the periods of
  the tickets it touches.

Everything here runs on the caller's connection, inside the computation's one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union,
)

from ..warehouse.registry import tables as schema
from ..warehouse.upsert import upsert
from . import definitions as d

# The longest a page may take from being read (its `extracted_at`) to being committed.
LOOKBACK = dt.timedelta(minutes=10)
MARKED = (schema.zd_tickets, schema.zd_satisfaction_ratings)
_CHUNK = 500

Period = tuple[str, dt.date]


@dataclass
class Plan:
    """What one computation recomputes: every period (`periods is None`) or the listed ones."""

    periods: set[Period] | None
    reason: str
    changed_tickets: int = 0
    changed_ratings: int = 0
    changed_dimensions: dict[str, int] = field(default_factory=dict)
    cohort: int | None = None  # solved, non-deleted tickets (counted by an incremental plan)

    @property
    def full(self) -> bool:
        return self.periods is None


def _aware(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def periods_of(solved: Iterable) -> set[Period]:
    """The week and the month of each `solved_at` (datetime or text; NULLs skipped)."""
    out: set[Period] = set()
    for value in solved:
        when = _aware(value)
        if when is None:
            continue
        day = when.date()
        out.add(("week", d.week_start(day)))
        out.add(("month", d.month_start(day)))
    return out


def ranges(periods: Iterable[Period]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The periods as disjoint, sorted [start, end) UTC ranges (weeks and months overlap)."""
    spans = sorted((p, d.next_period(t, p)) for t, p in periods)
    merged: list[list[dt.date]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(dt.datetime.combine(lo, dt.time(), dt.UTC), dt.datetime.combine(hi, dt.time(), dt.UTC))
            for lo, hi in merged]


def in_ranges(column, spans: Sequence[tuple[dt.datetime, dt.datetime]]):
    """`column` inside any of the ranges (an empty list matches nothing)."""
    if not spans:
        return false()
    return or_(*[and_(column >= lo, column < hi) for lo, hi in spans])


def cohort_filter():
    tk = schema.zd_tickets
    return and_(tk.c.solved_at.is_not(None), tk.c.is_deleted.is_(False))


def _chunks(values: Sequence, size: int = _CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


# -- the dimension snapshot ---------------------------------------------------------------------

def _dimension_sources():
    """(dimension, source select of id + snapshot columns, compared columns) per dimension."""
    u, o, f = schema.zd_users, schema.zd_organizations, schema.zd_ticket_forms
    no_org = cast(null(), BigInteger).label("organization_id")
    no_name = cast(null(), String(255)).label("name")
    no_level = cast(null(), String(64)).label("support_level")
    return (
        ("user", select(u.c.id, u.c.organization_id, no_name, no_level), ("organization_id",)),
        ("organization", select(o.c.id, no_org, o.c.name, o.c.support_level), ("name", "support_level")),
        ("form", select(f.c.id, no_org, f.c.name, no_level), ("name",)),
    )


def _changed_dimension_ids(conn: Connection) -> dict[str, list[int]]:
    """Ids whose KPI-relevant values differ from the snapshot, appeared or disappeared."""
    snap = schema.csat_kpi_dimensions
    out: dict[str, list[int]] = {}
    for name, source, compared in _dimension_sources():
        src = source.subquery()
        s = select(snap).where(snap.c.dimension == name).subquery()
        differs = or_(s.c.id.is_(None), *[s.c[c].is_distinct_from(src.c[c]) for c in compared])
        new_or_changed = select(src.c.id).select_from(src.outerjoin(s, s.c.id == src.c.id)).where(differs)
        gone = select(s.c.id).select_from(s.outerjoin(src, src.c.id == s.c.id)).where(src.c.id.is_(None))
        ids = sorted({r[0] for r in conn.execute(union(new_or_changed, gone))})
        if ids:
            out[name] = ids
    return out


def _write_dimensions(conn: Connection, changed: dict[str, list[int]] | None) -> None:
    """Bring the snapshot up to date: all of it (`changed=None`) or the changed ids."""
    snap = schema.csat_kpi_dimensions
    cols = ["dimension", "id", "organization_id", "name", "support_level"]
    for name, source, _ in _dimension_sources():
        src = source.subquery()
        body = select(cast(literal(name), String(16)).label("dimension"), src.c.id, src.c.organization_id, src.c.name,
                      src.c.support_level)
        if changed is None:
            conn.execute(delete(snap).where(snap.c.dimension == name))
            conn.execute(insert(snap).from_select(cols, body))
            continue
        for chunk in _chunks(changed.get(name, [])):
            conn.execute(delete(snap).where(snap.c.dimension == name, snap.c.id.in_(chunk)))
            conn.execute(insert(snap).from_select(cols, body.where(src.c.id.in_(chunk))))


def _tickets_of_dimensions(conn: Connection, changed: dict[str, list[int]]) -> list:
    """`solved_at` of the counted tickets a changed user, organization or form touches."""
    tk, users = schema.zd_tickets, schema.zd_users
    out: list = []
    conditions = []
    for chunk in _chunks(changed.get("user", [])):
        conditions.append(tk.c.requester_id.in_(chunk))
    for chunk in _chunks(changed.get("organization", [])):
        conditions.append(tk.c.organization_id.in_(chunk))
        conditions.append(tk.c.requester_id.in_(select(users.c.id).where(users.c.organization_id.in_(chunk))))
    for chunk in _chunks(changed.get("form", [])):
        conditions.append(tk.c.ticket_form_id.in_(chunk))
    for cond in conditions:
        out += conn.execute(select(tk.c.solved_at).where(cohort_filter(), cond)).scalars().all()
    return out


# -- marks and the counted tickets --------------------------------------------------------------

def read_marks(conn: Connection) -> dict[str, dt.datetime]:
    """Per source table, the `extracted_at` after which rows count as changed."""
    m = schema.csat_kpi_marks
    return {r.source: min(_aware(r.mark), _aware(r.updated_at) - LOOKBACK)
            for r in conn.execute(select(m.c.source, m.c.mark, m.c.updated_at))}


def write_marks(conn: Connection, now: dt.datetime) -> None:
    """The newest `extracted_at` of each marked table, capped at the run time: a row dated in the
    future (a wrong clock) must not hide the real changes written after it."""
    rows = []
    for table in MARKED:
        newest = _aware(conn.execute(select(func.max(table.c.extracted_at))).scalar())
        if newest is not None:
            rows.append({"source": table.name, "mark": min(newest, now), "updated_at": now})
    upsert(conn, schema.csat_kpi_marks, rows)


def _counted_solved_at(conn: Connection, ids: Sequence[int]) -> list:
    kt = schema.csat_kpi_tickets
    out: list = []
    for chunk in _chunks(list(ids)):
        out += conn.execute(select(kt.c.solved_at).where(kt.c.ticket_id.in_(chunk))).scalars().all()
    return out


def write_counted(conn: Connection, ids: Sequence[int] | None) -> None:
    """`csat_kpi_tickets` := the current cohort, whole (`ids=None`) or for the given tickets."""
    kt, tk = schema.csat_kpi_tickets, schema.zd_tickets
    body = select(tk.c.id, tk.c.solved_at).where(cohort_filter())
    if ids is None:
        conn.execute(delete(kt))
        conn.execute(insert(kt).from_select(["ticket_id", "solved_at"], body))
        return
    for chunk in _chunks(list(ids)):
        conn.execute(delete(kt).where(kt.c.ticket_id.in_(chunk)))
        conn.execute(insert(kt).from_select(["ticket_id", "solved_at"], body.where(tk.c.id.in_(chunk))))


def cohort_size(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(schema.zd_tickets).where(cohort_filter())).scalar())


def counted_size(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(schema.csat_kpi_tickets)).scalar())


# -- the plan -----------------------------------------------------------------------------------

def plan(conn: Connection, *, full: bool = False) -> Plan:
    """Decide what to recompute and bring the bookkeeping for it up to date (same transaction).

    Full when asked, or before the first incremental run (no marks yet). Otherwise the periods
    of: tickets written since the mark (their old period from `csat_kpi_tickets` and their new
    one), tickets whose ratings were written since the mark, and tickets of changed users,
    organizations and forms. Afterwards the counted tickets must equal the cohort: a row removed
    from `zd_tickets` by hand (the extraction never deletes) shows up there, and the computation
    falls back to a full one.
    """
    if full:
        return Plan(None, "requested")
    marks = read_marks(conn)
    if not marks:
        return Plan(None, "first computation (no marks yet)")
    tk, rt = schema.zd_tickets, schema.zd_satisfaction_ratings
    ticket_mark, rating_mark = marks.get(tk.name), marks.get(rt.name)

    def since(table, mark):
        return table.c.extracted_at > mark if mark is not None else true()

    changed = conn.execute(select(tk.c.id, tk.c.solved_at, tk.c.is_deleted).where(since(tk, ticket_mark))).all()
    ticket_ids = [r.id for r in changed]
    solved = [r.solved_at for r in changed if not r.is_deleted]
    solved += _counted_solved_at(conn, ticket_ids)  # where they were counted before
    rated = sorted(set(conn.execute(select(rt.c.ticket_id).where(since(rt, rating_mark), rt.c.ticket_id.is_not(None)))
                       .scalars().all()) - set(ticket_ids))
    for chunk in _chunks(rated):
        solved += conn.execute(select(tk.c.solved_at).where(cohort_filter(), tk.c.id.in_(chunk))).scalars().all()
    dims = _changed_dimension_ids(conn)
    solved += _tickets_of_dimensions(conn, dims)

    write_counted(conn, ticket_ids)
    _write_dimensions(conn, dims)
    cohort = cohort_size(conn)
    counts = (len(ticket_ids), len(rated), {k: len(v) for k, v in dims.items()}, cohort)
    if counted_size(conn) != cohort:
        return Plan(None, "counted tickets differ from the cohort (rows removed outside the extraction)", *counts)
    return Plan(periods_of(solved), "changes since the last computation", *counts)


def finish(conn: Connection, p: Plan, now: dt.datetime) -> None:
    """After the tables were written: the bookkeeping of a full run, and the marks of any run."""
    if p.full:
        write_counted(conn, None)
        _write_dimensions(conn, None)
    write_marks(conn, now)


__all__ = ["LOOKBACK", "Plan", "cohort_size", "finish", "in_ranges", "periods_of", "plan", "ranges"]
