"""Zendesk imitation: end users' ticket access, bulk user updates, targets and triggers.

What the shared-organization pipelines and the ticket-record health checks need (Zendesk API
reference: Users, "Update Many Users", Targets, Triggers):

- `PUT /api/v2/users/update_many.json` with `{"users": [{"id", ...}]}` (a change per user) or
  `?ids=1,2` with `{"user": {...}}` (the same change to each): at most 100 users a call; the
  answer is a queued job status polled at `job_statuses/{id}` like every bulk job, one result
  per user (`{"id", "action": "update", "status": "Updated", "success": true}`, or
  `{"index", "id", "error": "RecordNotFound"}`). `PUT /api/v2/users/{id}.json` with
  `{"user": {...}}` changes one user at once.
- Settable: `ticket_restriction` (`organization`, `groups`, `assigned`, `requested` or null; for
  an end user only `organization` and `requested` mean anything: Zendesk puts an end user given
  `groups` or `assigned` on `requested`), `user_fields` (merged key by key, as Zendesk does),
  `organization_id`, `tags`, `name`, `notes`, `details`. An updated user gets a new `updated_at`,
  so the incremental user export shows it again.
- `GET /api/v2/targets.json`, `GET|PUT /api/v2/targets/{id}.json`; `GET /api/v2/triggers.json`
  (`?active=true|false`), `GET|PUT /api/v2/triggers/{id}.json` (`{"trigger": {"active": false}}`
  switches one off). A trigger's `notification_target` action names its target by id in the
  first element of `value`, as Zendesk's trigger actions do.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import ZD_USERS
from sandbox.zendesk.common import invalid, iso, json_response, not_found
from sandbox.zendesk.orgs import _body, bulk_update_job

ZD_TARGETS = "zd_targets"
ZD_TRIGGERS = "zd_triggers"
RESTRICTIONS = ("organization", "groups", "assigned", "requested", None)
END_USER_RESTRICTIONS = ("organization", "requested")
SETTABLE = ("ticket_restriction", "organization_id", "tags", "name", "notes", "details")


def _check(change: dict) -> None:
    if not isinstance(change, dict):
        raise invalid("each user change must be an object")
    if "ticket_restriction" in change and change["ticket_restriction"] not in RESTRICTIONS:
        raise invalid("ticket_restriction must be one of organization, groups, assigned, requested or null")
    if "user_fields" in change and not isinstance(change["user_fields"], dict):
        raise invalid("user_fields must be an object")


def apply_user_change(doc: dict, change: dict, now: float) -> dict:
    """The user after `change`, as Zendesk stores it."""
    doc = dict(doc)
    for name in SETTABLE:
        if name in change:
            doc[name] = change[name]
    if doc.get("role") == "end-user" and doc.get("ticket_restriction") not in END_USER_RESTRICTIONS:
        doc["ticket_restriction"] = "requested"
    if "user_fields" in change:
        doc["user_fields"] = {**(doc.get("user_fields") or {}), **change["user_fields"]}
    doc["updated_at"] = iso(now)
    return doc


def _list(ctx: ServiceContext, collection: str, key: str, only: Any = None) -> Response:
    items = sorted(ctx.store.all(collection), key=lambda d: d.get("position", d["id"]))
    if only is not None:
        items = [d for d in items if bool(d.get("active")) == only]
    return json_response({key: items, "next_page": None, "previous_page": None, "count": len(items)})


def _active_param(request: Request) -> bool | None:
    value = request.query_params.get("active")
    if value is None:
        return None
    if value not in ("true", "false"):
        raise invalid("active must be true or false")
    return value == "true"


def access_handlers(ctx: ServiceContext) -> dict[str, Any]:
    async def users_update_many(request: Request) -> Response:
        return await bulk_update_job(ctx, request, collection=ZD_USERS, singular="user",
                                     plural="users", label="User", check=_check,
                                     gone=lambda doc: doc.get("active") is False, apply=apply_user_change)

    async def user_update(request: Request) -> Response:
        uid = int(request.path_params["id"])
        doc = ctx.store.get(ZD_USERS, uid)
        if doc is None:
            raise not_found()
        body = await _body(request)
        change = body.get("user")
        _check(change)
        doc = apply_user_change(doc, change, ctx.now())
        ctx.store.put(ZD_USERS, uid, doc, ts=int(ctx.now()), seq=uid)
        return json_response({"user": doc})

    def _one(collection: str, key: str):
        async def handler(request: Request) -> Response:
            oid = int(request.path_params["id"])
            doc = ctx.store.get(collection, oid)
            if doc is None:
                raise not_found()
            if request.method == "PUT":
                body = await _body(request)
                change = body.get(key)
                if not isinstance(change, dict):
                    raise invalid(f"{key} is required")
                if "active" in change and not isinstance(change["active"], bool):
                    raise invalid("active must be true or false")
                doc = {**doc, **{k: v for k, v in change.items() if k in ("active", "title")},
                       "updated_at": iso(ctx.now())}
                ctx.store.put(collection, oid, doc, ts=int(ctx.now()), seq=oid)
            return json_response({key: doc})

        return handler

    async def targets(request: Request) -> Response:
        return _list(ctx, ZD_TARGETS, "targets")

    async def triggers(request: Request) -> Response:
        return _list(ctx, ZD_TRIGGERS, "triggers", _active_param(request))

    return {"users_update_many": users_update_many, "user_update": user_update, "targets": targets,
            "target": _one(ZD_TARGETS, "target"), "triggers": triggers, "trigger": _one(ZD_TRIGGERS, "trigger")}


def access_table(ctx: ServiceContext) -> list[tuple[str, Any, list[str]]]:
    """(path, handler, methods) rows for the Zendesk route table."""
    h = access_handlers(ctx)
    return [
        ("users/update_many.json", h["users_update_many"], ["PUT"]),
        ("users/{id:int}.json", h["user_update"], ["PUT"]),
        ("targets.json", h["targets"], ["GET"]),
        ("targets/{id:int}.json", h["target"], ["GET", "PUT"]),
        ("triggers.json", h["triggers"], ["GET"]),
        ("triggers/{id:int}.json", h["trigger"], ["GET", "PUT"]),
    ]
