"""Sandbox imitation of PagerDuty: REST API v2 (read side, incidents) and Events API v2.

Schedules are rendered from their layers the way PagerDuty does: a layer rotates its users
every `rotation_turn_length_seconds` from `rotation_virtual_start`, restrictions (daily or
weekly, in the schedule's time zone) mask the hours the layer covers, later layers in
`schedule_layers` win over earlier ones, and `overrides` win over every layer. `/oncalls` is
computed from the escalation policies' rules and those rendered schedules.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..collections import (
    PD_ESCALATION_POLICIES,
    PD_EVENTS,
    PD_INCIDENTS,
    PD_SCHEDULES,
    PD_SERVICES,
    PD_USERS,
)
from ..seed_ops import PD_API, PD_WEB, incident_id

ITERATION_LIMIT = 10000
DEFAULT_SERVICE = "PL3TX00"  # where events with the sandbox's routing key land
Segment = tuple[datetime, datetime, dict]  # (start, end, user reference)


# -- responses -----------------------------------------------------------------------------
def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status_code=status,
                    media_type="application/json; charset=utf-8")


def _error(status: int, message: str, code: int, errors: list[str] | None = None) -> Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return _json({"error": body}, status)


def _not_found() -> Response:
    return _error(404, "Not Found", 2100)


def _invalid(*errors: str) -> Response:
    return _error(400, "Invalid Input Provided", 2001, list(errors))


# -- time ----------------------------------------------------------------------------------
def parse_time(value: str) -> datetime:
    """ISO 8601 (with Z, an offset, or none = UTC) or a bare date."""
    value = value.strip().replace(" ", "+") if "T" in value else value.strip()
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def fmt_time(dt: datetime, tz: ZoneInfo | None = None) -> str:
    if tz is None or tz.key in ("UTC", "Etc/UTC"):
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.astimezone(tz).isoformat()


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# -- schedule rendering --------------------------------------------------------------------
def _restriction_windows(restrictions: list[dict], tz: ZoneInfo, a: datetime,
                         b: datetime) -> list[tuple[datetime, datetime]]:
    """The periods in [a, b) that a layer's restrictions leave open, merged and sorted."""
    if not restrictions:
        return [(a, b)]
    wins: list[tuple[datetime, datetime]] = []
    first = a.astimezone(tz).date() - timedelta(days=8)
    last = b.astimezone(tz).date() + timedelta(days=1)
    for r in restrictions:
        tod = time.fromisoformat(str(r.get("start_time_of_day", "00:00:00")).rstrip("Z"))
        dur = timedelta(seconds=int(r.get("duration_seconds", 0)))
        if r.get("type") == "weekly_restriction":
            dow = int(r.get("start_day_of_week") or 1)
            day = first - timedelta(days=first.weekday()) + timedelta(days=dow - 1)
            step = timedelta(days=7)
        else:
            day, step = first, timedelta(days=1)
        while day <= last:
            start = datetime.combine(day, tod, tzinfo=tz).astimezone(UTC)
            end = start + dur
            if end > a and start < b:
                wins.append((max(start, a), min(end, b)))
            day += step
    wins.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in wins:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def layer_segments(layer: dict, tz: ZoneInfo, a: datetime, b: datetime) -> list[Segment]:
    """Who a layer puts on call in [a, b): rotation turns cut by the restriction windows."""
    users = [u["user"] for u in layer.get("users", [])]
    if not users:
        return []
    a = max(a, parse_time(layer["start"])) if layer.get("start") else a
    b = min(b, parse_time(layer["end"])) if layer.get("end") else b
    if a >= b:
        return []
    vstart = parse_time(layer["rotation_virtual_start"])
    turn = timedelta(seconds=int(layer["rotation_turn_length_seconds"]))
    out: list[Segment] = []
    for ws, we in _restriction_windows(layer.get("restrictions") or [], tz, a, b):
        t = ws
        while t < we:
            k = math.floor((t - vstart) / turn)
            end = min(we, vstart + (k + 1) * turn)
            out.append((t, end, users[k % len(users)]))
            t = end
    return out


def _paint(base: list[Segment], top: list[Segment]) -> list[Segment]:
    """Lay `top` over `base`: where they overlap, `top` wins."""
    out = list(base)
    for ts, te, tu in top:
        kept: list[Segment] = []
        for s, e, u in out:
            if e <= ts or s >= te:
                kept.append((s, e, u))
                continue
            if s < ts:
                kept.append((s, ts, u))
            if e > te:
                kept.append((te, e, u))
        kept.append((ts, te, tu))
        out = sorted(kept, key=lambda seg: seg[0])
    return out


def _merge(segs: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for s, e, u in sorted(segs, key=lambda seg: seg[0]):
        if out and out[-1][1] == s and out[-1][2]["id"] == u["id"]:
            out[-1] = (out[-1][0], e, u)
        else:
            out.append((s, e, u))
    return out


def _override_segments(schedule: dict, a: datetime, b: datetime) -> list[Segment]:
    out = []
    for o in schedule.get("overrides") or []:
        s, e = max(a, parse_time(o["start"])), min(b, parse_time(o["end"]))
        if s < e:
            out.append((s, e, o["user"]))
    return out


def final_segments(schedule: dict, a: datetime, b: datetime) -> list[Segment]:
    """The final schedule in [a, b): layers in order (later wins), then overrides."""
    tz = _zone(schedule.get("time_zone"))
    result: list[Segment] = []
    for layer in schedule.get("schedule_layers") or []:
        result = _paint(result, layer_segments(layer, tz, a, b))
    result = _paint(result, _override_segments(schedule, a, b))
    return _merge(result)


def _coverage(segs: list[Segment], a: datetime, b: datetime) -> float:
    total = (b - a).total_seconds()
    covered = sum((e - s).total_seconds() for s, e, _ in segs)
    return round(100.0 * covered / total, 2) if total > 0 else 0.0


def _entries(segs: list[Segment], a: datetime, b: datetime, clip: bool,
             tz: ZoneInfo) -> list[dict]:
    out = []
    for s, e, u in segs:
        if clip:
            s, e = max(s, a), min(e, b)
        out.append({"start": fmt_time(s, tz), "end": fmt_time(e, tz), "user": u})
    return out


def _margin(schedule: dict) -> timedelta:
    """How far around a window to render so entries crossing its edges are whole."""
    turns = [int(layer.get("rotation_turn_length_seconds", 0))
             for layer in schedule.get("schedule_layers") or []]
    return timedelta(seconds=max(turns, default=0)) + timedelta(days=1)


# -- the service ---------------------------------------------------------------------------
class PagerDuty:
    """Handlers bound to one ServiceContext."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.store = ctx.store

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.ctx.now()), UTC)

    # auth and parameters
    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        key = self.ctx.credentials.get("api_key")
        return bool(key) and header.strip() in (f"Token token={key}", f"Bearer {key}")

    @staticmethod
    def _list_param(request: Request, name: str) -> list[str]:
        values = request.query_params.getlist(f"{name}[]") + request.query_params.getlist(name)
        return [v for item in values for v in item.split(",") if v]

    def _window(self, request: Request, default_days: float) -> tuple[datetime, datetime] | Response:
        q = request.query_params
        try:
            since = parse_time(q["since"]) if q.get("since") else self.now()
            until = (parse_time(q["until"]) if q.get("until")
                     else since + timedelta(days=default_days))
        except ValueError:
            return _invalid("since and until must be ISO 8601 date-times")
        if until < since:
            return _invalid("since must be before until")
        return since, until

    def _page(self, request: Request, plural: str, items: list[dict]) -> Response:
        q = request.query_params
        try:
            limit = int(q.get("limit", 25))
            offset = int(q.get("offset", 0))
        except ValueError:
            return _invalid("limit and offset must be integers")
        if limit < 1 or offset < 0:
            return _invalid("limit must be positive and offset non-negative")
        limit = min(limit, 100)
        if offset + limit > ITERATION_LIMIT:
            return _invalid(f"Offset + limit must not exceed {ITERATION_LIMIT}")
        page = items[offset: offset + limit]
        total = len(items) if q.get("total", "false").lower() == "true" else None
        return _json({plural: page, "limit": limit, "offset": offset,
                      "more": offset + len(page) < len(items), "total": total})

    def guard(self, handler):
        async def wrapped(request: Request) -> Response:
            if not self._authorized(request):
                return _error(401, "Unauthorized", 2006)
            return await handler(request)
        return wrapped

    # simple collections
    def _query_filter(self, request: Request, items: list[dict], *fields: str) -> list[dict]:
        query = (request.query_params.get("query") or "").lower()
        if not query:
            return items
        return [d for d in items if any(query in str(d.get(f, "")).lower() for f in fields)]

    def collection(self, name: str, plural: str, singular: str, summary_drop: tuple[str, ...] = ()):
        async def index(request: Request) -> Response:
            items = self._query_filter(request, list(self.store.all(name)), "name", "email")
            if plural == "escalation_policies":
                users = set(self._list_param(request, "user_ids"))
                if users:
                    items = [p for p in items if users & self._policy_user_ids(p)]
            items = [{k: v for k, v in d.items() if k not in summary_drop} for d in items]
            return self._page(request, plural, items)

        async def show(request: Request) -> Response:
            doc = self.store.get(name, request.path_params["id"])
            if doc is None:
                return _not_found()
            if plural == "schedules":
                return self._render_schedule(request, doc)
            return _json({singular: doc})

        return index, show

    def _policy_user_ids(self, policy: dict) -> set[str]:
        ids = set()
        for rule in policy.get("escalation_rules", []):
            for t in rule["targets"]:
                if t["type"] == "user_reference":
                    ids.add(t["id"])
                elif t["type"] == "schedule_reference":
                    sched = self.store.get(PD_SCHEDULES, t["id"]) or {}
                    ids.update(u["id"] for u in sched.get("users", []))
        return ids

    # schedules
    def _render_schedule(self, request: Request, doc: dict) -> Response:
        win = self._window(request, 7)
        if isinstance(win, Response):
            return win
        a, b = win
        tz = _zone(request.query_params.get("time_zone") or doc.get("time_zone"))
        clip = request.query_params.get("overflow", "false").lower() != "true"
        lo, hi = (a, b) if clip else (a - _margin(doc), b + _margin(doc))
        stz = _zone(doc.get("time_zone"))

        def around(segs: list[Segment]) -> list[Segment]:
            return [s for s in segs if s[1] > a and s[0] < b]

        layers = []
        for layer in doc.get("schedule_layers") or []:
            segs = around(_merge(layer_segments(layer, stz, lo, hi)))
            layers.append({**layer, "rendered_schedule_entries": _entries(segs, a, b, clip, tz),
                           "rendered_coverage_percentage": _coverage(
                               [(max(s, a), min(e, b), u) for s, e, u in segs], a, b)})
        overrides = around(_merge(_override_segments(doc, lo, hi)))
        final = around(final_segments(doc, lo, hi))
        clipped = [(max(s, a), min(e, b), u) for s, e, u in final]
        out = {k: v for k, v in doc.items() if k != "overrides"}
        out.update({
            "schedule_layers": layers,
            "overrides_subschedule": {"name": "Overrides",
                                      "rendered_schedule_entries": _entries(overrides, a, b, clip, tz),
                                      "rendered_coverage_percentage": _coverage(overrides, a, b)},
            "final_schedule": {"name": "Final Schedule",
                               "rendered_schedule_entries": _entries(final, a, b, clip, tz),
                               "rendered_coverage_percentage": _coverage(clipped, a, b)},
        })
        return _json({"schedule": out})

    async def schedule_users(self, request: Request) -> Response:
        doc = self.store.get(PD_SCHEDULES, request.path_params["id"])
        if doc is None:
            return _not_found()
        win = self._window(request, 7)
        if isinstance(win, Response):
            return win
        ids = {u["id"] for _, _, u in final_segments(doc, *win)}
        return _json({"users": self.store.get_many(PD_USERS, sorted(ids))})

    # on-calls
    async def oncalls(self, request: Request) -> Response:
        q = request.query_params
        try:
            instant = not q.get("since") and not q.get("until")
            since = parse_time(q["since"]) if q.get("since") else self.now()
            until = parse_time(q["until"]) if q.get("until") else since
        except ValueError:
            return _invalid("since and until must be ISO 8601 date-times")
        if until < since:
            return _invalid("since must be before until")
        if until - since > timedelta(days=90):
            return _invalid("The time range may be at most 90 days")
        tz = _zone(q.get("time_zone"))
        earliest = q.get("earliest", "false").lower() == "true"
        want_sched = set(self._list_param(request, "schedule_ids"))
        want_pol = set(self._list_param(request, "escalation_policy_ids"))
        want_user = set(self._list_param(request, "user_ids"))
        cache: dict[str, list[Segment]] = {}
        out: list[dict] = []
        for pol in self.store.all(PD_ESCALATION_POLICIES):
            if want_pol and pol["id"] not in want_pol:
                continue
            pol_ref = {k: pol[k] for k in ("id", "summary", "self", "html_url")}
            pol_ref["type"] = "escalation_policy_reference"
            for level, rule in enumerate(pol.get("escalation_rules", []), start=1):
                rows = []
                for t in rule["targets"]:
                    if t["type"] == "user_reference":
                        if not want_sched:
                            rows.append((None, None, t, None))
                        continue
                    if want_sched and t["id"] not in want_sched:
                        continue
                    if t["id"] not in cache:
                        sched = self.store.get(PD_SCHEDULES, t["id"])
                        m = _margin(sched) if sched else timedelta(0)
                        cache[t["id"]] = final_segments(sched, since - m, until + m) if sched else []
                    for s, e, u in cache[t["id"]]:
                        hit = (s <= since < e) if instant else (s < until and e > since) or (
                            s == since == until)
                        if hit:
                            rows.append((s, e, u, t))
                seen: set[str] = set()
                rows.sort(key=lambda r: r[0] or datetime.min.replace(tzinfo=UTC))
                for s, e, u, sched_ref in rows:
                    if want_user and u["id"] not in want_user:
                        continue
                    if earliest and u["id"] in seen:
                        continue
                    seen.add(u["id"])
                    out.append({
                        "escalation_policy": pol_ref, "escalation_level": level,
                        "schedule": sched_ref, "user": u,
                        "start": fmt_time(s, tz) if s else None,
                        "end": fmt_time(e, tz) if e else None,
                    })
        return self._page(request, "oncalls", out)

    # incidents
    def _service_for_key(self, routing_key: str) -> dict | None:
        for svc in self.store.all(PD_SERVICES):
            if any(i.get("integration_key") == routing_key for i in svc.get("integrations", [])):
                return svc
        if routing_key != self.ctx.credentials.get("routing_key"):
            return None
        return self.store.get(PD_SERVICES, DEFAULT_SERVICE) or next(
            iter(self.store.all(PD_SERVICES)),
            {"id": "PSANDBX", "name": "Sandbox Service", "escalation_policy": None})

    def _new_incident(self, svc: dict, title: str, urgency: str, key: str | None,
                      details: Any) -> dict:
        now = fmt_time(self.now())
        number = self.store.next_id(PD_INCIDENTS)
        iid = incident_id(number)
        svc_ref = {"id": svc["id"], "type": "service_reference", "summary": svc["name"],
                   "self": f"{PD_API}/services/{svc['id']}", "html_url": f"{PD_WEB}/services/{svc['id']}"}
        return {
            "id": iid, "type": "incident", "incident_number": number, "title": title,
            "summary": f"[#{number}] {title}", "description": title, "status": "triggered",
            "urgency": urgency, "incident_key": key or uuid.uuid4().hex, "created_at": now,
            "updated_at": now, "last_status_change_at": now, "resolved_at": None,
            "service": svc_ref, "escalation_policy": svc.get("escalation_policy"),
            "assignments": [], "acknowledgements": [], "priority": None, "teams": [],
            "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
            "body": {"type": "incident_body", "details": details},
            "self": f"{PD_API}/incidents/{iid}", "html_url": f"{PD_WEB}/incidents/{iid}",
        }

    def _save_incident(self, inc: dict) -> None:
        ts = int(parse_time(inc["created_at"]).timestamp())
        self.store.put(PD_INCIDENTS, inc["id"], inc, ts, inc["incident_number"])
        if inc["status"] != "resolved":
            self.store.set_meta(self._open_key(inc), inc["id"])
        else:
            self.store.set_meta(self._open_key(inc), None)

    @staticmethod
    def _open_key(inc: dict) -> str:
        return f"pd_open_incident:{inc['service']['id']}:{inc['incident_key']}"

    def _open_incident(self, service_id: str, key: str) -> dict | None:
        iid = self.store.get_meta(f"pd_open_incident:{service_id}:{key}")
        inc = self.store.get(PD_INCIDENTS, iid) if iid else None
        return inc if inc and inc["status"] != "resolved" else None

    def _set_status(self, inc: dict, status: str, by: dict | None = None) -> None:
        now = fmt_time(self.now())
        if inc["status"] == status or inc["status"] == "resolved":
            return
        inc["status"] = status
        inc["updated_at"] = inc["last_status_change_at"] = now
        if by:
            inc["last_status_change_by"] = by
        if status == "acknowledged":
            inc["acknowledgements"].append({"at": now, "acknowledger": by or inc["service"]})
        if status == "resolved":
            inc["resolved_at"] = now
            counts = inc.setdefault("alert_counts", {"all": 1})
            counts.update({"triggered": 0, "resolved": counts.get("all", 1)})
        self._save_incident(inc)

    async def incidents(self, request: Request) -> Response:
        if request.method == "POST":
            return await self._create_incident(request)
        q = request.query_params
        statuses = set(self._list_param(request, "statuses"))
        services = set(self._list_param(request, "service_ids"))
        key = q.get("incident_key")
        if q.get("date_range") == "all":
            lo, hi = None, None
        else:
            try:
                hi = parse_time(q["until"]) if q.get("until") else None
                lo = parse_time(q["since"]) if q.get("since") else (
                    (hi or self.now()) - timedelta(days=30))
            except ValueError:
                return _invalid("since and until must be ISO 8601 date-times")
        after = (int(lo.timestamp()) - 1, 2**62) if lo else None
        max_ts = int(hi.timestamp()) if hi else None
        items: list[dict] = []
        while True:
            rows = self.store.page_by_ts(PD_INCIDENTS, after, 1000, max_ts)
            for _, _, inc in rows:
                if ((not statuses or inc["status"] in statuses)
                        and (not services or inc["service"]["id"] in services)
                        and (not key or inc.get("incident_key") == key)):
                    items.append(inc)
            if len(rows) < 1000:
                break
            after = (rows[-1][0], rows[-1][1])
        if q.get("sort_by", "").endswith(":desc"):
            items.reverse()
        return self._page(request, "incidents", items)

    def _from_user(self, request: Request) -> dict | None:
        email = (request.headers.get("from") or "").strip().lower()
        if not email:
            return None
        for u in self.store.all(PD_USERS):
            if u.get("email", "").lower() == email:
                return {"id": u["id"], "type": "user_reference", "summary": u["name"],
                        "self": u["self"], "html_url": u["html_url"]}
        return {"id": "PSANDBOT", "type": "user_reference", "summary": email,
                "self": f"{PD_API}/users/PSANDBOT", "html_url": f"{PD_WEB}/users/PSANDBOT"}

    async def _create_incident(self, request: Request) -> Response:
        by = self._from_user(request)
        if by is None:
            return _error(400, "You must specify a user's email address in the \"From\" header "
                          "to perform this action", 2008)
        try:
            body = (await request.json())["incident"]
            svc = self.store.get(PD_SERVICES, body["service"]["id"])
            title = body["title"]
        except (ValueError, KeyError, TypeError):
            return _invalid("incident.title and incident.service are required")
        if svc is None:
            return _invalid("Service not found")
        key = body.get("incident_key")
        if key and self._open_incident(svc["id"], key):
            return _error(400, "Incident Key Already Exists", 2001,
                          ["Open incident with key already exists"])
        inc = self._new_incident(svc, title, body.get("urgency", "high"), key,
                                 (body.get("body") or {}).get("details"))
        inc["last_status_change_by"] = by
        self._save_incident(inc)
        return _json({"incident": inc}, 201)

    async def incident(self, request: Request) -> Response:
        ident = request.path_params["id"]
        inc = self.store.get(PD_INCIDENTS, ident)
        if inc is None and ident.isdigit():  # incident numbers are accepted too
            inc = next((i for i in self.store.all(PD_INCIDENTS)
                        if i["incident_number"] == int(ident)), None)
        if inc is None:
            return _not_found()
        if request.method == "PUT":
            by = self._from_user(request)
            if by is None:
                return _error(400, "You must specify a user's email address in the \"From\" "
                              "header to perform this action", 2008)
            try:
                status = (await request.json())["incident"].get("status")
            except (ValueError, KeyError, TypeError, AttributeError):
                return _invalid("incident is required")
            if status in ("acknowledged", "resolved"):
                self._set_status(inc, status, by)
        return _json({"incident": inc})

    # Events API v2
    async def enqueue(self, request: Request) -> Response:
        try:
            event = await request.json()
            assert isinstance(event, dict)
        except (ValueError, AssertionError):
            return _json({"status": "invalid event", "message": "Event object is invalid",
                          "errors": ["Request body is not a JSON object"]}, 400)
        key = event.get("routing_key")
        action = event.get("event_action")
        errors = []
        if not key:
            errors.append("'routing_key' is missing or blank")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid (must be trigger, acknowledge or resolve)")
        payload = event.get("payload") or {}
        if action == "trigger":
            for field in ("summary", "source", "severity"):
                if not payload.get(field):
                    errors.append(f"'payload.{field}' is missing or blank")
            if payload.get("severity") and payload["severity"] not in (
                    "critical", "error", "warning", "info"):
                errors.append("'payload.severity' is invalid")
        elif action and not event.get("dedup_key"):
            errors.append("'dedup_key' is missing or blank")
        svc = self._service_for_key(key) if key else None
        if key and svc is None:
            errors.append("Invalid routing key")
        if errors:
            return _json({"status": "invalid event", "message": "Event object is invalid",
                          "errors": errors}, 400)
        dedup = event.get("dedup_key") or uuid.uuid4().hex
        inc = self._open_incident(svc["id"], dedup)
        if action == "trigger":
            if inc is None:
                urgency = "high" if payload["severity"] in ("critical", "error") else "low"
                inc = self._new_incident(svc, payload["summary"][:1024], urgency, dedup,
                                         payload.get("custom_details"))
            else:
                inc["alert_counts"]["all"] += 1
                inc["alert_counts"]["triggered"] += 1
                inc["updated_at"] = fmt_time(self.now())
            self._save_incident(inc)
        elif inc is not None:
            self._set_status(inc, "acknowledged" if action == "acknowledge" else "resolved")
        self.store.put(PD_EVENTS, uuid.uuid4().hex, {
            "received_at": fmt_time(self.now()), "event_action": action, "dedup_key": dedup,
            "service_id": svc["id"], "incident_id": inc["id"] if inc else None,
            "payload": payload, "client": event.get("client"), "links": event.get("links"),
            "images": event.get("images"),
        }, int(self.ctx.now()))
        return _json({"status": "success", "message": "Event processed", "dedup_key": dedup}, 202)

    async def change_event(self, request: Request) -> Response:
        try:
            event = await request.json()
        except ValueError:
            event = None
        if not isinstance(event, dict) or not event.get("routing_key") or \
                self._service_for_key(event["routing_key"]) is None:
            return _json({"status": "invalid event", "message": "Event object is invalid",
                          "errors": ["Invalid routing key"]}, 400)
        self.store.put(PD_EVENTS, uuid.uuid4().hex, {
            "received_at": fmt_time(self.now()), "event_action": "change",
            "payload": event.get("payload"), "links": event.get("links")}, int(self.ctx.now()))
        return _json({"status": "success", "message": "Change event processed"}, 202)


async def _fallback(request: Request) -> Response:
    return _not_found()


def routes(ctx) -> list[Route]:
    pd = PagerDuty(ctx)
    g = pd.guard
    svc_index, svc_show = pd.collection(PD_SERVICES, "services", "service")
    ep_index, ep_show = pd.collection(PD_ESCALATION_POLICIES, "escalation_policies",
                                      "escalation_policy")
    sc_index, sc_show = pd.collection(PD_SCHEDULES, "schedules", "schedule",
                                      ("schedule_layers", "overrides"))
    us_index, us_show = pd.collection(PD_USERS, "users", "user")
    return [
        Route("/v2/enqueue", pd.enqueue, methods=["POST"]),
        Route("/v2/change/enqueue", pd.change_event, methods=["POST"]),
        Route("/services", g(svc_index)),
        Route("/services/{id}", g(svc_show)),
        Route("/escalation_policies", g(ep_index)),
        Route("/escalation_policies/{id}", g(ep_show)),
        Route("/schedules", g(sc_index)),
        Route("/schedules/{id}", g(sc_show)),
        Route("/schedules/{id}/users", g(pd.schedule_users)),
        Route("/users", g(us_index)),
        Route("/users/{id}", g(us_show)),
        Route("/oncalls", g(pd.oncalls)),
        Route("/incidents", g(pd.incidents), methods=["GET", "POST"]),
        Route("/incidents/{id}", g(pd.incident), methods=["GET", "PUT"]),
        Route("/{path:path}", _fallback, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
