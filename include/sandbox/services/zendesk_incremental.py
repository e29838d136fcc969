"""Zendesk imitation: incremental exports (cursor- and time-based).

Documents are paged by index seek on (ts, seq) = (generated_timestamp or updated_at, id)
and sent as stored JSON text, so a page of 1000 tickets costs one range read whatever
the size of the collection. As in Zendesk, items changed in the last minute are held
back, and the last page still carries a cursor to resume from on the next poll.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.app import ServiceContext
from sandbox.collections import ZD_TICKET_METRICS

from .zendesk_common import (
    api_url,
    decode_export_cursor,
    encode_export_cursor,
    int_param,
    invalid,
    join_docs,
    page_rows,
    raw_json,
)

MAX_PER_PAGE = 1000
HOLD_BACK_SECONDS = 60
# A time-based page is extended to the end of its last second, up to this many extra items.
SAME_SECOND_CAP = 10000
SIDELOADS = {"metric_sets": (ZD_TICKET_METRICS, "metric_sets")}


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("true", "1", "yes")


def _select(rows: list[tuple[int, int, str]], exclude_deleted: bool) -> list[str]:
    """Raw docs of a page, without deleted items when asked (cheap text pre-check first)."""
    if not exclude_deleted:
        return [r[2] for r in rows]
    out = []
    for _, _, doc in rows:
        if '"deleted"' in doc and json.loads(doc).get("status") == "deleted":
            continue
        out.append(doc)
    return out


def _sideload(ctx: ServiceContext, request: Request, rows: list[tuple[int, int, str]],
              docs: list[str]) -> str:
    """`,"metric_sets":[...]` for `include=metric_sets`, keyed by the page's ticket ids."""
    wanted = [s.strip() for s in request.query_params.get("include", "").split(",") if s.strip()]
    parts = []
    for name in wanted:
        if name not in SIDELOADS:
            continue
        collection, key = SIDELOADS[name]
        kept = set(docs)
        found = ctx.store.get_many_raw(collection, [seq for _, seq, doc in rows if doc in kept])
        parts.append(f',"{key}":{join_docs(found)}')
    return "".join(parts)


def _passthrough(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {k: q[k] for k in ("per_page", "include", "exclude_deleted") if q.get(k)}


def _start(request: Request, now: int) -> int:
    start = int_param(request, "start_time")
    if start is None:
        raise invalid("start_time is required")
    if start > now - HOLD_BACK_SECONDS:
        raise invalid("Too recent start_time. Use a start_time older than one minute.")
    return start


def cursor_export(ctx: ServiceContext, request: Request, collection: str, key: str,
                  path: str) -> Response:
    """`/incremental/<x>/cursor.json`: {key, after_url, after_cursor, before_url,
    before_cursor, end_of_stream}; the next page is `?cursor=<after_cursor>`."""
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
    docs = _select(rows, _flag(request, "exclude_deleted"))
    tail = json.dumps({
        "after_url": api_url(ctx, path, {"cursor": next_cursor, **_passthrough(request)}),
        "after_cursor": next_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }, separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{join_docs(docs)}{_sideload(ctx, request, rows, docs)},{tail}')


def time_export(ctx: ServiceContext, request: Request, collection: str, key: str,
                path: str) -> Response:
    """`/incremental/<x>.json`: {key, next_page, end_time, count, end_of_stream}.

    Like Zendesk, a page runs to the end of the second of its last item, so the next
    `start_time=end_time` neither skips nor (usually) repeats items.
    """
    now = int(ctx.now())
    max_ts = now - HOLD_BACK_SECONDS
    per_page = int_param(request, "per_page", MAX_PER_PAGE, low=1, high=MAX_PER_PAGE) or MAX_PER_PAGE
    start = _start(request, now)
    rows = page_rows(ctx, collection, order="ts", after=(start, -1), max_ts=max_ts, limit=per_page)
    end_time = start
    if rows:
        last_ts, last_seq = rows[-1][0], rows[-1][1]
        rest = page_rows(ctx, collection, order="ts", after=(last_ts, last_seq),
                         max_ts=last_ts, limit=SAME_SECOND_CAP)
        rows += rest
        end_time = last_ts + 1 if len(rest) < SAME_SECOND_CAP else last_ts
    more = page_rows(ctx, collection, order="ts", after=(rows[-1][0], rows[-1][1]) if rows
                     else (start, -1), max_ts=max_ts, limit=1)
    docs = _select(rows, _flag(request, "exclude_deleted"))
    tail = json.dumps({
        "next_page": api_url(ctx, path, {**_passthrough(request), "start_time": end_time}),
        "end_time": end_time,
        "count": len(docs),
        "end_of_stream": not more,
    }, separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{join_docs(docs)}{_sideload(ctx, request, rows, docs)},{tail}')
