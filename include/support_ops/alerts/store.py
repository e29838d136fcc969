"""Reading the warehouse for the notifications, and their own tables (each write one transaction).

Tickets, organizations, users and metric events come from the extracted `zd_*` tables (kept
current by the same incremental streams as `zendesk_extract`); the alert ledger
(`sla_breach_alerts`), the feed cursors (`ops_feed_state`) and the view-count history
(`zd_view_counts`) are the notifications' own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, and_, select, update

from ..extract.tables import (
    zd_organizations,
    zd_ticket_forms,
    zd_ticket_metric_events,
    zd_tickets,
    zd_users,
)
from ..warehouse.upsert import upsert
from .breach import Event
from .rules import Ticket
from .tables import ops_feed_state, sla_breach_alerts, zd_view_counts

CHUNK = 500
OPEN = ("new", "open", "pending", "hold")


def utc(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if t is None:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _names(engine: Engine, table, ids: Iterable[Any]) -> dict[int, dict]:
    ids = sorted({int(i) for i in ids if i is not None})
    out: dict[int, dict] = {}
    with engine.connect() as conn:
        for chunk in _chunks(ids):
            cols = [table.c.id, table.c.name] + ([table.c.support_level] if "support_level" in table.c else [])
            for r in conn.execute(select(*cols).where(table.c.id.in_(chunk))).mappings():
                out[int(r["id"])] = dict(r)
    return out


def tickets(engine: Engine, *, ids: Iterable[int] = (), since: dt.datetime | None = None,
            until: dt.datetime | None = None) -> dict[int, Ticket]:
    """Tickets that may alert or carry the tag (open statuses, plus `ids`), or with `since`,
    the tickets updated in (since, until]; with organization and assignee names."""
    t = zd_tickets.c
    with engine.connect() as conn:
        if since is not None:
            cond = and_(t.updated_at > since, t.updated_at <= until) if until else t.updated_at > since
            rows = list(conn.execute(select(zd_tickets).where(cond).order_by(t.updated_at, t.id)).mappings())
        else:
            rows = list(conn.execute(select(zd_tickets).where(t.status.in_(OPEN))).mappings())
            extra = sorted(set(int(i) for i in ids) - {int(r["id"]) for r in rows})
            for chunk in _chunks(extra):
                rows += list(conn.execute(select(zd_tickets).where(t.id.in_(chunk))).mappings())
    orgs = _names(engine, zd_organizations, (r["organization_id"] for r in rows))
    users = _names(engine, zd_users, ((r["raw"] or {}).get("assignee_id") for r in rows))
    out: dict[int, Ticket] = {}
    for r in rows:
        raw = r["raw"] or {}
        org = orgs.get(int(r["organization_id"])) if r["organization_id"] is not None else None
        assignee = raw.get("assignee_id")
        out[int(r["id"])] = Ticket(
            id=int(r["id"]), status=r["status"], priority=r["priority"], tags=tuple(r["tags"] or ()),
            is_deleted=bool(r["is_deleted"]), organization_id=r["organization_id"],
            organization=(org or {}).get("name"), support_level=(org or {}).get("support_level"),
            subject=raw.get("subject"),
            assignee=(users.get(int(assignee)) or {}).get("name") if assignee is not None else None,
            created_at=utc(r["created_at"]))
    return out


def ticket_forms(engine: Engine, ticket_ids: Iterable[int]) -> dict[int, str | None]:
    """Ticket id -> the name of its form."""
    ids = list(ticket_ids)
    out: dict[int, str | None] = {}
    with engine.connect() as conn:
        forms = {int(i): n for i, n in conn.execute(select(zd_ticket_forms.c.id, zd_ticket_forms.c.name))}
        for chunk in _chunks(ids):
            for tid, form in conn.execute(select(zd_tickets.c.id, zd_tickets.c.ticket_form_id)
                                          .where(zd_tickets.c.id.in_(chunk))):
                out[int(tid)] = forms.get(int(form)) if form is not None else None
    return out


def events(engine: Engine, ticket_ids: Iterable[int]) -> list[Event]:
    e = zd_ticket_metric_events.c
    out: list[Event] = []
    with engine.connect() as conn:
        for chunk in _chunks(sorted(set(ticket_ids))):
            for r in conn.execute(select(e.id, e.ticket_id, e.metric, e.instance_id, e.type, e.time, e.sla_target)
                                  .where(e.ticket_id.in_(chunk))).mappings():
                out.append(Event(int(r["ticket_id"]), r["metric"], r["instance_id"], r["type"], utc(r["time"]),
                                 r["sla_target"], int(r["id"])))
    return out


def newest_ticket_update(engine: Engine) -> dt.datetime | None:
    from sqlalchemy import func

    with engine.connect() as conn:
        return utc(conn.execute(select(func.max(zd_tickets.c.updated_at))).scalar())


# -- the alert ledger -------------------------------------------------------------------------

def ledger(engine: Engine, *, since: dt.datetime | None = None) -> list[dict]:
    a = sla_breach_alerts.c
    q = select(sla_breach_alerts).order_by(a.alerted_at.desc())
    if since is not None:
        q = q.where(a.alerted_at >= since)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def alerted(engine: Engine) -> dict[tuple[int, str, int], bool]:
    """Every alerted (ticket, metric, instance) -> its tag is (meant to be) on."""
    a = sla_breach_alerts.c
    with engine.connect() as conn:
        return {(int(t), m, int(i)): bool(on) for t, m, i, on in
                conn.execute(select(a.ticket_id, a.metric, a.instance_id, a.tag_on))}


def tagged_ticket_ids(engine: Engine) -> list[int]:
    a = sla_breach_alerts.c
    with engine.connect() as conn:
        return [int(t) for (t,) in conn.execute(select(a.ticket_id).where(a.tag_on.is_(True)).distinct())]


def record_alerts(engine: Engine, rows: list[dict]) -> None:
    if rows:
        with engine.begin() as conn:
            upsert(conn, sla_breach_alerts, rows, update=["plan_id"])


def tag_removed(engine: Engine, ticket_ids: Iterable[int], at: dt.datetime) -> None:
    ids = list(ticket_ids)
    if not ids:
        return
    a = sla_breach_alerts.c
    with engine.begin() as conn:
        for chunk in _chunks(ids):
            conn.execute(update(sla_breach_alerts).where(a.ticket_id.in_(chunk), a.tag_on.is_(True))
                         .values(tag_on=False, tag_removed_at=at))


# -- feed cursors -----------------------------------------------------------------------------

def feed_state(engine: Engine, feed: str) -> dict | None:
    with engine.connect() as conn:
        r = conn.execute(select(ops_feed_state).where(ops_feed_state.c.feed == feed)).mappings().first()
    if r is None:
        return None
    return {**dict(r), "posted_until": utc(r["posted_until"])}


def save_feed_state(engine: Engine, feed: str, posted_until: dt.datetime, pending: dict | None) -> None:
    with engine.begin() as conn:
        upsert(conn, ops_feed_state, [{"feed": feed, "posted_until": posted_until, "pending": pending,
                                       "updated_at": dt.datetime.now(dt.UTC)}])


# -- view counts ------------------------------------------------------------------------------

def record_view_counts(engine: Engine, rows: list[dict]) -> None:
    if rows:
        with engine.begin() as conn:
            upsert(conn, zd_view_counts, rows)


def view_counts(engine: Engine, *, since: dt.datetime | None = None) -> list[dict]:
    v = zd_view_counts.c
    q = select(zd_view_counts).order_by(v.counted_at, v.view_id)
    if since is not None:
        q = q.where(v.counted_at >= since)
    with engine.connect() as conn:
        return [{**dict(r), "counted_at": utc(r["counted_at"])} for r in conn.execute(q).mappings()]


