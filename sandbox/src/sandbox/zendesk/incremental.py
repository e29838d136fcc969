"""Zendesk imitation: incremental exports (cursor- and time-based).

Documents are paged by index seek on (ts, seq) = (generated_timestamp or updated_at, id)
and sent as stored JSON text, so a page of 1000 tickets costs one range read whatever
the size of the collection. As in Zendesk, items changed in the last minute are held
back, and the last page still carries a cursor to resume from on the next poll.
"""

from __future__ import annotations

import json
import re

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import ZD_TICKET_METRICS, ZD_TICKETS
from sandbox.zendesk.common import (
    api_url,
    carried_params,
    decode_export_cursor,
    encode_export_cursor,
    int_param,
    invalid,
    join_docs,
    list_response,
    page_rows,
    raw_json,
)

MAX_PER_PAGE = 1000
HOLD_BACK_SECONDS = 60
# `include=metric_sets` puts each ticket's metric set inside the ticket as `metric_set`
# (none for deleted tickets), the shape Zendesk returns and tap-zendesk reads.
EMBEDDED = {"metric_sets": (ZD_TICKET_METRICS, "metric_set")}


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("true", "1", "yes")


def _is_deleted(doc: str) -> bool:
    """The store keeps compact JSON, so a text check settles most documents without parsing."""
    return '"status":"deleted"' in doc and json.loads(doc).get("status") == "deleted"


def _select(rows: list[tuple[int, int, str]], exclude_deleted: bool) -> list[tuple[int, str]]:
    """(id, raw doc) of a page, without deleted items when asked."""
    return [(seq, doc) for _, seq, doc in rows if not (exclude_deleted and _is_deleted(doc))]


def _raw_by_key(ctx: ServiceContext, collection: str, keys: list[int]) -> dict[str, str]:
    """Raw docs by key (metric sets are keyed by ticket id), through the primary-key index."""
    out: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        chunk = [str(k) for k in keys[i : i + 500]]
        marks = ",".join("?" * len(chunk))
        out.update(ctx.store.conn.execute(
            f"SELECT key, doc FROM docs WHERE collection=? AND key IN ({marks})",
            (collection, *chunk)).fetchall())
    return out


def _embed(ctx: ServiceContext, request: Request, items: list[tuple[int, str]],
           collection: str) -> str:
    """The page's JSON array: each non-deleted ticket carrying its side-loads (`metric_set`),
    spliced into the stored JSON text in one join, without a parse/serialize round trip."""
    wanted = [s.strip() for s in request.query_params.get("include", "").split(",") if s.strip()]
    kinds = [EMBEDDED[w] for w in wanted if w in EMBEDDED] if collection == ZD_TICKETS else []
    if not kinds:
        return join_docs([doc for _, doc in items])
    live = [seq for seq, doc in items if not _is_deleted(doc)]
    found = [(field, _raw_by_key(ctx, coll, live)) for coll, field in kinds]
    parts: list[str] = ["["]
    for n, (seq, doc) in enumerate(items):
        if n:
            parts.append(",")
        key = str(seq)
        adds = [(field, by[key]) for field, by in found if key in by]
        if adds and doc.endswith("}"):
            parts.append(doc[:-1])
            for field, raw in adds:
                parts += [',"', field, '":', raw]
            parts.append("}")
        else:
            parts.append(doc)
    parts.append("]")
    return "".join(parts)


def _start(request: Request, now: int) -> int:
    """`start_time` as Zendesk reads it: the integer its text begins with.

    Production clients show the leniency: tap-zendesk checks access with
    `start_time=<ISO date-time>` (organizations) and `start_time=<now>` (metric events) and
    fails on any answer but 200 or 403, so Zendesk answers both with 200. A start within the
    last minute gives an empty page: items changed in the last minute are held back, and the
    page's end (`end_time` / cursor) stays at the start, so nothing is skipped.
    """
    raw = request.query_params.get("start_time")
    if raw is None or raw.strip() == "":
        raise invalid("start_time is required")
    digits = re.match(r"\s*([+-]?\d+)", raw)
    return int(digits.group(1)) if digits else 0


def cursor_export(ctx: ServiceContext, request: Request, collection: str, key: str,
                  path: str) -> Response:
    """`/incremental/<x>/cursor.json`: {key, after_url, after_cursor, before_url,
    before_cursor, end_of_stream}; the next page is `?cursor=<after_cursor>`, and
    `after_url` carries the client's other parameters (not `start_time`)."""
    now = int(ctx.now())
    per_page = int_param(request, "per_page", MAX_PER_PAGE, low=1, high=MAX_PER_PAGE) or MAX_PER_PAGE
    cursor = request.query_params.get("cursor")
    if cursor:
        after = decode_export_cursor(cursor)
    else:
        after = (_start(request, now), -1)
    rows = page_rows(ctx, collection, order="ts", after=after, max_ts=now - HOLD_BACK_SECONDS,
                     limit=per_page + 1)
    end_of_stream = len(rows) <= per_page
    rows = rows[:per_page]
    last = (rows[-1][0], rows[-1][1]) if rows else after
    next_cursor = encode_export_cursor(*last)
    docs = _embed(ctx, request, _select(rows, _flag(request, "exclude_deleted")), collection)
    tail = json.dumps({
        "after_url": api_url(ctx, path, {"cursor": next_cursor,
                                         **carried_params(request, "cursor", "start_time")},
                             request),
        "after_cursor": next_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }, separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{docs},{tail}')


def time_export(ctx: ServiceContext, request: Request, collection: str, key: str,
                path: str, cursor_pages: bool = False) -> Response:
    """`/incremental/<x>.json`: {key, next_page, end_time, count, end_of_stream}.

    As Zendesk's recorded pages show, a page runs on to the end of the second of its last
    item (`per_page=1` returned all 7 tickets of one second, `end_time` = that second + 1),
    but never past 1000 items: a page cut inside a second ends with `end_time` = that
    second, so the next page repeats it; when 1000 or more items share the page's first
    second, `end_time` equals `start_time` and the export cannot move on by itself.
    """
    now = int(ctx.now())
    max_ts = now - HOLD_BACK_SECONDS
    start = _start(request, now)
    q = request.query_params
    if cursor_pages and any(k in q for k in ("page[size]", "page[after]", "page[before]")):
        # The ticket metric event export also pages by cursor (at most 100 per page, in
        # chronological order) when asked; otherwise it is a time-based export.
        return list_response(ctx, request, collection, key, path, order="ts", min_ts=start,
                             max_ts=max_ts)
    per_page = int_param(request, "per_page", MAX_PER_PAGE, low=1, high=MAX_PER_PAGE) or MAX_PER_PAGE
    rows = page_rows(ctx, collection, order="ts", after=(start, -1), max_ts=max_ts, limit=per_page)
    end_time = start
    if rows:
        last_ts, last_seq = rows[-1][0], rows[-1][1]
        room = MAX_PER_PAGE - len(rows)
        rest = page_rows(ctx, collection, order="ts", after=(last_ts, last_seq),
                         max_ts=last_ts, limit=room + 1)
        complete = len(rest) <= room  # the whole of the last second fits on this page
        rows += rest[:room]
        end_time = last_ts + 1 if complete else last_ts
    more = page_rows(ctx, collection, order="ts", after=(rows[-1][0], rows[-1][1]) if rows
                     else (start, -1), max_ts=max_ts, limit=1)
    items = _select(rows, _flag(request, "exclude_deleted"))
    docs = _embed(ctx, request, items, collection)
    tail = json.dumps({
        "next_page": api_url(ctx, path, {**carried_params(request, "start_time"),
                                         "start_time": end_time}, request),
        "end_time": end_time,
        "count": len(items),
        "end_of_stream": not more,
    }, separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{docs},{tail}')
