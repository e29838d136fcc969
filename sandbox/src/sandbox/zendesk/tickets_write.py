"""Zendesk imitation: bulk ticket updates and ticket show_many.

- `PUT /api/v2/tickets/update_many.json?ids=1,2,3` with `{"ticket": {...}}` (the same change
  to every ticket) or `PUT /api/v2/tickets/update_many.json` with `{"tickets": [{"id", ...}]}`
  (a change per ticket): at most 100 tickets a call (Zendesk API reference, Tickets, "Update
  Many Tickets"). `additional_tags` adds tags and `remove_tags` removes them without
  replacing the others; `tags` replaces them; `status`, `priority`, `assignee_id`,
  `group_id` are set. The answer is a queued job status, polled at `job_statuses/{id}`
  exactly as for organizations (same queue, same 30-open-jobs limit, same expiry), with one
  result per ticket: `{"id", "action": "update", "status": "Updated", "success": true}`, or
  `{"index", "id", "error": "RecordNotFound", "details"}` for a ticket that does not exist.
- Each updated ticket gets a new `updated_at` and `generated_timestamp`, so the incremental
  ticket export shows it again, as Zendesk's does.
- `GET /api/v2/tickets/show_many.json?ids=` (at most 100): the tickets that exist.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.core.collections import ZD_TICKETS
from sandbox.zendesk.common import ids_param, invalid, iso, json_response
from sandbox.zendesk.orgs import MAX_BULK, bulk_update_job

SETTABLE = ("status", "priority", "assignee_id", "group_id")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")


def _tags(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise invalid(f"{name} must be a list of tags")
    return [t.strip().lower() for t in value if t.strip()]


def _check(change: dict) -> None:
    for name in ("additional_tags", "remove_tags", "tags"):
        if name in change:
            _tags(change[name], name)
    if "status" in change and change["status"] not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}")


def apply_change(doc: dict, change: dict, now: float) -> dict:
    """The ticket after `change` (tags as Zendesk keeps them: lower case, unique, sorted)."""
    tags = set(doc.get("tags") or [])
    if "tags" in change:
        tags = set(_tags(change["tags"], "tags"))
    tags |= set(_tags(change.get("additional_tags", []), "additional_tags"))
    tags -= set(_tags(change.get("remove_tags", []), "remove_tags"))
    doc = {**doc, "tags": sorted(tags)}
    for name in SETTABLE:
        if name in change:
            doc[name] = change[name]
    doc["updated_at"] = iso(now)
    doc["generated_timestamp"] = int(now)
    return doc


def ticket_write_handlers(ctx: ServiceContext) -> dict[str, Any]:
    async def tickets_update_many(request: Request) -> Response:
        return await bulk_update_job(ctx, request, collection=ZD_TICKETS, singular="ticket",
                                     plural="tickets", label="Ticket", check=_check,
                                     gone=lambda doc: doc.get("status") == "deleted", apply=apply_change)

    async def tickets_show_many(request: Request) -> Response:
        ids = ids_param(request, "ids", limit=MAX_BULK)
        docs = [d for d in (ctx.store.get(ZD_TICKETS, i) for i in ids) if d and d.get("status") != "deleted"]
        return json_response({"tickets": docs, "next_page": None, "previous_page": None, "count": len(docs)})

    return {"tickets_update_many": tickets_update_many, "tickets_show_many": tickets_show_many}
