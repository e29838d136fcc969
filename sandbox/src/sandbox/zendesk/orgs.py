"""Zendesk imitation: organizations (list, show, update, bulk update + job statuses), users,
single tickets.

Bulk updates are applied at once but reported through a job status that is "queued" in
the PUT response and "working" on its first poll, as Zendesk's background jobs are, so
clients must really poll. Job statuses are kept in the store (a restart keeps them).

As Zendesk does (API reference: Organizations, Job Statuses; "Rate limits", Job limit):
- a job's results carry one item per organization, `{"action","id","status","success"}` when
  updated and `{"index","error","id","details"}` when not (a recorded real response);
- a job is done at its second poll or `JOB_RUN_SECONDS` after it was queued, whichever is first;
- at most `MAX_OPEN_JOBS` (30) jobs may be queued or running per account: one more bulk
  request is answered 429 with `Retry-After` (the body's wording is the sandbox's own);
- job statuses expire after about an hour (`JOB_TTL_SECONDS`): then 404; `GET /job_statuses`
  lists the latest 100, newest first;
- `create_many` (100 at most) creates organizations through a job (results `{"id","status":
  "Created"}`, or an error for a name already taken).
Test knobs (store meta `zendesk.jobs`): `ttl`, `max_open`, `run_seconds`, and `fail`
({organization id: times}) to make that organization's next updates fail in the job results.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import ZD_JOB_STATUSES, ZD_ORGANIZATIONS, ZD_TICKETS, ZD_USERS
from sandbox.zendesk.common import (
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
MAX_OPEN_JOBS = 30
JOB_RUN_SECONDS = 1.0
JOB_TTL_SECONDS = 3600
JOB_LIST_LIMIT = 100
JOBS_META = "zendesk.jobs"
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


def _knobs(ctx: ServiceContext) -> dict:
    return ctx.store.get_meta(JOBS_META, {}) or {}


def _job_done(rec: dict, now: float, knobs: dict) -> bool:
    return rec["polls"] >= 2 or now - rec["created"] >= float(knobs.get("run_seconds", JOB_RUN_SECONDS))


def _open_jobs(ctx: ServiceContext, now: float, knobs: dict) -> int:
    """Jobs still queued or running (a job runs at most `run_seconds`)."""
    since = int(now - float(knobs.get("run_seconds", JOB_RUN_SECONDS))) - 1
    rows = ctx.store.conn.execute(
        "SELECT doc FROM docs WHERE collection=? AND ts >= ?", (ZD_JOB_STATUSES, since)).fetchall()
    return sum(1 for (doc,) in rows if not _job_done(json.loads(doc), now, knobs))


def _too_many_jobs(ctx: ServiceContext, now: float) -> Response | None:
    knobs = _knobs(ctx)
    limit = int(knobs.get("max_open", MAX_OPEN_JOBS))
    if _open_jobs(ctx, now, knobs) < limit:
        return None
    return json_response({"error": "TooManyJobs",
                          "description": f"Too many jobs queued or running for this account (limit {limit}). "
                                         "Retry when some have completed."},
                         status=429, headers={"Retry-After": "1"})


def _injected_failure(ctx: ServiceContext, org_id: int) -> str | None:
    """A test knob: the next `times` updates of this organization fail in the job results."""
    knobs = _knobs(ctx)
    fail = dict(knobs.get("fail") or {})
    left = int(fail.get(str(org_id), 0))
    if left <= 0:
        return None
    fail[str(org_id)] = left - 1
    ctx.store.set_meta(JOBS_META, {**knobs, "fail": fail})
    return "Organization fields could not be saved (sandbox injected failure)"


def _queue_job(ctx: ServiceContext, request: Request, total: int, results: list[dict], now: float) -> dict:
    job_id = "V3-" + secrets.token_hex(16)
    job = {
        "id": job_id,
        "url": api_url(ctx, f"job_statuses/{job_id}.json", request=request),
        "total": total,
        "progress": None,
        "status": "queued",
        "message": None,
        "results": None,
    }
    ctx.store.put(ZD_JOB_STATUSES, job_id, {"job": job, "results": results, "created": now, "polls": 0},
                  ts=int(now), seq=ctx.store.next_id(ZD_JOB_STATUSES))
    return job


def _job_view(ctx: ServiceContext, rec: dict, now: float) -> dict:
    job = dict(rec["job"])
    if _job_done(rec, now, _knobs(ctx)):
        job.update(status="completed", progress=job["total"], results=rec["results"],
                   message=f"Completed at {iso(rec['created'] + 1).replace('T', ' ')[:-1]} +0000")
    elif rec["polls"] >= 1:
        job.update(status="working", progress=job["total"] // 2)
    return job


def _expired(ctx: ServiceContext, rec: dict, now: float) -> bool:
    return now - rec["created"] > float(_knobs(ctx).get("ttl", JOB_TTL_SECONDS))


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
        busy = _too_many_jobs(ctx, now)
        if busy is not None:
            return busy
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
            problem = _validate(ctx, org, item, batch_names) or _injected_failure(ctx, int(org["id"]))
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
        return json_response({"job_status": _queue_job(ctx, request, len(items), results, now)})

    async def organizations_search(request: Request) -> Response:
        """`GET /organizations/search?external_id=` (or `name=`): exact matches, as Zendesk's
        "Search Organizations" endpoint (API reference: Organizations)."""
        external_id = request.query_params.get("external_id")
        name = request.query_params.get("name")
        if not external_id and not name:
            raise ZendeskError(400, "InvalidValue", "external_id or name is required")
        field, value = ("external_id", external_id) if external_id else ("name", name)
        rows = ctx.store.conn.execute(
            f"SELECT doc FROM docs WHERE collection=? AND json_extract(doc, '$.{field}') = ? ORDER BY seq LIMIT 100",
            (ZD_ORGANIZATIONS, value)).fetchall()
        docs = [d for (d,) in rows]
        tail = json.dumps({"next_page": None, "previous_page": None, "count": len(docs)}, separators=(",", ":"))[1:]
        return raw_json(f'{{"organizations":{join_docs(docs)},{tail}')

    async def organizations_create_many(request: Request) -> Response:
        items = (await _body(request)).get("organizations")
        if not isinstance(items, list) or not items:
            raise invalid("organizations must be a non-empty array")
        if len(items) > MAX_BULK:
            raise ZendeskError(400, "TooManyValues",
                               f"You can only create up to {MAX_BULK} organizations at once")
        now = ctx.now()
        busy = _too_many_jobs(ctx, now)
        if busy is not None:
            return busy
        results: list[dict] = []
        created: list[tuple[int, dict, int, int]] = []
        batch_names: dict[str, int] = {}
        for index, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name.strip():
                results.append({"index": index, "error": "OrganizationCreateFailed",
                                "details": "Name: cannot be blank"})
                continue
            if name in batch_names or _name_taken(ctx, name, -1):
                results.append({"index": index, "error": "OrganizationCreateFailed",
                                "details": f"Name:  {name} has already been taken"})
                continue
            org_id = ctx.store.next_id(ZD_ORGANIZATIONS, start=360_000_000_000)
            batch_names[name] = org_id
            org = _apply_update(ctx, {"id": org_id, "name": name, "shared_tickets": False,
                                      "shared_comments": False, "external_id": None, "domain_names": [],
                                      "details": None, "notes": None, "group_id": None, "tags": [],
                                      "organization_fields": {}, "created_at": iso(now),
                                      "deleted_at": None}, item, now)
            ctx.store.put(ZD_ORGANIZATIONS, org_id, org, ts=int(now), seq=org_id)
            created.append((org_id, org, int(now), org_id))
            results.append({"id": org_id, "status": "Created"})
        return json_response({"job_status": _queue_job(ctx, request, len(items), results, now)})

    async def job_status(request: Request) -> Response:
        job_id = request.path_params["id"]
        rec = ctx.store.get(ZD_JOB_STATUSES, job_id)
        now = ctx.now()
        if rec is None or _expired(ctx, rec, now):
            raise not_found()
        rec["polls"] += 1
        ctx.store.put(ZD_JOB_STATUSES, job_id, rec, ts=int(rec["created"]))
        return json_response({"job_status": _job_view(ctx, rec, now)})

    async def job_statuses(request: Request) -> Response:
        """`GET /job_statuses`: the latest jobs, newest first (Zendesk keeps the last 100)."""
        now = ctx.now()
        rows = ctx.store.conn.execute(
            "SELECT doc FROM docs WHERE collection=? ORDER BY seq DESC LIMIT ?",
            (ZD_JOB_STATUSES, JOB_LIST_LIMIT)).fetchall()
        jobs = [_job_view(ctx, rec, now) for rec in (json.loads(d) for (d,) in rows) if not _expired(ctx, rec, now)]
        return json_response({"job_statuses": jobs, "next_page": None, "previous_page": None,
                              "count": len(jobs)})

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


async def bulk_update_job(
    ctx: ServiceContext, request: Request, *, collection: str, singular: str, plural: str,
    label: str, check: Callable[[dict], None], gone: Callable[[dict], bool],
    apply: Callable[[dict, dict, float], dict],
) -> Response:
    """`PUT /<plural>/update_many.json` as Zendesk answers it, for any collection: either
    `{<plural>: [{id, ...}]}` or `{<singular>: {...}}` with `?ids=`, at most MAX_BULK records,
    applied at once and reported through a queued job status with per-item results."""
    body = await _body(request)
    if isinstance(body.get(plural), list):
        items = body[plural]
        if not items or not all(isinstance(i, dict) for i in items):
            raise invalid(f"{plural} must be a non-empty array of objects")
        pairs = [(i.get("id"), {k: v for k, v in i.items() if k != "id"}) for i in items]
    elif isinstance(body.get(singular), dict):
        pairs = [(rid, body[singular]) for rid in ids_param(request, "ids", limit=MAX_BULK)]
    else:
        raise invalid(f"{singular} (with ?ids=) or {plural} is required")
    if len(pairs) > MAX_BULK:
        raise ZendeskError(400, "TooManyValues", f"You can only update up to {MAX_BULK} {plural} at once")
    for _, change in pairs:
        check(change)
    now = ctx.now()
    busy = _too_many_jobs(ctx, now)
    if busy is not None:
        return busy
    results: list[dict] = []
    changed: list[tuple[int, dict, int, int]] = []
    for index, (rid, change) in enumerate(pairs):
        doc = ctx.store.get(collection, rid) if isinstance(rid, int) else None
        if doc is None or gone(doc):
            results.append({"index": index, "id": rid, "error": "RecordNotFound",
                            "details": f"{label} {rid} not found"})
            continue
        doc = apply(doc, change, now)
        changed.append((int(rid), doc, int(now), int(rid)))
        results.append({"id": rid, "action": "update", "status": "Updated", "success": True})
    if changed:
        ctx.store.put_many(collection, changed)
    return json_response({"job_status": _queue_job(ctx, request, len(pairs), results, now)})
