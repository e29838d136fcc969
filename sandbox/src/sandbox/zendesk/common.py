"""Zendesk imitation: shared helpers (JSON responses, errors, URLs, cursors, paging SQL).

Responses mirror Zendesk's envelopes and error bodies; every pagination URL is
absolute and built from the request's own scheme and host (as Zendesk's are), and carries
every query parameter the client sent, because clients such as zenpy follow them verbatim.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext

ISO = "%Y-%m-%dT%H:%M:%SZ"
MAX_CURSOR_PAGE = 100


class ZendeskError(Exception):
    """Raised by handlers; turned into Zendesk's `{"error", "description"}` body."""

    def __init__(self, status: int, error: str, description: str | None = None, **extra: Any):
        super().__init__(error)
        self.status = status
        self.body: dict[str, Any] = {"error": error}
        if description is not None:
            self.body["description"] = description
        self.body.update(extra)


def not_found() -> ZendeskError:
    return ZendeskError(404, "RecordNotFound", "Not found")


def invalid(description: str) -> ZendeskError:
    return ZendeskError(400, "InvalidValue", description)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, as Zendesk sends it."""
    data = json.dumps(body, separators=(",", ":"))
    return raw_json(data, status, headers)


def raw_json(data: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response from JSON text assembled without a parse/serialize round trip."""
    return Response(data, status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime(ISO)


def parse_iso(value: str | None) -> int | None:
    if not value:
        return None
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def request_origin(ctx: ServiceContext, request: Request | None) -> str:
    """`scheme://host` the client used: `X-Forwarded-Proto` / `X-Forwarded-Host` from a TLS
    front, else the request's own scheme and `Host` header; the configured address without one."""
    if request is None:
        return ctx.base_url
    headers = request.headers
    scheme = (headers.get("x-forwarded-proto") or request.url.scheme or "http").split(",")[0].strip()
    host = (headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip()
    if not host:
        return ctx.base_url
    return f"{scheme}://{host}"


def api_url(ctx: ServiceContext, path: str, params: dict[str, Any] | None = None,
            request: Request | None = None) -> str:
    """Absolute URL of `path` (relative to /api/v2) at the origin the client reached."""
    url = f"{request_origin(ctx, request)}/api/v2/{path.lstrip('/')}"
    if params:
        url += "?" + urlencode({k: v for k, v in params.items() if v is not None})
    return url


def carried_params(request: Request, *drop: str) -> dict[str, Any]:
    """Every query parameter the client sent (last value wins), minus the paging ones
    that the next link replaces."""
    return {k: v for k, v in request.query_params.items() if k not in drop}


def int_param(request: Request, name: str, default: int | None = None,
              low: int | None = None, high: int | None = None) -> int | None:
    """An integer query parameter, validated into Zendesk's InvalidValue error."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except ValueError as exc:
        raise invalid(f"{name} must be an integer") from exc
    if low is not None and value < low:
        raise invalid(f"{name} must be at least {low}")
    if high is not None and value > high:
        value = high
    return value


def ids_param(request: Request, *names: str, limit: int = 100) -> list[int]:
    """Comma-separated ids from the first present parameter among `names`."""
    raw = next((request.query_params[n] for n in names if request.query_params.get(n)), "")
    try:
        ids = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError as exc:
        raise invalid("ids must be a comma-separated list of integers") from exc
    if not ids:
        raise ZendeskError(400, "InvalidValue", f"{names[0]} is required")
    if len(ids) > limit:
        raise ZendeskError(400, "TooManyValues", f"You can only specify up to {limit} values")
    return ids


# -- cursors -----------------------------------------------------------------------------
def encode_export_cursor(ts: int, seq: int) -> str:
    """Opaque cursor of the incremental exports, in the same style as Zendesk's."""
    return base64.b64encode(f"{ts}.0||{seq}|".encode()).decode()


def decode_export_cursor(cursor: str) -> tuple[int, int]:
    try:
        text = base64.b64decode(cursor.encode(), validate=False).decode()
        ts, _, rest = text.partition("||")
        return int(float(ts)), int(rest.strip("|"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid("The cursor is invalid") from exc


def encode_page_cursor(order: str, ts: int, seq: int) -> str:
    """Cursor of `page[after]`/`page[before]` pagination: base64 JSON like Zendesk's."""
    raw = json.dumps({"o": order, "v": [ts, seq]}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_page_cursor(cursor: str) -> tuple[int, int]:
    try:
        data = json.loads(base64.b64decode(cursor.encode()).decode())
        ts, seq = data["v"]
        return int(ts), int(seq)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise invalid("page[after] / page[before] is not a valid cursor") from exc


# -- paging straight on the store's table ------------------------------------------------
def page_rows(
    ctx: ServiceContext,
    collection: str,
    *,
    order: str = "seq",
    after: tuple[int, int] | None = None,
    before: tuple[int, int] | None = None,
    limit: int = 100,
    where: str = "",
    args: tuple = (),
    min_ts: int | None = None,
    max_ts: int | None = None,
    offset: int = 0,
) -> list[tuple[int, int, str]]:
    """Rows (ts, seq, raw doc) in (ts, seq) or seq order, after/before a key, by index seek.

    `where` is an extra SQL condition on `doc` (e.g. json_extract filters).
    """
    key = "ts, seq" if order == "ts" else "seq"
    clauses = ["collection = ?"]
    params: list[Any] = [collection]
    if order == "ts":
        if after is not None:
            clauses.append("(ts, seq) > (?, ?)")
            params += list(after)
        if before is not None:
            clauses.append("(ts, seq) < (?, ?)")
            params += list(before)
    else:
        if after is not None:
            clauses.append("seq > ?")
            params.append(after[1])
        if before is not None:
            clauses.append("seq < ?")
            params.append(before[1])
    if min_ts is not None:
        clauses.append("ts >= ?")
        params.append(min_ts)
    if max_ts is not None:
        clauses.append("ts <= ?")
        params.append(max_ts)
    if where:
        clauses.append(f"({where})")
        params += list(args)
    direction = "DESC" if before is not None and after is None else "ASC"
    order_sql = ", ".join(f"{c.strip()} {direction}" for c in key.split(","))
    sql = (f"SELECT ts, seq, doc FROM docs WHERE {' AND '.join(clauses)} "
           f"ORDER BY {order_sql} LIMIT ? OFFSET ?")
    rows = ctx.store.conn.execute(sql, (*params, limit, offset)).fetchall()
    if direction == "DESC":
        rows.reverse()
    return rows


def count_rows(ctx: ServiceContext, collection: str, where: str = "", args: tuple = ()) -> int:
    sql = "SELECT COUNT(*) FROM docs WHERE collection = ?"
    if where:
        sql += f" AND ({where})"
    return ctx.store.conn.execute(sql, (collection, *args)).fetchone()[0]


def join_docs(docs: list[str]) -> str:
    return "[" + ",".join(docs) + "]"


def list_response(
    ctx: ServiceContext,
    request: Request,
    collection: str,
    key: str,
    path: str,
    *,
    order: str = "seq",
    where: str = "",
    args: tuple = (),
    min_ts: int | None = None,
    max_ts: int | None = None,
    default_cursor: bool = False,
    extra_params: dict[str, Any] | None = None,
) -> Response:
    """A list endpoint with both of Zendesk's styles.

    Cursor style when `page[size]`/`page[after]`/`page[before]` is given (or by default
    for endpoints that only have it): `{key, meta:{has_more, after_cursor, before_cursor},
    links:{next, prev}}`. Otherwise offset style: `{key, next_page, previous_page, count}`.
    """
    q = request.query_params
    extra = {**carried_params(request, "page[after]", "page[before]", "page[size]", "page",
                              "per_page"), **(extra_params or {})}
    conds = [c for c in (where, "ts >= ?" if min_ts is not None else "",
                         "ts <= ?" if max_ts is not None else "") if c]
    cond = " AND ".join(f"({c})" for c in conds)
    cargs = (*args, *(v for v in (min_ts, max_ts) if v is not None))
    cursor_mode = default_cursor or any(k in q for k in ("page[size]", "page[after]", "page[before]"))
    if cursor_mode:
        size = int_param(request, "page[size]", MAX_CURSOR_PAGE, low=1, high=MAX_CURSOR_PAGE) or MAX_CURSOR_PAGE
        after = decode_page_cursor(q["page[after]"]) if q.get("page[after]") else None
        before = decode_page_cursor(q["page[before]"]) if q.get("page[before]") and not after else None
        rows = page_rows(ctx, collection, order=order, after=after, before=before, limit=size + 1,
                         where=cond, args=cargs)
        has_more = len(rows) > size
        if has_more:
            rows = rows[-size:] if before is not None else rows[:size]
        first = encode_page_cursor(order, rows[0][0], rows[0][1]) if rows else None
        last = encode_page_cursor(order, rows[-1][0], rows[-1][1]) if rows else None
        link = {**extra, "page[size]": size}
        meta = {"has_more": has_more, "after_cursor": last, "before_cursor": first}
        links = {
            "prev": api_url(ctx, path, {**link, "page[before]": first}, request) if first else None,
            "next": api_url(ctx, path, {**link, "page[after]": last}, request) if last else None,
        }
        tail = json.dumps({"meta": meta, "links": links}, separators=(",", ":"))[1:]
        return raw_json(f'{{"{key}":{join_docs([r[2] for r in rows])},{tail}')
    per_page = int_param(request, "per_page", 100, low=1, high=100) or 100
    page = int_param(request, "page", 1, low=1) or 1
    rows = page_rows(ctx, collection, order=order, limit=per_page, offset=(page - 1) * per_page,
                     where=cond, args=cargs)
    total = count_rows(ctx, collection, cond, cargs)
    link = {**extra, "per_page": per_page if "per_page" in q else None}
    tail = json.dumps({
        "next_page": (api_url(ctx, path, {**link, "page": page + 1}, request)
                      if page * per_page < total else None),
        "previous_page": api_url(ctx, path, {**link, "page": page - 1}, request) if page > 1 else None,
        "count": total,
    }, separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{join_docs([r[2] for r in rows])},{tail}')
