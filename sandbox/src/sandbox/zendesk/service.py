"""Sandbox imitation of Zendesk Support (`/api/v2/...`, plain HTTP).

The routes the support-ops pipelines use, with Zendesk's envelopes, pagination styles,
errors and authentication (OAuth client credentials, API tokens until switched off,
password access refused). Handlers live in zendesk_*.py modules; this one wires them.
Every path is served with and without `.json`, as Zendesk does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.app import ServiceContext
from sandbox.core.collections import (
    ZD_ORGANIZATIONS,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.core.record_pages import zendesk_routes
from sandbox.zendesk.access import access_table
from sandbox.zendesk.auth import authed, oauth_tokens
from sandbox.zendesk.catalog import catalog_table
from sandbox.zendesk.common import ZendeskError, list_response
from sandbox.zendesk.incremental import cursor_export, time_export
from sandbox.zendesk.misc import misc_handlers
from sandbox.zendesk.orgs import org_routes_handlers
from sandbox.zendesk.tickets_write import ticket_write_handlers
from sandbox.zendesk.views import limited_count_many

INCREMENTAL_PREFIX = "/api/v2/incremental/"


def is_incremental(path: str) -> bool:
    """Incremental exports have their own, much lower, per-minute limit."""
    return path.startswith(INCREMENTAL_PREFIX)


def _export(ctx: ServiceContext, kind: str, collection: str, key: str, path: str,
            cursor_pages: bool = False):
    async def handler(request: Request) -> Response:
        if kind == "cursor":
            return cursor_export(ctx, request, collection, key, path)
        return time_export(ctx, request, collection, key, path, cursor_pages=cursor_pages)

    handler.__name__ = f"export_{key}_{kind}"
    return handler


def routes(ctx: ServiceContext) -> list[Route]:
    h = {**org_routes_handlers(ctx), **misc_handlers(ctx), **ticket_write_handlers(ctx)}
    table: list[tuple[str, object, list[str]]] = [
        # incremental exports
        ("incremental/tickets/cursor.json",
         _export(ctx, "cursor", ZD_TICKETS, "tickets", "incremental/tickets/cursor.json"), ["GET"]),
        ("incremental/tickets.json",
         _export(ctx, "time", ZD_TICKETS, "tickets", "incremental/tickets.json"), ["GET"]),
        ("incremental/organizations.json",
         _export(ctx, "time", ZD_ORGANIZATIONS, "organizations", "incremental/organizations.json"),
         ["GET"]),
        ("incremental/users/cursor.json",
         _export(ctx, "cursor", ZD_USERS, "users", "incremental/users/cursor.json"), ["GET"]),
        ("incremental/users.json",
         _export(ctx, "time", ZD_USERS, "users", "incremental/users.json"), ["GET"]),
        ("incremental/ticket_metric_events.json",
         _export(ctx, "time", ZD_TICKET_METRIC_EVENTS, "ticket_metric_events",
                 "incremental/ticket_metric_events.json", cursor_pages=True), ["GET"]),
        # satisfaction, metrics, reference lists
        ("satisfaction_ratings.json", h["satisfaction_ratings"], ["GET"]),
        ("satisfaction_ratings/{id:int}.json", h["satisfaction_rating"], ["GET"]),
        ("satisfaction_reasons.json", h["satisfaction_reasons"], ["GET"]),
        ("ticket_metrics.json", h["ticket_metrics"], ["GET"]),
        ("ticket_metrics/{id:int}.json", h["ticket_metric"], ["GET"]),
        ("tickets/{id:int}/metrics.json", h["ticket_metrics_of_ticket"], ["GET"]),
        ("ticket_forms.json", h["ticket_forms"], ["GET"]),
        ("slas/policies.json", h["sla_policies"], ["GET"]),
        ("organization_fields.json", h["organization_fields"], ["GET"]),
        # organizations, jobs, users, tickets
        ("organizations.json", h["organizations"], ["GET"]),
        ("organizations/show_many.json", h["organizations_show_many"], ["GET"]),
        ("organizations/search.json", h["organizations_search"], ["GET"]),
        ("organizations/update_many.json", h["organizations_update_many"], ["PUT"]),
        ("organizations/{id:int}.json", h["organization"], ["GET", "PUT"]),
        ("organizations/create_many.json", h["organizations_create_many"], ["POST"]),
        ("job_statuses.json", h["job_statuses"], ["GET"]),
        ("job_statuses/{id}.json", h["job_status"], ["GET"]),
        ("users/show_many.json", h["users_show_many"], ["GET"]),
        ("users/{id:int}.json", h["user"], ["GET"]),
        ("tickets.json", _ticket_list(ctx), ["GET"]),
        ("tickets/update_many.json", h["tickets_update_many"], ["PUT"]),
        ("tickets/show_many.json", h["tickets_show_many"], ["GET"]),
        ("tickets/{id:int}.json", h["ticket"], ["GET"]),
        # views
        ("views.json", h["views"], ["GET"]),
        ("views/count.json", h["views_count"], ["GET"]),
        ("views/count_many.json", limited_count_many(ctx, h["views_count_many"]), ["GET"]),
        ("views/{id:int}/count.json", h["view_count_one"], ["GET"]),
        ("views/{id:int}.json", h["view"], ["GET"]),
    ]
    table += catalog_table(ctx)  # groups, fields, tags, macros, settings, search, ...
    table += access_table(ctx)  # users' ticket access, update_many, targets, triggers
    out = [Route("/oauth/tokens", _oauth(ctx), methods=["POST"]), *zendesk_routes(ctx)]
    for path, handler, methods in table:
        wrapped = authed(ctx, handler)  # type: ignore[arg-type]
        out.append(Route(f"/api/v2/{path}", wrapped, methods=methods))
        out.append(Route(f"/api/v2/{path.removesuffix('.json')}", wrapped, methods=methods))
    out.append(Route("/api/v2/{rest:path}", authed(ctx, _unknown),
                     methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
    return out


def _ticket_list(ctx: ServiceContext):
    """`GET /tickets.json`: the plain listing (100 per page) that naive connectors page through."""

    async def handler(request: Request) -> Response:
        return list_response(ctx, request, ZD_TICKETS, "tickets", "tickets.json",
                             where="json_extract(doc, '$.status') != 'deleted'")

    return handler


def _oauth(ctx: ServiceContext):
    async def handler(request: Request) -> Response:
        return await oauth_tokens(ctx, request)

    return handler


async def _unknown(request: Request) -> Response:
    raise ZendeskError(404, "InvalidEndpoint", "Not found")
