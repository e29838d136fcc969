"""Sandbox imitation of PagerDuty: REST API v2 (read side, overrides, incidents) and Events API v2.

Schedules are rendered by `sandbox.pagerduty.render` following PagerDuty's documented rules (layer
precedence, restrictions, overrides, daylight-saving time in the schedule's time zone); the
rules and their sources are in docs/pagerduty-schedules.md. `/oncalls` is computed from the
escalation policies' rules and those rendered final schedules.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.collections import (
    PD_ESCALATION_POLICIES,
    PD_EVENTS,
    PD_INCIDENTS,
    PD_SCHEDULES,
    PD_SERVICES,
    PD_USERS,
)
from sandbox.pagerduty.render import (
    Entry,
    final_entries,
    fmt_time,
    margin,
    parse_time,
    render_schedule,
    zone,
)
from sandbox.pagerduty.seed import PD_API, PD_WEB, incident_id

ITERATION_LIMIT = 10000
DEFAULT_SERVICE = "PL3TX00"  # where events with the sandbox's routing key land
SCHEDULE_DEFAULT_SPAN = timedelta(weeks=2)  # GET /schedules/{id} with only since or until
ONCALL_MAX_SPAN = timedelta(days=90)


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


def _flag(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "false").strip().lower() == "true"


def _periods(schedule: dict, since: datetime, until: datetime) -> list[Entry] | Response:
    """A schedule's on-call periods around [since, until]: its final schedule, rendered wide
    enough that periods crossing the range come out whole; a broken schedule is named."""
    try:
        m = margin(schedule)
        return final_entries(schedule, since - m, until + m)
    except (KeyError, TypeError, ValueError) as exc:
        return _error(500, f"Schedule {schedule.get('id')} cannot be rendered: {exc}", 2000)


def _overlaps(s: datetime, e: datetime, since: datetime, until: datetime) -> bool:
    """PagerDuty's "overlaps the range"; an empty range is the instant `since`."""
    if since == until:
        return s <= since < e
    return s < until and e > since


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
    def _times(self, request: Request) -> tuple[datetime | None, datetime | None] | Response:
        q = request.query_params
        try:
            since = parse_time(q["since"]) if q.get("since") else None
            until = parse_time(q["until"]) if q.get("until") else None
        except ValueError:
            return _invalid("since and until must be ISO 8601 date-times")
        if since and until and until < since:
            return _invalid("until must not be before since")
        return since, until

    @staticmethod
    def _out_zone(request: Request, default: str | None) -> Any:
        try:
            return zone(request.query_params.get("time_zone") or default)
        except ValueError:
            return _invalid("time_zone must be an IANA time zone name, e.g. America/New_York")

    def _render_schedule(self, request: Request, doc: dict) -> Response:
        times = self._times(request)
        if isinstance(times, Response):
            return times
        tz = self._out_zone(request, doc.get("time_zone"))
        if isinstance(tz, Response):
            return tz
        since, until = times
        window = None
        if since or until:  # one bound alone: the other is two weeks away, as documented
            window = (since or until - SCHEDULE_DEFAULT_SPAN, until or since + SCHEDULE_DEFAULT_SPAN)
        try:
            body = render_schedule(doc, window, tz, overflow=_flag(request, "overflow"))
        except (KeyError, TypeError, ValueError) as exc:
            return _error(500, f"Schedule {doc.get('id')} cannot be rendered: {exc}", 2000)
        return _json({"schedule": body})

    async def schedule_users(self, request: Request) -> Response:
        doc = self.store.get(PD_SCHEDULES, request.path_params["id"])
        if doc is None:
            return _not_found()
        times = self._times(request)
        if isinstance(times, Response):
            return times
        since, until = times
        since = since or self.now()
        until = until or since  # no range: who is on call at that instant
        periods = _periods(doc, since, until)
        if isinstance(periods, Response):
            return periods
        ids: list[str] = []
        for s, e, u in periods:
            if _overlaps(s, e, since, until) and u["id"] not in ids:
                ids.append(u["id"])
        found = {u["id"]: u for u in self.store.get_many(PD_USERS, ids)}
        return _json({"users": [found[i] for i in ids if i in found]})

    # overrides
    def _override_json(self, o: dict, tz: Any) -> dict:
        return {"id": o["id"], "start": fmt_time(parse_time(o["start"]), tz),
                "end": fmt_time(parse_time(o["end"]), tz), "user": o["user"]}

    async def overrides(self, request: Request) -> Response:
        doc = self.store.get(PD_SCHEDULES, request.path_params["id"])
        if doc is None:
            return _not_found()
        if request.method == "POST":
            return await self._create_overrides(request)
        times = self._times(request)
        if isinstance(times, Response):
            return times
        since, until = times
        if since is None or until is None:
            return _invalid("since and until are required")
        tz = self._out_zone(request, doc.get("time_zone"))
        if isinstance(tz, Response):
            return tz
        overflow, editable = _flag(request, "overflow"), _flag(request, "editable")
        out = []
        for o in doc.get("overrides") or []:
            try:
                s, e = parse_time(o["start"]), parse_time(o["end"])
            except (KeyError, TypeError, ValueError) as exc:
                return _error(500, f"Schedule {doc['id']} has a broken override: {exc}", 2000)
            if not _overlaps(s, e, since, until):
                continue
            if editable:
                if s > self.now():  # only future overrides are editable; only their ids
                    out.append({"id": o["id"]})
                continue
            if not overflow:
                s, e = max(s, since), min(e, until)
            out.append(self._override_json({**o, "start": fmt_time(s), "end": fmt_time(e)}, tz))
        return _json({"overrides": out})

    def _new_override(self, body: Any) -> dict | list[str]:
        """A stored override from one request item, or the reasons it is refused."""
        if not isinstance(body, dict):
            return ["override must be an object"]
        errors: list[str] = []
        try:
            start, end = parse_time(str(body["start"])), parse_time(str(body["end"]))
            if end <= start:
                errors.append("end must be after start")
        except (KeyError, ValueError):
            errors.append("start and end must be ISO 8601 date-times")
            start = end = None
        ref = body.get("user") if isinstance(body.get("user"), dict) else {}
        user = self.store.get(PD_USERS, str(ref.get("id"))) if ref.get("id") else None
        if user is None:
            errors.append("user must reference an existing user")
        if errors:
            return errors
        return {"id": "P" + uuid.uuid4().hex[:6].upper(), "start": fmt_time(start),
                "end": fmt_time(end), "user": {
                    "id": user["id"], "type": "user_reference", "summary": user.get("name"),
                    "self": user.get("self"), "html_url": user.get("html_url")}}

    def _save_schedule(self, doc: dict) -> None:
        """Rewrite a schedule in place, keeping its position in listings."""
        row = self.store.conn.execute("SELECT seq FROM docs WHERE collection=? AND key=?",
                                      (PD_SCHEDULES, doc["id"])).fetchone()
        self.store.put(PD_SCHEDULES, doc["id"], doc, 0, row[0] if row else None)

    async def _create_overrides(self, request: Request) -> Response:
        """POST /schedules/{id}/overrides: `{"overrides": [...]}` answers one status per item
        (201 or 400 with errors); the deprecated `{"override": {...}}` answers that override.

        The schedule is read after the body and written back with no await in between, so
        concurrent requests on the event loop cannot lose each other's overrides."""
        try:
            body = await request.json()
        except ValueError:
            return _invalid("The request body must be JSON")
        doc = self.store.get(PD_SCHEDULES, request.path_params["id"])
        if doc is None:
            return _not_found()
        if not isinstance(body, dict) or not ("overrides" in body or "override" in body):
            return _invalid("overrides is required")
        if "override" in body and "overrides" not in body:
            made = self._new_override(body["override"])
            if isinstance(made, list):
                return _invalid(*made)
            doc.setdefault("overrides", []).append(made)
            self._save_schedule(doc)
            return _json({"override": self._override_json(made, None)}, 201)
        items = body["overrides"]
        if not isinstance(items, list) or not items:
            return _invalid("overrides must be a non-empty array")
        results = []
        for item in items:
            made = self._new_override(item)
            if isinstance(made, list):
                results.append({"status": 400, "errors": made, "override": item})
            else:
                doc.setdefault("overrides", []).append(made)
                results.append({"status": 201, "override": self._override_json(made, None)})
        self._save_schedule(doc)
        return _json(results, 201)

    async def delete_override(self, request: Request) -> Response:
        """Past overrides stay; one in progress is cut at now (200); a future one goes (204)."""
        doc = self.store.get(PD_SCHEDULES, request.path_params["id"])
        oid = request.path_params["override_id"]
        found = next((o for o in (doc or {}).get("overrides") or [] if o["id"] == oid), None)
        if doc is None or found is None:
            return _not_found()
        now = self.now()
        start, end = parse_time(found["start"]), parse_time(found["end"])
        if end <= now:
            return _invalid("You cannot remove a past override")
        if start < now:
            found["end"] = fmt_time(now)
            status = 200
        else:
            doc["overrides"] = [o for o in doc["overrides"] if o["id"] != oid]
            status = 204
        self._save_schedule(doc)
        return Response(status_code=status) if status == 204 else _json(
            {"override": self._override_json(found, None)}, status)

    # on-calls
    async def oncalls(self, request: Request) -> Response:
        """On-call periods per escalation policy and level that overlap [since, until]."""
        times = self._times(request)
        if isinstance(times, Response):
            return times
        since, until = times
        since, until = since or self.now(), until or self.now()  # both default to now
        if until < since:
            return _invalid("until must not be before since")
        if until - since > ONCALL_MAX_SPAN:
            return _invalid("The time range may be at most 90 days")
        tz = self._out_zone(request, "UTC")
        if isinstance(tz, Response):
            return tz
        earliest = _flag(request, "earliest")
        want_sched = set(self._list_param(request, "schedule_ids"))
        want_pol = set(self._list_param(request, "escalation_policy_ids"))
        want_user = set(self._list_param(request, "user_ids"))
        permanent_ok = not want_sched or "null" in want_sched
        periods: dict[str, list[Entry]] = {}
        out: list[dict] = []
        for pol in self.store.all(PD_ESCALATION_POLICIES):
            if want_pol and pol["id"] not in want_pol:
                continue
            pol_ref = {"id": pol["id"], "type": "escalation_policy_reference",
                       "summary": pol.get("summary") or pol.get("name"),
                       "self": pol.get("self"), "html_url": pol.get("html_url")}
            for level, rule in enumerate(pol.get("escalation_rules") or [], start=1):
                rows: list[tuple[datetime | None, datetime | None, dict, dict | None]] = []
                for t in rule.get("targets") or []:
                    if t.get("type") == "user_reference":
                        if permanent_ok:
                            rows.append((None, None, t, None))
                        continue
                    if want_sched and t["id"] not in want_sched:
                        continue
                    if t["id"] not in periods:
                        sched = self.store.get(PD_SCHEDULES, t["id"])
                        found = _periods(sched, since, until) if sched else []
                        if isinstance(found, Response):
                            return found
                        periods[t["id"]] = found
                    rows.extend((s, e, u, t) for s, e, u in periods[t["id"]]
                                if _overlaps(s, e, since, until))
                rows.sort(key=lambda r: r[0] or datetime.min.replace(tzinfo=UTC))
                seen: set[str] = set()
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
        Route("/schedules/{id}/overrides", g(pd.overrides), methods=["GET", "POST"]),
        Route("/schedules/{id}/overrides/{override_id}", g(pd.delete_override),
              methods=["DELETE"]),
        Route("/users", g(us_index)),
        Route("/users/{id}", g(us_show)),
        Route("/oncalls", g(pd.oncalls)),
        Route("/incidents", g(pd.incidents), methods=["GET", "POST"]),
        Route("/incidents/{id}", g(pd.incident), methods=["GET", "PUT"]),
        Route("/{path:path}", _fallback, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
