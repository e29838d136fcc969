"""Zendesk imitation: the account catalogue other Zendesk clients read on their way in.

Groups and group memberships, ticket and user fields, tags, macros, account settings, the
current OAuth token, Talk phone numbers, and search (`search.json`, `search/count.json`,
`search/export.json`). The Singer `tap-zendesk` calls these during discovery (it aborted
on the first 404 before they existed) and zenpy exposes each as an API.

Nothing here is written to the store: groups come from the agents' `default_group_id`
(named as the generator names them), memberships are one per agent, tags are counted over
the tickets updated in the last 60 days, ticket fields are Zendesk's system fields, and
macros are the default ones every new account has. Derived lists are cached for a minute.

Shapes follow Zendesk's API reference (developer.zendesk.com/api-reference/ticketing/...:
groups, group_memberships, ticket_fields, user_fields, tags, macros, account_settings,
oauth_tokens, search, talk phone_numbers) and zenpy's recorded responses; see
docs/conformance.md for the list and the search syntax the sandbox understands.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import ZD_ORGANIZATIONS, ZD_TICKETS, ZD_USERS
from sandbox.zendesk.common import ZendeskError, int_param, invalid, iso, json_response, not_found

CACHE_SECONDS = 60
MAX_PAGE = 100
MAX_EXPORT_PAGE = 1000
SEARCH_LIMIT = 1000  # Zendesk returns at most 1,000 results per query
TAG_WINDOW_DAYS = 60
MEMBERSHIP_OFFSET = 1_000_000_000_000  # membership id = agent id + offset (one per agent)
TICKET_FIELD_BASE = 360_000_009_000
MACRO_BASE = 360_000_011_000
ACCOUNT_SINCE = "2019-07-01T00:00:00Z"  # when the catalogue objects were "created"
OAUTH_CLIENT_ID = 360_000_013_001
STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"]
PRIORITY_ORDER = ["low", "normal", "high", "urgent"]


# -- URLs and paging of in-memory lists ---------------------------------------------------
def origin(ctx: ServiceContext, request: Request) -> str:
    """`scheme://host` the client used (a TLS front sets X-Forwarded-Proto/Host)."""
    headers = request.headers
    scheme = (headers.get("x-forwarded-proto") or request.url.scheme or "http").split(",")[0]
    host = (headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0]
    return f"{scheme.strip()}://{host.strip()}" if host.strip() else ctx.base_url


def link(ctx: ServiceContext, request: Request, path: str, params: dict[str, Any]) -> str:
    """Absolute URL of `path` (relative to /api/v2) with `params`, at the client's origin."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{origin(ctx, request)}/api/v2/{path}" + (f"?{query}" if query else "")


def _carried(request: Request, *drop: str) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k not in drop}


def _encode_position(pos: int) -> str:
    return base64.b64encode(json.dumps({"o": "id", "v": pos}).encode()).decode()


def _decode_position(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor.encode()).decode())["v"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise invalid("page[after] / page[before] is not a valid cursor") from exc


def paged(ctx: ServiceContext, request: Request, key: str, path: str, items: list[dict]) -> Response:
    """A list in either of Zendesk's pagination styles (cursor when any `page[...]` is sent)."""
    q = request.query_params
    if any(k in q for k in ("page[size]", "page[after]", "page[before]")):
        size = int_param(request, "page[size]", MAX_PAGE, low=1, high=MAX_PAGE) or MAX_PAGE
        if q.get("page[after]"):
            start = _decode_position(q["page[after]"]) + 1
            end = start + size
        elif q.get("page[before]"):
            end = _decode_position(q["page[before]"])
            start = max(0, end - size)
        else:
            start, end = 0, size
        start, end = max(0, start), max(0, min(end, len(items)))
        page = items[start:end]
        has_more = end < len(items) if not q.get("page[before]") else start > 0
        first = _encode_position(start) if page else None
        last = _encode_position(end - 1) if page else None
        carry = _carried(request, "page[after]", "page[before]", "page[size]")
        carry["page[size]"] = size
        return json_response({
            key: page,
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "prev": link(ctx, request, path, {**carry, "page[before]": first}) if first else None,
                "next": link(ctx, request, path, {**carry, "page[after]": last}) if last else None,
            },
        })
    per_page = int_param(request, "per_page", MAX_PAGE, low=1, high=MAX_PAGE) or MAX_PAGE
    number = int_param(request, "page", 1, low=1) or 1
    page = items[(number - 1) * per_page : number * per_page]
    carry = _carried(request, "page")
    return json_response({
        key: page,
        "next_page": (link(ctx, request, path, {**carry, "page": number + 1})
                       if number * per_page < len(items) else None),
        "previous_page": link(ctx, request, path, {**carry, "page": number - 1}) if number > 1 else None,
        "count": len(items),
    })


# -- the derived catalogue ---------------------------------------------------------------
def _cached(ctx: ServiceContext, name: str, build: Callable[[], Any]) -> Any:
    cache = ctx.extra.setdefault("zd_catalog_cache", {})
    hit = cache.get(name)
    if hit and hit[1] > time.monotonic():
        return hit[0]
    value = build()
    cache[name] = (value, time.monotonic() + CACHE_SECONDS)
    return value


def _group_names() -> dict[int, str]:
    """The generator's group names (a data folder's groups get "Group <id>")."""
    try:
        from sandbox.generate.users import GROUPS
    except ImportError:  # pragma: no cover - the generator ships with the sandbox
        return {}
    return dict(GROUPS)


def _agents(ctx: ServiceContext) -> list[dict]:
    rows = ctx.store.conn.execute(
        "SELECT doc FROM docs WHERE collection = ? AND json_extract(doc, '$.role') IN "
        "('agent', 'admin') ORDER BY seq", (ZD_USERS,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def groups(ctx: ServiceContext, request: Request) -> list[dict]:
    """One group per distinct agent `default_group_id`, by id."""

    def build() -> list[dict]:
        ids = sorted({a["default_group_id"] for a in _agents(ctx) if a.get("default_group_id")})
        names = _group_names()
        return [{
            "url": None, "id": gid, "is_public": True, "name": names.get(gid, f"Group {gid}"),
            "description": "", "default": pos == 0, "deleted": False,
            "created_at": ACCOUNT_SINCE, "updated_at": ACCOUNT_SINCE,
        } for pos, gid in enumerate(ids)]

    return [{**g, "url": link(ctx, request, f"groups/{g['id']}.json", {})}
            for g in _cached(ctx, "groups", build)]


def memberships(ctx: ServiceContext, request: Request) -> list[dict]:
    """Each agent's membership of its default group (Zendesk: every agent is in one group)."""

    def build() -> list[dict]:
        return [{
            "url": None, "id": a["id"] + MEMBERSHIP_OFFSET, "user_id": a["id"],
            "group_id": a["default_group_id"], "default": True,
            "created_at": a.get("created_at"), "updated_at": a.get("created_at"),
        } for a in _agents(ctx) if a.get("default_group_id")]

    return [{**m, "url": link(ctx, request, f"group_memberships/{m['id']}.json", {})}
            for m in _cached(ctx, "memberships", build)]


def tags(ctx: ServiceContext) -> list[dict]:
    """Tags of the tickets updated in the last 60 days, most used first (as Zendesk lists)."""

    def build() -> list[dict]:
        since = int(ctx.now()) - TAG_WINDOW_DAYS * 86400
        rows = ctx.store.conn.execute(
            "SELECT t.value, COUNT(*) FROM docs, json_each(docs.doc, '$.tags') AS t "
            "WHERE docs.collection = ? AND docs.ts >= ? "
            "AND json_extract(docs.doc, '$.status') != 'deleted' "
            "GROUP BY t.value ORDER BY COUNT(*) DESC, t.value LIMIT 20000",
            (ZD_TICKETS, since)).fetchall()
        return [{"name": name, "count": count} for name, count in rows]

    return _cached(ctx, "tags", build)


_SYSTEM_FIELDS = [  # (type, title, agent-only description)
    ("subject", "Subject", "Please enter a short description of your question"),
    ("description", "Description", "Please enter the details of your request"),
    ("status", "Status", "Request status"),
    ("tickettype", "Type", "Request type"),
    ("priority", "Priority", "Request priority"),
    ("group", "Group", "Request group"),
    ("assignee", "Assignee", "Agent assigned to your request"),
]
_FIELD_OPTIONS = {
    "status": STATUS_ORDER[:5], "tickettype": ["question", "incident", "problem", "task"],
    "priority": PRIORITY_ORDER,
}


def ticket_fields(ctx: ServiceContext, request: Request) -> list[dict]:
    """Zendesk's system ticket fields (the generated tickets carry no custom fields)."""
    out = []
    for pos, (ftype, title, description) in enumerate(_SYSTEM_FIELDS):
        fid = TICKET_FIELD_BASE + pos + 1
        field = {
            "url": link(ctx, request, f"ticket_fields/{fid}.json", {}), "id": fid,
            "type": ftype, "title": title, "raw_title": title, "description": description,
            "raw_description": description, "position": pos, "active": True,
            "required": ftype == "subject", "collapsed_for_agents": False,
            "regexp_for_validation": None, "title_in_portal": title,
            "raw_title_in_portal": title, "visible_in_portal": ftype in ("subject", "description"),
            "editable_in_portal": ftype in ("subject", "description"),
            "required_in_portal": ftype in ("subject", "description"), "tag": None,
            "created_at": ACCOUNT_SINCE, "updated_at": ACCOUNT_SINCE, "removable": False,
            "key": None, "agent_description": None,
        }
        if ftype in _FIELD_OPTIONS:
            field["system_field_options"] = [{"name": v.title(), "value": v}
                                             for v in _FIELD_OPTIONS[ftype]]
        out.append(field)
    return out


_MACROS = [  # Zendesk's default macros of a new account
    ("Close and redirect to topics", [
        {"field": "status", "value": "solved"},
        {"field": "comment_value",
         "value": "This is a topic that is better handled in our community forums."}]),
    ("Customer not responding", [
        {"field": "status", "value": "pending"},
        {"field": "comment_value",
         "value": "We have not heard back from you; is this issue still ongoing?"}]),
    ("Downgrade and inform", [
        {"field": "priority", "value": "low"},
        {"field": "comment_value",
         "value": "We are currently experiencing unusually high traffic."}]),
    ("Take it!", [{"field": "assignee_id", "value": "current_user"}]),
]


def macros(ctx: ServiceContext, request: Request) -> list[dict]:
    out = []
    for pos, (title, actions) in enumerate(_MACROS):
        mid = MACRO_BASE + pos + 1
        out.append({
            "url": link(ctx, request, f"macros/{mid}.json", {}), "id": mid, "title": title,
            "raw_title": title, "description": None, "active": True, "position": pos + 1,
            "actions": actions, "restriction": None, "default": False,
            "created_at": ACCOUNT_SINCE, "updated_at": ACCOUNT_SINCE,
        })
    return out


def account_settings(ctx: ServiceContext) -> dict:
    """A subset of `GET /account/settings`: the groups each client reads."""
    return {"settings": {
        "branding": {"header_color": "1F73B7", "page_background_color": "FFFFFF",
                     "tab_background_color": "EDF7FF", "text_color": "FFFFFF",
                     "header_logo_url": None, "favicon_url": None},
        "apps": {"use": True, "create_private": True, "create_public": False},
        "tickets": {"comments_public_by_default": True, "list_newest_comments_first": True,
                    "collaboration": True, "private_attachments": False,
                    "email_attachments": True, "agent_collision": True, "tagging": True,
                    "list_empty_views": True, "maximum_personal_views_to_list": 8,
                    "status_hold": True, "rich_text_comments": True,
                    "assign_tickets_upon_solve": True, "allow_group_reset": True,
                    "is_first_comment_private_enabled": True, "has_color_text": True},
        "agents": {"agent_workspace": True, "focus_mode": False},
        "groups": {"check_group_name_uniqueness": True},
        "api": {"accepted_api_agreement": True, "api_password_access": False,
                "api_token_access": bool(ctx.config.api_tokens_enabled)},
        "rule": {"macro_most_used": True, "macro_order": "alphabetical",
                 "skill_based_filtered_views": [], "using_skill_based_routing": False},
        "limits": {"attachment_size": 52428800},
        "metrics": {"account_size": "100-399"},
        "localization": {"locale_ids": [1], "time_zone": "UTC", "iana_time_zone": "Etc/UTC"},
        "lotus": {"prefer_lotus": True, "reporting": True, "pod_id": 1},
        "statistics": {"forum": True, "search": True, "rule_usage": True},
        "ticket_form": {"ticket_forms_instructions": "Please choose your issue below"},
        "ticket_sharing_partners": {"support_addresses": []},
        "user": {"tagging": True, "time_zone_selection": True, "language_selection": True,
                 "multiple_organizations": False, "agent_created_welcome_emails": True},
        "voice": {"enabled": False, "maintenance": False, "logging": True,
                  "outbound_enabled": False},
        "active_features": {"on_hold_status": True, "user_tagging": True, "ticket_tagging": True,
                            "topic_suggestion": False, "voice": False, "business_hours": True,
                            "customer_satisfaction": True, "satisfaction_prediction": False,
                            "csat_reason_code": True, "markdown": True, "sandbox": True,
                            "chat": False, "ticket_forms": True, "explore": False},
    }}


# -- search -------------------------------------------------------------------------------
TYPES = {"ticket": ZD_TICKETS, "user": ZD_USERS, "organization": ZD_ORGANIZATIONS,
         "group": None}
_TERM = re.compile(r"^(-?)([a-z_]+)(>=|<=|:|>|<)(.*)$")
_TEXT = {"ticket": ("subject", "description"), "user": ("name", "email"),
         "organization": ("name", "details", "notes"), "group": ("name", "description")}
_IDS = {  # search keyword -> field, per type
    "ticket": {"organization": "organization_id", "organization_id": "organization_id",
               "requester": "requester_id", "requester_id": "requester_id",
               "submitter": "submitter_id", "assignee": "assignee_id",
               "assignee_id": "assignee_id", "group": "group_id", "group_id": "group_id",
               "form": "ticket_form_id", "ticket_form_id": "ticket_form_id",
               "brand": "brand_id", "brand_id": "brand_id"},
    "user": {"organization": "organization_id", "organization_id": "organization_id",
             "group": "default_group_id"},
    "organization": {"group": "group_id"},
    "group": {},
}
_STRINGS = {
    "ticket": {"ticket_type": "type", "via": "via.channel", "recipient": "recipient",
               "external_id": "external_id", "subject": "subject",
               "description": "description"},
    "user": {"role": "role", "email": "email", "name": "name", "external_id": "external_id"},
    "organization": {"name": "name", "external_id": "external_id"},
    "group": {"name": "name"},
}
_DATES = {"created": "created_at", "updated": "updated_at"}
SORTS = {"updated_at", "created_at", "priority", "status", "ticket_type"}


@dataclass
class Term:
    negate: bool
    key: str | None  # None = free text
    op: str
    value: str


def parse_query(query: str) -> list[Term]:
    """Zendesk's search syntax, the subset the sandbox understands (see docs/conformance.md)."""
    try:
        words = shlex.split(query)
    except ValueError as exc:
        raise invalid(f"The search query has an unbalanced quote: {query!r}") from exc
    terms = []
    for word in words:
        m = _TERM.match(word)
        if m and m.group(2) in _known_keys():
            terms.append(Term(bool(m.group(1)), m.group(2), m.group(3), m.group(4)))
        elif m:
            raise invalid(f"The sandbox's search does not support '{m.group(2)}' (supported: "
                          f"{', '.join(sorted(_known_keys()))}, and free text)")
        else:
            negate = word.startswith("-") and len(word) > 1
            terms.append(Term(negate, None, ":", word[1:] if negate else word))
    return terms


def _known_keys() -> set[str]:
    keys = {"type", "status", "priority", "tags", "tag", *_DATES}
    for table in (_IDS, _STRINGS):
        for fields in table.values():
            keys.update(fields)
    return keys


def _date_value(value: str) -> tuple[str, str]:
    """[start, end) of a date or a date-time, in the store's ISO format."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = datetime.fromisoformat(value).replace(tzinfo=UTC)
            end = start + timedelta(days=1)
        else:
            start = datetime.fromisoformat(value.replace("Z", "+00:00"))
            start = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)
            end = start + timedelta(seconds=1)
    except ValueError as exc:
        raise invalid(f"'{value}' is not a date (YYYY-MM-DD or an ISO 8601 time)") from exc
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return start.strftime(fmt), end.strftime(fmt)


def _ordered(col: str, order: list[str], op: str, value: str) -> tuple[str, list]:
    value = value.lower()
    if value not in order:
        raise invalid(f"'{value}' is not one of {', '.join(order)}")
    i = order.index(value)
    picks = {":": order[i : i + 1], "<": order[:i], ">": order[i + 1 :],
             "<=": order[: i + 1], ">=": order[i:]}[op]
    if not picks:
        return "0", []
    return f"{col} IN ({','.join('?' * len(picks))})", list(picks)


def _term_sql(kind: str, term: Term) -> tuple[str, list] | None:
    """One term as SQL on a document of `kind`; None when the keyword does not apply."""
    def col(field: str) -> str:
        return f"json_extract(doc, '$.{field}')"

    if term.key is None:
        like = "%" + term.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts = [f"COALESCE({col(f)}, '') LIKE ? ESCAPE '\\'" for f in _TEXT[kind]]
        return "(" + " OR ".join(parts) + ")", [like] * len(parts)
    key, op, value = term.key, term.op, term.value
    if key in _DATES:
        start, end = _date_value(value)
        c = col(_DATES[key])
        return {":": (f"({c} >= ? AND {c} < ?)", [start, end]), ">": (f"{c} >= ?", [end]),
                ">=": (f"{c} >= ?", [start]), "<": (f"{c} < ?", [start]),
                "<=": (f"{c} < ?", [end])}[op]
    if op != ":" and key not in ("status", "priority"):
        raise invalid(f"'{key}' takes ':' (only dates, status and priority compare with < >)")
    if kind == "ticket" and key in ("status", "priority"):
        order = STATUS_ORDER if key == "status" else PRIORITY_ORDER
        return _ordered(col(key), order, op, value)
    if key in ("tags", "tag") and kind in ("ticket", "user", "organization"):
        return ("EXISTS (SELECT 1 FROM json_each(doc, '$.tags') AS t WHERE t.value = ?)",
                [value.lower()])
    if key in _IDS[kind]:
        c = col(_IDS[kind][key])
        if value.lower() in ("none", "null"):
            return f"{c} IS NULL", []
        try:
            return f"{c} = ?", [int(value)]
        except ValueError as exc:
            raise invalid(f"'{key}' takes a numeric id or 'none', not {value!r}") from exc
    if key in _STRINGS[kind]:
        c = col(_STRINGS[kind][key])
        if value.lower() in ("none", "null"):
            return f"{c} IS NULL", []
        if "*" in value:
            return f"{c} LIKE ?", [value.replace("*", "%")]
        return f"LOWER({c}) = LOWER(?)", [value]
    return None


@dataclass
class Plan:
    kind: str
    where: str
    args: list


def search_plan(query: str, only: str | None = None) -> list[Plan]:
    """Per result type, the SQL condition of the query (types the query cannot match dropped)."""
    terms = parse_query(query)
    kinds = [t.value.lower() for t in terms if t.key == "type" and not t.negate]
    for k in kinds:
        if k not in TYPES:
            raise invalid(f"type must be one of {', '.join(TYPES)}, not {k!r}")
    if only is not None:
        if kinds:
            raise invalid("Do not use type in the query of an export; use filter[type]")
        kinds = [only]
    plans = []
    for kind in kinds or list(TYPES):
        parts = ["json_extract(doc, '$.status') != 'deleted'"] if kind == "ticket" else []
        args: list = []
        ok = True
        for term in terms:
            if term.key == "type":
                continue
            got = _term_sql(kind, term)
            if got is None:
                ok = False
                break
            sql, extra = got
            parts.append(f"NOT ({sql})" if term.negate else sql)
            args += extra
        if ok:
            plans.append(Plan(kind, " AND ".join(f"({p})" for p in parts) or "1", args))
    if not plans:
        raise invalid("No result type supports every keyword of this query")
    return plans


def _order_sql(kind: str, sort_by: str | None, sort_order: str) -> str:
    direction = "ASC" if sort_order == "asc" else "DESC"
    if sort_by is None:
        return "seq ASC"
    field = {"ticket_type": "type"}.get(sort_by, sort_by)
    if kind != "ticket" and field not in ("created_at", "updated_at"):
        return "seq ASC"
    if field in ("status", "priority"):
        order = STATUS_ORDER if field == "status" else PRIORITY_ORDER
        case = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(order))
        return f"CASE json_extract(doc, '$.{field}') {case} ELSE -1 END {direction}, seq ASC"
    return f"json_extract(doc, '$.{field}') {direction}, seq ASC"


class Searcher:
    """Counts and pages search results over the store (groups: the derived list)."""

    def __init__(self, ctx: ServiceContext, request: Request):
        self.ctx, self.request = ctx, request
        self._groups: list[dict] | None = None

    def _group_rows(self, plan: Plan) -> list[dict]:
        if self._groups is None:
            self._groups = groups(self.ctx, self.request)
        if not self._groups:
            return []
        # The same SQL, evaluated over the derived groups in an in-memory table.
        import sqlite3

        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE docs (seq INTEGER, doc TEXT)")
        conn.executemany("INSERT INTO docs VALUES (?, ?)",
                         [(g["id"], json.dumps(g)) for g in self._groups])
        rows = conn.execute(f"SELECT doc FROM docs WHERE {plan.where} ORDER BY seq",
                            plan.args).fetchall()
        conn.close()
        return [json.loads(r[0]) for r in rows]

    def count(self, plan: Plan) -> int:
        if plan.kind == "group":
            return len(self._group_rows(plan))
        return self.ctx.store.conn.execute(
            f"SELECT COUNT(*) FROM docs WHERE collection = ? AND {plan.where}",
            (TYPES[plan.kind], *plan.args)).fetchone()[0]

    def rows(self, plan: Plan, order: str, limit: int, offset: int = 0,
             after_seq: int | None = None) -> list[tuple[int, dict]]:
        if plan.kind == "group":
            docs = [g for g in self._group_rows(plan) if after_seq is None or g["id"] > after_seq]
            return [(g["id"], g) for g in docs[offset : offset + limit]]
        extra, args = "", list(plan.args)
        if after_seq is not None:
            extra, args = " AND seq > ?", [*args, after_seq]
        rows = self.ctx.store.conn.execute(
            f"SELECT seq, doc FROM docs WHERE collection = ? AND {plan.where}{extra} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (TYPES[plan.kind], *args, limit, offset)).fetchall()
        return [(seq, json.loads(doc)) for seq, doc in rows]


def _result(kind: str, doc: dict) -> dict:
    doc.pop("generated_timestamp", None)  # export-only key
    return {**doc, "result_type": kind}


def _sort_params(request: Request) -> tuple[str | None, str]:
    sort_by = request.query_params.get("sort_by") or None
    sort_order = (request.query_params.get("sort_order") or "desc").lower()
    if sort_by is not None and sort_by not in SORTS:
        raise invalid(f"sort_by must be one of {', '.join(sorted(SORTS))}")
    if sort_order not in ("asc", "desc"):
        raise invalid("sort_order must be asc or desc")
    return sort_by, sort_order


def _query(request: Request) -> str:
    query = request.query_params.get("query")
    if query is None or not query.strip():
        raise invalid("query is required")
    return query


# -- handlers -----------------------------------------------------------------------------
def catalog_handlers(ctx: ServiceContext) -> dict[str, Any]:
    """The handlers, by name; `catalog_table` maps them to paths."""

    def _one(items: list[dict], key: str, request: Request) -> Response:
        wanted = request.path_params["id"]
        for item in items:
            if item["id"] == wanted:
                return json_response({key: item})
        raise not_found()

    async def group_list(request: Request) -> Response:
        return paged(ctx, request, "groups", "groups.json", groups(ctx, request))

    async def group_assignable(request: Request) -> Response:
        return paged(ctx, request, "groups", "groups/assignable.json", groups(ctx, request))

    async def group_show(request: Request) -> Response:
        return _one(groups(ctx, request), "group", request)

    async def group_membership_list(request: Request) -> Response:
        return paged(ctx, request, "group_memberships", "group_memberships.json",
                     memberships(ctx, request))

    async def group_membership_show(request: Request) -> Response:
        return _one(memberships(ctx, request), "group_membership", request)

    async def memberships_of_group(request: Request) -> Response:
        gid = request.path_params["id"]
        if not any(g["id"] == gid for g in groups(ctx, request)):
            raise not_found()
        return paged(ctx, request, "group_memberships", f"groups/{gid}/memberships.json",
                     [m for m in memberships(ctx, request) if m["group_id"] == gid])

    async def memberships_of_user(request: Request) -> Response:
        uid = request.path_params["id"]
        return paged(ctx, request, "group_memberships", f"users/{uid}/group_memberships.json",
                     [m for m in memberships(ctx, request) if m["user_id"] == uid])

    async def groups_of_user(request: Request) -> Response:
        uid = request.path_params["id"]
        mine = {m["group_id"] for m in memberships(ctx, request) if m["user_id"] == uid}
        return paged(ctx, request, "groups", f"users/{uid}/groups.json",
                     [g for g in groups(ctx, request) if g["id"] in mine])

    async def tag_list(request: Request) -> Response:
        return paged(ctx, request, "tags", "tags.json", tags(ctx))

    async def ticket_field_list(request: Request) -> Response:
        return paged(ctx, request, "ticket_fields", "ticket_fields.json",
                     ticket_fields(ctx, request))

    async def ticket_field_show(request: Request) -> Response:
        return _one(ticket_fields(ctx, request), "ticket_field", request)

    async def user_field_list(request: Request) -> Response:
        # The generated users carry no custom fields (`user_fields: {}`), so none are defined.
        return paged(ctx, request, "user_fields", "user_fields.json", [])

    async def macro_list(request: Request) -> Response:
        items = macros(ctx, request)
        active = request.query_params.get("active")
        if active in ("true", "false"):
            items = [m for m in items if m["active"] == (active == "true")]
        return paged(ctx, request, "macros", "macros.json", items)

    async def macro_show(request: Request) -> Response:
        return _one(macros(ctx, request), "macro", request)

    async def settings(request: Request) -> Response:
        return json_response(account_settings(ctx))

    async def token_current(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        # sandbox.zendesk.auth keeps the live tokens in ctx.extra (memory), keyed by token.
        info = ctx.extra.get("zd_access_tokens", {}).get(token)
        if info is None:
            raise not_found()
        expires = float(info["expires_at"])
        created = float(info.get("created_at", expires - ctx.config.token_ttl))
        token_id = zlib.crc32(token.encode())
        admin = ctx.store.conn.execute(
            "SELECT seq FROM docs WHERE collection = ? AND json_extract(doc, '$.role') = 'admin' "
            "ORDER BY seq LIMIT 1", (ZD_USERS,)).fetchone()
        return json_response({"token": {
            "url": link(ctx, request, f"oauth/tokens/{token_id}.json", {}), "id": token_id,
            "user_id": admin[0] if admin else None, "client_id": OAUTH_CLIENT_ID,
            "token": token[:10], "refresh_token": None,
            "scopes": str(info.get("scope", "read")).split(),
            "created_at": iso(created), "expires_at": iso(expires), "used_at": iso(ctx.now()),
            "refresh_token_expires_at": None,
        }})

    async def phone_numbers(request: Request) -> Response:
        # Talk is not part of this account: no numbers (zenpy and the tap list them).
        return paged(ctx, request, "phone_numbers", "channels/voice/phone_numbers.json", [])

    async def search(request: Request) -> Response:
        plans = search_plan(_query(request))
        sort_by, sort_order = _sort_params(request)
        per_page = int_param(request, "per_page", MAX_PAGE, low=1, high=MAX_PAGE) or MAX_PAGE
        number = int_param(request, "page", 1, low=1) or 1
        if (number - 1) * per_page >= SEARCH_LIMIT:
            raise ZendeskError(422, "InsufficientResourceError",
                               f"Search returns at most {SEARCH_LIMIT} results per query; "
                               "narrow it (e.g. by date) or use /search/export")
        s = Searcher(ctx, request)
        counts = [s.count(p) for p in plans]
        total = sum(counts)
        start, stop = (number - 1) * per_page, min(number * per_page, SEARCH_LIMIT)
        results, offset = [], 0
        for plan, n in zip(plans, counts, strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, n)
            if hi > lo:
                order = _order_sql(plan.kind, sort_by, sort_order)
                results += [_result(plan.kind, d) for _, d in s.rows(plan, order, hi - lo, lo)]
            offset += n
        carry = _carried(request, "page")
        return json_response({
            "results": results, "facets": None,
            "next_page": (link(ctx, request, "search.json", {**carry, "page": number + 1})
                          if stop < min(total, SEARCH_LIMIT) else None),
            "previous_page": (link(ctx, request, "search.json", {**carry, "page": number - 1})
                              if number > 1 else None),
            "count": total,
        })

    async def search_count(request: Request) -> Response:
        s = Searcher(ctx, request)
        return json_response({"count": sum(s.count(p) for p in search_plan(_query(request)))})

    async def search_export(request: Request) -> Response:
        kind = request.query_params.get("filter[type]")
        if kind not in ("ticket", "user", "organization", "group"):
            raise invalid("filter[type] is required: ticket, user, organization or group")
        plan = search_plan(_query(request), only=kind)[0]
        size = int_param(request, "page[size]", MAX_PAGE, low=1, high=MAX_EXPORT_PAGE) or MAX_PAGE
        after = request.query_params.get("page[after]")
        after_seq = _decode_position(after) if after else None
        rows = Searcher(ctx, request).rows(plan, "seq ASC", size + 1, after_seq=after_seq)
        has_more = len(rows) > size
        rows = rows[:size]
        cursor = _encode_position(rows[-1][0]) if rows and has_more else None
        carry = _carried(request, "page[after]")
        return json_response({
            "results": [_result(kind, d) for _, d in rows], "facets": None,
            "meta": {"has_more": has_more, "after_cursor": cursor, "before_cursor": None},
            "links": {"prev": None,
                      "next": link(ctx, request, "search/export.json",
                                   {**carry, "page[after]": cursor}) if cursor else None},
        })

    return {name: fn for name, fn in locals().items()
            if callable(fn) and not name.startswith("_")}


def catalog_table(ctx: ServiceContext) -> list[tuple[str, Any, list[str]]]:
    """(path under /api/v2, handler, methods) rows for zendesk.py's route table."""
    h = catalog_handlers(ctx)
    return [
        ("groups.json", h["group_list"], ["GET"]),
        ("groups/assignable.json", h["group_assignable"], ["GET"]),
        ("groups/{id:int}.json", h["group_show"], ["GET"]),
        ("groups/{id:int}/memberships.json", h["memberships_of_group"], ["GET"]),
        ("group_memberships.json", h["group_membership_list"], ["GET"]),
        ("group_memberships/{id:int}.json", h["group_membership_show"], ["GET"]),
        ("users/{id:int}/group_memberships.json", h["memberships_of_user"], ["GET"]),
        ("users/{id:int}/groups.json", h["groups_of_user"], ["GET"]),
        ("tags.json", h["tag_list"], ["GET"]),
        ("ticket_fields.json", h["ticket_field_list"], ["GET"]),
        ("ticket_fields/{id:int}.json", h["ticket_field_show"], ["GET"]),
        ("user_fields.json", h["user_field_list"], ["GET"]),
        ("macros.json", h["macro_list"], ["GET"]),
        ("macros/{id:int}.json", h["macro_show"], ["GET"]),
        ("account/settings.json", h["settings"], ["GET"]),
        ("oauth/tokens/current.json", h["token_current"], ["GET"]),
        ("channels/voice/phone_numbers.json", h["phone_numbers"], ["GET"]),
        ("search/count.json", h["search_count"], ["GET"]),
        ("search/export.json", h["search_export"], ["GET"]),
        ("search.json", h["search"], ["GET"]),
    ]
