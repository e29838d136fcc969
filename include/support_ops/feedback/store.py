"""Warehouse reads and writes of the feedback issues: ratings with their ticket's organization,
and the `feedback_issues` mapping (rating -> GitLab issue)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select

from ..extract.tables import zd_organizations, zd_satisfaction_ratings, zd_tickets
from ..warehouse import upsert
from .rules import BAD, GOOD, Rating
from .tables import feedback_issues


def _utc(ts: dt.datetime | None) -> dt.datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _query():
    r, t, o = zd_satisfaction_ratings, zd_tickets, zd_organizations
    return (select(r.c.id, r.c.ticket_id, r.c.score, r.c.reason, r.c.comment, r.c.group_id, r.c.created_at,
                   r.c.updated_at, o.c.name.label("organization"), o.c.support_level)
            .select_from(r.outerjoin(t, t.c.id == r.c.ticket_id).outerjoin(o, o.c.id == t.c.organization_id))
            .where(r.c.score.in_([GOOD, BAD])))


def _rating(row: Any) -> Rating:
    return Rating(rating_id=int(row.id), ticket_id=int(row.ticket_id or 0), score=row.score, reason=row.reason,
                  comment=row.comment, organization=row.organization, support_level=row.support_level,
                  group_id=row.group_id, created_at=_utc(row.created_at), updated_at=_utc(row.updated_at))


def ratings_since(engine: Engine, since: dt.datetime) -> list[Rating]:
    """Good and bad ratings updated on or after `since`, oldest first (the order issues are made in)."""
    r = zd_satisfaction_ratings
    q = _query().where(or_(r.c.updated_at >= since, and_(r.c.updated_at.is_(None), r.c.created_at >= since)))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(r.c.updated_at, r.c.id)).all()
    return [_rating(x) for x in rows]


def ratings_with_comment(engine: Engine) -> list[Rating]:
    """Every good or bad rating with a comment, of every month (the export)."""
    r = zd_satisfaction_ratings
    with engine.connect() as conn:
        rows = conn.execute(_query().where(r.c.comment.is_not(None), r.c.comment != "").order_by(r.c.id)).all()
    return [_rating(x) for x in rows]


def ticket_ids(engine: Engine, rating_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(rating_ids))
    out: dict[int, int] = {}
    r = zd_satisfaction_ratings
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            q = select(r.c.id, r.c.ticket_id).where(r.c.id.in_(ids[i:i + 500]))
            out.update({int(a): int(b) for a, b in conn.execute(q) if b is not None})
    return out


def mappings(engine: Engine, project: str | None = None) -> dict[int, dict[str, Any]]:
    q = select(feedback_issues)
    if project:
        q = q.where(feedback_issues.c.project == project)
    with engine.connect() as conn:
        return {int(m["rating_id"]): dict(m) for m in conn.execute(q).mappings()}


def save_mappings(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    rows = list(rows)
    with engine.begin() as conn:
        return upsert(conn, feedback_issues, rows)


def forget_all(engine: Engine) -> None:
    """Empty the mapping (tests, and a warehouse rebuilt from nothing): GitLab's markers restore it."""
    with engine.begin() as conn:
        conn.execute(delete(feedback_issues))
