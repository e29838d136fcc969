"""Zendesk imitation: organizations (list, show, update, bulk update + job statuses), users,
single tickets.

Bulk updates are applied at once but reported through a job status that is "queued" in
the PUT response and "working" on its first poll, as Zendesk's background jobs are, so
clients must really poll. Job statuses are kept in the store (a restart keeps them).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.app import ServiceContext
from sandbox.collections import ZD_JOB_STATUSES, ZD_ORGANIZATIONS, ZD_TICKETS, ZD_USERS

from .zendesk_common import (
    ZendeskError,
    api_url,
    ids_param,
    invalid,
    iso,
    join_docs,
    json_response,
    list_response,
    not_found,
    raw_json,
)

MAX_BULK = 100
ORG_FIELDS = ("name", "details", "notes", "external_id", "group_id", "shared_tickets",
              "shared_comments", "domain_names", "tags")


def _int_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise not_found() from exc


def _raw(ctx: ServiceContext, collection: str, key: Any) -> str | None:
    row = ctx.store.conn.execute(
        "SELECT doc FROM docs WHERE collection=? AND key=?", (collection, str(key))).fetchone()
    return row[0] if row else None


def _raw_many(ctx: ServiceContext, collection: str, ids: list[int]) -> list[str]:
    return ctx.store.get_many_raw(collection, ids)


def _show_many(ctx: ServiceContext, request: Request, collection: str, key: str) -> Response:
    ids = ids_param(request, "ids", limit=MAX_BULK)
    docs = _raw_many(ctx, collection, ids)
    tail = json.dumps({"next_page": None, "previous_page": None, "count": len(docs)},
                      separators=(",", ":"))[1:]
    return raw_json(f'{{"{key}":{join_docs(docs)},{tail}')


def _name_taken(ctx: ServiceContext, name: str, org_id: int) -> bool:
    row = ctx.store.conn.execute(
        "SELECT 1 FROM docs WHERE collection=? AND json_extract(doc, '$.name') = ? AND seq != ? "
        "LIMIT 1", (ZD_ORGANIZATIONS, name, org_id)).fetchone()
    return row is not None


def _apply_update(ctx: ServiceContext, org: dict, change: dict, now: float) -> dict:
    """Zendesk's update semantics: listed attributes replace, organization_fields merge."""
    for field in ORG_FIELDS:
        if field in change:
            org[field] = change[field]
    if isinstance(change.get("organization_fields"), dict):
        org["organization_fields"] = {**(org.get("organization_fields") or {}),
                                      **change["organization_fields"]}
    org["updated_at"] = iso(now)
    org.setdefault("url", api_url(ctx, f"organizations/{org['id']}.json"))
    return org


def _validate(ctx: ServiceContext, org: dict, change: dict, batch_names: dict[str, int]) -> str | None:
    name = change.get("name")
    if name is None or name == org.get("name"):
        return None
    if not isinstance(name, str) or not name.strip():
        return "Name: cannot be blank"
    if name in batch_names or _name_taken(ctx, name, int(org["id"])):
        return f"Name:  {name} has already been taken"
    batch_names[name] = int(org["id"])
    return None


async def _body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError as exc:
        raise invalid("The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def org_routes_handlers(ctx: ServiceContext) -> dict[str, Any]:
    """The handlers, by name; zendesk.py wires them to paths."""

    async def organizations(request: Request) -> Response:
        return list_response(ctx, request, ZD_ORGANIZATIONS, "organizations", "organizations.json")

    async def organization(request: Request) -> Response:
        org_id = _int_id(request.path_params["id"])
        if request.method == "GET":
            raw = _raw(ctx, ZD_ORGANIZATIONS, org_id)
            if raw is None:
                raise not_found()
            return raw_json(f'{{"organization":{raw}}}')
        change = (await _body(request)).get("organization")
        if not isinstance(change, dict):
            raise invalid("organization is required")
        org = ctx.store.get(ZD_ORGANIZATIONS, org_id)
        if org is None:
            raise not_found()
        problem = _validate(ctx, org, change, {})
        if problem:
            raise ZendeskError(422, "RecordInvalid", "Record validation errors",
                               details={"name": [{"description": problem}]})
        now = ctx.now()
        org = _apply_update(ctx, org, change, now)
        ctx.store.put(ZD_ORGANIZATIONS, org_id, org, ts=int(now), seq=org_id)
        return json_response({"organization": org})

    async def organizations_show_many(request: Request) -> Response:
        return _show_many(ctx, request, ZD_ORGANIZATIONS, "organizations")

    async def organizations_update_many(request: Request) -> Response:
        items = (await _body(request)).get("organizations")
        if not isinstance(items, list) or not items:
            raise invalid("organizations must be a non-empty array")
        if len(items) > MAX_BULK:
            raise ZendeskError(400, "TooManyValues",
                               f"You can only update up to {MAX_BULK} organizations at once")
        now = ctx.now()
        results: list[dict] = []
        changed: list[tuple[int, dict, int, int]] = []
        batch_names: dict[str, int] = {}
        for index, item in enumerate(items):
            org_id = item.get("id") if isinstance(item, dict) else None
            org = ctx.store.get(ZD_ORGANIZATIONS, org_id) if org_id is not None else None
            if org is None:
                results.append({"index": index, "error": "RecordNotFound", "id": org_id,
                                "details": f"Organization {org_id} not found"})
                continue
            problem = _validate(ctx, org, item, batch_names)
            if problem:
                results.append({"index": index, "error": "OrganizationUpdateFailed",
                                "id": org["id"], "details": problem})
                continue
            org = _apply_update(ctx, org, item, now)
            changed.append((int(org["id"]), org, int(now), int(org["id"])))
            results.append({"action": "update", "id": org["id"], "status": "Updated",
                            "success": True})
        if changed:
            ctx.store.put_many(ZD_ORGANIZATIONS, changed)
        job_id = "V3-" + secrets.token_hex(16)
        job = {
            "id": job_id,
            "url": api_url(ctx, f"job_statuses/{job_id}.json", request=request),
            "total": len(items),
            "progress": None,
            "status": "queued",
            "message": None,
            "results": None,
        }
        ctx.store.put(ZD_JOB_STATUSES, job_id,
                      {"job": job, "results": results, "created": now, "polls": 0},
                      ts=int(now), seq=ctx.store.next_id(ZD_JOB_STATUSES))
        return json_response({"job_status": job})

    async def job_status(request: Request) -> Response:
        job_id = request.path_params["id"]
        rec = ctx.store.get(ZD_JOB_STATUSES, job_id)
        if rec is None:
            raise not_found()
        rec["polls"] += 1
        ctx.store.put(ZD_JOB_STATUSES, job_id, rec, ts=int(rec["created"]))
        job = dict(rec["job"])
        if rec["polls"] == 1:
            job.update(status="working", progress=job["total"] // 2)
        else:
            job.update(status="completed", progress=job["total"], results=rec["results"],
                       message=f"Completed at {iso(ctx.now()).replace('T', ' ')[:-1]} +0000")
        return json_response({"job_status": job})

    async def user(request: Request) -> Response:
        raw = _raw(ctx, ZD_USERS, _int_id(request.path_params["id"]))
        if raw is None:
            raise not_found()
        return raw_json(f'{{"user":{raw}}}')

    async def users_show_many(request: Request) -> Response:
        return _show_many(ctx, request, ZD_USERS, "users")

    async def ticket(request: Request) -> Response:
        doc = ctx.store.get(ZD_TICKETS, _int_id(request.path_params["id"]))
        if doc is None or doc.get("status") == "deleted":
            raise not_found()
        return json_response({"ticket": doc})

    return {name: fn for name, fn in locals().items() if callable(fn) and not name.startswith("_")}
