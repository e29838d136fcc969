"""Extracting the Zendesk streams through a session built by the Zendesk hook.

The hook (with the project's OAuth lifecycle) authenticates the session; pages are
requested here rather than through zenpy's generators because each page's cursor must
be committed with that page's rows, which zenpy's iterators do not expose.

The ticket export is asked for `include=metric_sets`: Zendesk then puts each (non-deleted)
ticket's metric set inside the ticket as `metric_set`; it goes to `zd_ticket_metrics` and
its `solved_at` onto the ticket row, and each ticket's current `satisfaction_rating` is
written to `zd_satisfaction_ratings`, all in the page's own transaction. A canary
(`canary.py`) fails the run before a page of solved tickets without metric sets is written.
The shapes and their sources: docs/zendesk-api-shapes.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..config import settings
from ..warehouse.upsert import upsert
from .canary import Canary
from .fetch import ExtractionError, FetchStats, RetryPolicy, get_json
from .records import RATING_SCORES, BadRecord, parse_time, ticket_row
from .runner import StreamResult, run_pages, ticket_metrics_writer
from .tables import zd_satisfaction_ratings
from .zendesk_streams import STREAMS, TICKETS, ZendeskStream

log = logging.getLogger(__name__)


def default_start_time() -> int:
    parsed = parse_time(settings().extract_start, "SUPPORT_OPS_EXTRACT_START")
    assert parsed is not None
    return int(parsed.timestamp())


def extract_stream(
    engine: Engine,
    stream: ZendeskStream,
    session: Any,
    api_base: str,
    *,
    start_time: int | None = None,
    policy: RetryPolicy | None = None,
    on_unauthorized=None,
    max_pages: int | None = None,
    quarantine_max_ratio: float | None = None,
) -> StreamResult:
    """Run one Zendesk stream to its end (or `max_pages`), committing page by page."""
    policy = policy or RetryPolicy()
    stats = FetchStats()
    start = default_start_time() if start_time is None else start_time
    ceiling = cursor_ceiling()
    is_tickets = stream.name == TICKETS.name
    canary = Canary(stream.name, stream.table, stream.watches)
    canary.prime(engine)
    page_metrics: dict[Any, dict] = {}  # the current page's metric sets by ticket id

    def fetch_page(state: dict | None):
        path, params = stream.first_request(state, start)
        try:
            body = get_json(session, api_base + path, params, stream=stream.name, cursor=state,
                            policy=policy, stats=stats, on_unauthorized=on_unauthorized)
            page = stream.parse(body, state, (path, params), ceiling=ceiling)
        except ValueError as exc:  # a body that is JSON but not the expected shape
            raise ExtractionError(stream.name, state, f"unexpected response: {exc}") from exc
        side: dict[str, list] = {}
        canary.begin_page()
        if is_tickets:
            side = ticket_side_loads(page.records, page_metrics)
            canary.tickets_page(page.records, lambda t: t.get("id") in page_metrics)
        return page.records, side, page.next_state, page.next_request is None

    base_row = ((lambda doc: ticket_row(doc, page_metrics.get(doc.get("id") if isinstance(doc, dict)
                                                              else None)))
                if is_tickets else stream.to_row)

    def to_row(doc: Any) -> dict:
        row = base_row(doc)
        canary.row(row)
        return row

    metrics_writer = ticket_metrics_writer(stream.name) if is_tickets else None

    def extra_writer(conn: Connection, side: dict) -> None:
        canary.check(conn)  # raises before anything of a suspicious page is committed
        if metrics_writer is not None:
            metrics_writer(conn, side)
            write_rating_changes(conn, side.get("ratings") or [])

    result = run_pages(
        engine, stream.name, stream.table, fetch_page, to_row,
        quarantine_max_ratio=quarantine_max_ratio, max_pages=max_pages, extra_writer=extra_writer,
    )
    result.api_calls = stats.calls
    if stats.rate_limited or stats.retries or stats.token_renewals:
        log.info("%s: %d API calls, %d 429s waited out, %d retries, %d token renewals, %.1fs waited",
                 stream.name, stats.calls, stats.rate_limited, stats.retries, stats.token_renewals,
                 stats.waited)
    return result


def cursor_ceiling() -> int:
    """The latest epoch second a cursor taken from the data may hold in a run starting now."""
    lag = float(getattr(settings(), "cursor_safety_lag", 60))
    return int(time.time() - lag)


def ticket_side_loads(tickets: list[Any], page_metrics: dict[Any, dict]) -> dict[str, list]:
    """Take each ticket's embedded `metric_set` out of it (the export's `include=metric_sets`
    shape) and collect the ratings the tickets carry (`satisfaction_rating` with an id)."""
    page_metrics.clear()
    metrics: list[Any] = []
    ratings: list[tuple[dict, dict]] = []
    for t in tickets:
        if not isinstance(t, dict):
            continue
        m = t.pop("metric_set", None)
        if isinstance(m, dict):
            if m.get("ticket_id") is None:
                m["ticket_id"] = t.get("id")
            page_metrics[t.get("id")] = m
            metrics.append(m)
        elif m is not None:
            metrics.append(m)  # not an object: quarantined by the metric set writer
        sr = t.get("satisfaction_rating")
        if isinstance(sr, dict) and sr.get("id") is not None:
            ratings.append((t, sr))
    return {"metric_sets": metrics, "ratings": ratings}


_INT64 = 2**63


def _rating_change(ticket: dict, sr: dict, now: dt.datetime) -> dict | None:
    """The warehouse row of a ticket's current rating, or None when it does not fit (the
    ratings stream quarantines such records with their reason)."""
    rid, tid, score = sr.get("id"), ticket.get("id"), sr.get("score")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < _INT64 for v in (rid, tid)):
        return None
    if score not in RATING_SCORES:
        return None
    texts = {k: sr.get(k) for k in ("comment", "reason") if k in sr}
    if any(v is not None and (not isinstance(v, str) or "\x00" in v) for v in texts.values()):
        return None
    reason_id = sr.get("reason_id")
    if reason_id is not None and not (isinstance(reason_id, int) and 0 <= reason_id < _INT64):
        return None
    try:
        updated = parse_time(ticket.get("updated_at"), "updated_at")
    except BadRecord:
        updated = None
    row = {"id": rid, "ticket_id": tid, "score": score, "comment": texts.get("comment") or None,
           "updated_at": updated, "raw": {**sr, "ticket_id": tid}, "extracted_at": now}
    if "reason" in sr or "reason_id" in sr:
        row["reason"] = (texts.get("reason") or None) and texts["reason"][:255]
        row["reason_id"] = reason_id
    return row


_RATING_VALUES = ("score", "comment", "reason", "reason_id")


def _changed(conn: Connection, rows: list[dict]) -> list[dict]:
    """The rows whose rating is new or differs from the warehouse's (one lookup per page):
    most tickets come back for other reasons, with their rating unchanged."""
    if not rows:
        return rows
    t = zd_satisfaction_ratings
    have = {r[0]: r[1:] for r in conn.execute(
        select(t.c.id, *(t.c[c] for c in _RATING_VALUES)).where(t.c.id.in_([r["id"] for r in rows])))}
    out = []
    for r in rows:
        old = have.get(r["id"])
        if old is None or any(r[c] != old[i] for i, c in enumerate(_RATING_VALUES) if c in r):
            out.append(r)
    return out


def write_rating_changes(conn: Connection, pairs: list[tuple[dict, dict]]) -> None:
    """Bring each ticket's current rating into `zd_satisfaction_ratings`.

    Zendesk's rating list filters `start_time` on `created_at`, so a rating changed long
    after it was created (bad -> good) never comes back through it; the ticket export does
    bring it back (the change updates the ticket) with the rating's current score inside.
    Only the score, comment and reason move; a rating not seen yet is inserted with what the
    ticket knows, and the ratings stream fills in the rest when it arrives.
    """
    now = dt.datetime.now(dt.UTC)
    rows = [r for r in (_rating_change(t, sr, now) for t, sr in pairs) if r is not None]
    rows = _changed(conn, rows)
    for with_reason in (True, False):
        group = [r for r in rows if ("reason" in r) == with_reason]
        if group:
            cols = ["score", "comment"] + (["reason", "reason_id"] if with_reason else [])
            upsert(conn, zd_satisfaction_ratings, group, update=cols)


def extract_all(engine: Engine, hook: Any, names: list[str] | None = None, **kwargs) -> dict[str, dict]:
    """Every (or the named) Zendesk stream with one authenticated session."""
    session, api_base = hook.api_session()
    tokens = getattr(hook, "tokens", None)
    out = {}
    for name in names or list(STREAMS):
        began = dt.datetime.now(dt.UTC)
        res = extract_stream(engine, STREAMS[name], session, api_base,
                             on_unauthorized=tokens.invalidate if tokens else None, **kwargs)
        out[name] = {**res.as_dict(), "started": began.isoformat()}
    return out
