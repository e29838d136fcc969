"""Zendesk imitation: satisfaction ratings, ticket metrics, views and their counts, and the
small reference lists (ticket forms, SLA policies, organization fields, satisfaction reasons).

Filters run as SQL on the stored JSON (json_extract) so that paging stays inside SQLite
even for large collections. View counts translate a view's conditions into SQL (live on
small data); on large data (> 50k tickets) a view's stored `count` (the generator's
snapshot) is used when present, else the computed count is cached for a minute.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import (
    ZD_ORGANIZATION_FIELDS,
    ZD_SATISFACTION_RATINGS,
    ZD_SATISFACTION_REASONS,
    ZD_SLA_POLICIES,
    ZD_TICKET_FORMS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_VIEWS,
)
from sandbox.zendesk.common import (
    api_url,
    carried_params,
    ids_param,
    int_param,
    invalid,
    iso,
    join_docs,
    json_response,
    list_response,
    not_found,
    raw_json,
)

_SCORE = "json_extract(doc, '$.score')"
_HAS_COMMENT = "COALESCE(json_extract(doc, '$.comment'), '') != ''"
SCORE_FILTERS: dict[str, str] = {
    "offered": f"{_SCORE} = 'offered'",
    "unoffered": f"{_SCORE} = 'unoffered'",
    "received": f"{_SCORE} IN ('good', 'bad')",
    "received_with_comment": f"{_SCORE} IN ('good', 'bad') AND {_HAS_COMMENT}",
    "received_without_comment": f"{_SCORE} IN ('good', 'bad') AND NOT {_HAS_COMMENT}",
    "good": f"{_SCORE} = 'good'",
    "bad": f"{_SCORE} = 'bad'",
    "good_with_comment": f"{_SCORE} = 'good' AND {_HAS_COMMENT}",
    "bad_with_comment": f"{_SCORE} = 'bad' AND {_HAS_COMMENT}",
    "good_without_comment": f"{_SCORE} = 'good' AND NOT {_HAS_COMMENT}",
    "bad_without_comment": f"{_SCORE} = 'bad' AND NOT {_HAS_COMMENT}",
}
MAX_VIEW_IDS = 20
STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"]
PRIORITY_ORDER = ["low", "normal", "high", "urgent"]
ID_FIELDS = {"group_id", "assignee_id", "organization_id", "requester_id", "ticket_form_id",
             "brand_id", "type", "via_id", "recipient"}
COUNT_CACHE_SECONDS = 60
LARGE = 50_000


def _ordered(field: str, op: str, value: str) -> tuple[str, tuple] | None:
    order = STATUS_ORDER if field == "status" else PRIORITY_ORDER
    col = f"json_extract(doc, '$.{field}')"
    value = str(value).lower()
    if value not in order:
        return None
    i = order.index(value)
    picks = {
        "is": order[i : i + 1], "is_not": order[:i] + order[i + 1 :],
        "less_than": order[:i], "greater_than": order[i + 1 :],
        "less_than_equal": order[: i + 1], "greater_than_equal": order[i:],
    }.get(op)
    if picks is None:
        return None
    if not picks:
        return "0", ()
    return f"{col} IN ({','.join('?' * len(picks))})", tuple(picks)


def _condition_sql(cond: dict) -> tuple[str, tuple] | None:
    """One view condition as SQL on a ticket doc; None when the sandbox cannot evaluate it."""
    field, op, value = cond.get("field"), cond.get("operator"), cond.get("value")
    if field in ("status", "priority"):
        return _ordered(field, op, value)
    if field in ("current_tags", "tags"):
        tags = str(value or "").split()
        if not tags:
            return None
        exists = (f"EXISTS (SELECT 1 FROM json_each(doc, '$.tags') AS t "
                  f"WHERE t.value IN ({','.join('?' * len(tags))}))")
        if op == "includes":
            return exists, tuple(tags)
        if op == "not_includes":
            return f"NOT {exists}", tuple(tags)
        return None
    if field in ID_FIELDS:
        col = f"json_extract(doc, '$.{field}')"
        if value in (None, "", "null"):
            return (f"{col} IS NULL", ()) if op == "is" else (f"{col} IS NOT NULL", ())
        val: Any = int(value) if str(value).isdigit() else value
        if op == "is":
            return f"{col} = ?", (val,)
        if op == "is_not":
            return f"({col} IS NULL OR {col} != ?)", (val,)
    return None


def view_sql(conditions: dict | None) -> tuple[str, tuple]:
    """A view's `{"all": [...], "any": [...]}` as one SQL condition (deleted tickets never count)."""
    parts, args = ["json_extract(doc, '$.status') != 'deleted'"], []
    conditions = conditions or {}
    for cond in conditions.get("all") or []:
        got = _condition_sql(cond)
        if got:
            parts.append(got[0])
            args += got[1]
    anys = [c for c in (_condition_sql(x) for x in conditions.get("any") or []) if c]
    if anys:
        parts.append("(" + " OR ".join(f"({c[0]})" for c in anys) + ")")
        for c in anys:
            args += c[1]
    return " AND ".join(f"({p})" for p in parts), tuple(args)


def pretty(value: int) -> str:
    """Zendesk's approximate display of a count ("~700", "~12k")."""
    if value < 100:
        return str(value)
    if value < 1000:
        return f"~{value // 100 * 100}"
    return f"~{value // 1000}k"


# -- satisfaction ratings ------------------------------------------------------------------
# Zendesk documents `start_time` as the "time of the oldest satisfaction rating" and
# `end_time` as the "time of the most recent satisfaction rating", and lists ratings
# "ordered chronologically by created date": both filter on `created_at`. A later change of
# a rating (bad -> good) moves its `updated_at` only; it does not bring it back into a
# `start_time` window (see docs/zendesk-api-shapes.md for how such a change travels).
# `sort` names the order (`created_at`, `updated_at`, `id`; a leading `-` for descending) and
# is also the cursor's order, as documented for the list's `sort` parameter.
RATING_SORTS = {"created_at": "json_extract(doc, '$.created_at')",
                "updated_at": "json_extract(doc, '$.updated_at')", "id": "seq"}
DEFAULT_RATING_SORT = "created_at"


def _rating_sort(request: Request) -> tuple[str, str, bool]:
    """(sort as sent, SQL key expression, descending)."""
    raw = request.query_params.get("sort") or DEFAULT_RATING_SORT
    field = raw.removeprefix("-")
    if field not in RATING_SORTS:
        raise invalid(f"sort must be one of {', '.join(RATING_SORTS)} (optionally prefixed with -)")
    return raw, RATING_SORTS[field], raw.startswith("-")


def _rating_cursor(sort: str, key: Any, seq: int) -> str:
    raw = json.dumps({"o": sort, "v": [key, seq]}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _decode_rating_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.b64decode(cursor.encode()).decode())
        key, seq = data["v"]
        if data.get("o") != sort:
            raise ValueError("cursor of another sort order")
        return key, int(seq)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise invalid("page[after] / page[before] is not a valid cursor for this sort") from exc


RATING_INDEX = "docs_zd_ratings_created"
_INDEXED: set[tuple[str, int]] = set()
_INDEX_LOCK = threading.Lock()


def _ensure_rating_index(ctx: ServiceContext) -> None:
    """A partial index on the ratings' `created_at`, so that a `start_time` page is an index
    range read and not a scan of every rating (hundreds of thousands at 1M tickets)."""
    path = ctx.store.path
    try:
        ident = (path, os.stat(path).st_ino)
    except OSError:
        ident = (path, 0)
    if ident in _INDEXED:
        return
    with _INDEX_LOCK:
        if ident not in _INDEXED:
            ctx.store.conn.execute(
                f"CREATE INDEX IF NOT EXISTS {RATING_INDEX} ON docs "
                f"({RATING_SORTS['created_at']}, seq) WHERE collection = '{ZD_SATISFACTION_RATINGS}'")
            ctx.store.conn.commit()
            _INDEXED.add(ident)


def ratings_list(ctx: ServiceContext, request: Request) -> Response:
    """`GET /satisfaction_ratings`: `score`, `start_time`/`end_time` on `created_at`, `sort`;
    cursor pagination (`page[size]` <= 100) or offset pagination, links carrying every
    parameter the client sent."""
    q = request.query_params
    score = q.get("score")
    if score and score not in SCORE_FILTERS:
        raise invalid(f"score must be one of {', '.join(SCORE_FILTERS)}")
    sort, key_sql, desc = _rating_sort(request)
    created = RATING_SORTS["created_at"]
    _ensure_rating_index(ctx)
    # The collection as a literal, so that SQLite can use the partial index on created_at.
    conds, args = [f"collection = '{ZD_SATISFACTION_RATINGS}'"], []
    if score:
        conds.append(f"({SCORE_FILTERS[score]})")
    start, end = int_param(request, "start_time"), int_param(request, "end_time")
    if start is not None:
        conds.append(f"{created} >= ?")
        args.append(iso(start))
    if end is not None:
        conds.append(f"{created} <= ?")
        args.append(iso(end))
    where, base_args = " AND ".join(conds), list(args)
    # The planner prefers the primary key (collection equality) and sorts every rating.
    hint = f" INDEXED BY {RATING_INDEX}" if key_sql == created else ""
    link = carried_params(request, "page[after]", "page[before]", "page[size]", "page", "per_page")
    cursor_mode = any(k in q for k in ("page[size]", "page[after]", "page[before]"))
    if not cursor_mode:
        per_page = int_param(request, "per_page", 100, low=1, high=100) or 100
        page = int_param(request, "page", 1, low=1) or 1
        direction = "DESC" if desc else "ASC"
        rows = ctx.store.conn.execute(
            f"SELECT doc FROM docs{hint} WHERE {where} ORDER BY {key_sql} {direction}, seq {direction} "
            "LIMIT ? OFFSET ?", (*base_args, per_page, (page - 1) * per_page)).fetchall()
        total = ctx.store.conn.execute(f"SELECT COUNT(*) FROM docs WHERE {where}",
                                       base_args).fetchone()[0]
        link["per_page"] = per_page if "per_page" in q else None
        tail = json.dumps({
            "next_page": (api_url(ctx, "satisfaction_ratings", {**link, "page": page + 1}, request)
                          if page * per_page < total else None),
            "previous_page": (api_url(ctx, "satisfaction_ratings", {**link, "page": page - 1}, request)
                              if page > 1 else None),
            "count": total,
        }, separators=(",", ":"))[1:]
        return raw_json(f'{{"satisfaction_ratings":{join_docs([r[0] for r in rows])},{tail}')
    size = int_param(request, "page[size]", 100, low=1, high=100) or 100
    after = _decode_rating_cursor(q["page[after]"], sort) if q.get("page[after]") else None
    before = (_decode_rating_cursor(q["page[before]"], sort)
              if q.get("page[before]") and after is None else None)
    backwards = before is not None
    conds_page, page_args = [where], list(base_args)
    bound = after or before
    if bound is not None:
        # after = further along the sort order; before = further back.
        op = ">" if (bound is after) != desc else "<"
        conds_page.append(f"({key_sql}, seq) {op} (?, ?)")
        page_args += [bound[0], bound[1]]
    forward_dir = "DESC" if desc else "ASC"
    direction = ({"ASC": "DESC", "DESC": "ASC"}[forward_dir]) if backwards else forward_dir
    rows = ctx.store.conn.execute(
        f"SELECT {key_sql}, seq, doc FROM docs{hint} WHERE {' AND '.join(conds_page)} "
        f"ORDER BY {key_sql} {direction}, seq {direction} LIMIT ?", (*page_args, size + 1)).fetchall()
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    first = _rating_cursor(sort, rows[0][0], rows[0][1]) if rows else None
    last = _rating_cursor(sort, rows[-1][0], rows[-1][1]) if rows else None
    link["page[size]"] = size
    meta = {"has_more": has_more, "after_cursor": last, "before_cursor": first}
    links = {
        "prev": (api_url(ctx, "satisfaction_ratings", {**link, "page[before]": first}, request)
                 if first else None),
        "next": (api_url(ctx, "satisfaction_ratings", {**link, "page[after]": last}, request)
                 if last else None),
    }
    tail = json.dumps({"meta": meta, "links": links}, separators=(",", ":"))[1:]
    return raw_json(f'{{"satisfaction_ratings":{join_docs([r[2] for r in rows])},{tail}')


def misc_handlers(ctx: ServiceContext) -> dict[str, Any]:
    """The handlers, by name; zendesk.py wires them to paths."""

    def view_count(view_id: int, request: Request | None = None) -> dict | None:
        view = ctx.store.get(ZD_VIEWS, view_id)
        if view is None:
            return None
        conditions = view.get("conditions") or (
            {"all": view.get("all") or [], "any": view.get("any") or []}
            if view.get("all") or view.get("any") else None)
        large = ctx.store.count(ZD_TICKETS) > LARGE
        fixed = view.get("count")
        if isinstance(fixed, int) and (conditions is None or large):
            value = fixed
        else:
            cache = ctx.extra.setdefault("zd_view_counts", {})
            key = (view_id, view.get("updated_at"))
            hit = cache.get(key)
            if hit and hit[1] > time.monotonic():
                value = hit[0]
            else:
                where, args = view_sql(conditions)
                value = ctx.store.conn.execute(
                    f"SELECT COUNT(*) FROM docs WHERE collection = ? AND {where}",
                    (ZD_TICKETS, *args)).fetchone()[0]
                if large:
                    cache[key] = (value, time.monotonic() + COUNT_CACHE_SECONDS)
        return {"view_id": view_id, "url": api_url(ctx, f"views/{view_id}/count.json", request=request),
                "value": value, "pretty": pretty(value), "fresh": True}

    async def satisfaction_ratings(request: Request) -> Response:
        return ratings_list(ctx, request)

    async def satisfaction_rating(request: Request) -> Response:
        doc = ctx.store.get(ZD_SATISFACTION_RATINGS, request.path_params["id"])
        if doc is None:
            raise not_found()
        return json_response({"satisfaction_rating": doc})

    async def satisfaction_reasons(request: Request) -> Response:
        return list_response(ctx, request, ZD_SATISFACTION_REASONS, "reasons",
                             "satisfaction_reasons.json")

    async def ticket_metrics(request: Request) -> Response:
        return list_response(ctx, request, ZD_TICKET_METRICS, "ticket_metrics", "ticket_metrics.json")

    async def ticket_metric(request: Request) -> Response:
        metric_id = request.path_params["id"]
        doc = ctx.store.get(ZD_TICKET_METRICS, metric_id)
        if doc is None or doc.get("id") != metric_id:
            row = ctx.store.conn.execute(
                "SELECT doc FROM docs WHERE collection = ? AND json_extract(doc, '$.id') = ? LIMIT 1",
                (ZD_TICKET_METRICS, metric_id)).fetchone()
            if row:
                return raw_json(f'{{"ticket_metric":{row[0]}}}')
        if doc is None:
            raise not_found()
        return json_response({"ticket_metric": doc})

    async def ticket_metrics_of_ticket(request: Request) -> Response:
        doc = ctx.store.get(ZD_TICKET_METRICS, request.path_params["id"])
        if doc is None:
            raise not_found()
        return json_response({"ticket_metric": doc})

    async def ticket_forms(request: Request) -> Response:
        return list_response(ctx, request, ZD_TICKET_FORMS, "ticket_forms", "ticket_forms.json")

    async def sla_policies(request: Request) -> Response:
        return list_response(ctx, request, ZD_SLA_POLICIES, "sla_policies", "slas/policies.json")

    async def organization_fields(request: Request) -> Response:
        return list_response(ctx, request, ZD_ORGANIZATION_FIELDS, "organization_fields",
                             "organization_fields.json")

    async def views(request: Request) -> Response:
        return list_response(ctx, request, ZD_VIEWS, "views", "views.json")

    async def view(request: Request) -> Response:
        doc = ctx.store.get(ZD_VIEWS, request.path_params["id"])
        if doc is None:
            raise not_found()
        return json_response({"view": doc})

    async def views_count(request: Request) -> Response:
        return json_response({"count": {"value": ctx.store.count(ZD_VIEWS),
                                        "refreshed_at": iso(ctx.now()).replace("Z", "+00:00")}})

    async def view_count_one(request: Request) -> Response:
        got = view_count(request.path_params["id"], request)
        if got is None:
            raise not_found()
        return json_response({"view_count": got})

    async def views_count_many(request: Request) -> Response:
        ids = ids_param(request, "ids", "count_many", limit=MAX_VIEW_IDS)
        counts = [c for c in (view_count(i, request) for i in ids) if c is not None]
        return json_response({"view_counts": counts})

    return {name: fn for name, fn in locals().items()
            if callable(fn) and not name.startswith("_") and name != "view_count"}
