"""Read-only record pages, so the links in the project's reports open something in the sandbox.

The reports link records at the addresses the real agent UIs use: Zendesk
`/agent/tickets/<id>` and `/agent/organizations/<id>`, Salesforce Lightning
`/lightning/r/<sObject>/<id>/view`. The sandbox answers those paths with a small HTML page of the
stored record (every field, escaped: record values are customer text), or a 404 page naming
what was not found. Nothing here writes, and the pages carry a CSP that allows no script.

The Salesforce imitation speaks TLS with the sandbox's own CA, which browsers do not trust, so
its record pages are also served over plain HTTP by the Zendesk imitation under
`SALESFORCE_UI_PREFIX`; the sandbox's `salesforce_default` connection names that address as
its `ui_url`, which the project's record links prefer (support_ops.links).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sandbox.core.app import ServiceContext
from sandbox.core.collections import (
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKETS,
    sf_collection,
)
from sandbox.salesforce import ids

SALESFORCE_UI_PREFIX = "/_sandbox/salesforce"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
CSS = ("body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2933;background:#f6f7fb}"
       "header{background:#03363d;color:#fff;padding:14px 28px}header.sf{background:#032d60}"
       "header p{margin:2px 0 0;font-size:12px;opacity:.8}main{padding:18px 28px;max-width:1000px}"
       "table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;vertical-align:top;"
       "padding:5px 8px;border-bottom:1px solid #e4e7eb;font-size:13px}th{width:16rem;color:#6b7785}"
       "code{font-size:12px}a{color:#1f73b7}")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"<code>{_e(json.dumps(value, sort_keys=True))}</code>"
    return _e(value) if value not in (None, "") else "<em>(empty)</em>"


def _page(system: str, title: str, rows: Iterable[tuple[str, str]], status: int = 200) -> HTMLResponse:
    """A page of (label, already-escaped HTML value) rows."""
    cls = " class='sf'" if system == "Salesforce" else ""
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    text = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)} · {system} sandbox</title>"
            f"<style>{CSS}</style></head><body><header{cls}><strong>{_e(title)}</strong>"
            f"<p>{system} (sandbox): a read-only view of the stored record</p></header>"
            f"<main><table>{body}</table></main></body></html>")
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": CSP,
                                                             "X-Content-Type-Options": "nosniff"})


def _not_found(system: str, what: str) -> HTMLResponse:
    return _page(system, f"{what} not found", [("", _e(f"The sandbox has no {what}."))], status=404)


def _fields(doc: dict, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(k, _value(v)) for k, v in sorted(doc.items()) if k not in skip]


def _ratings_of(ctx: ServiceContext, ticket_id: int) -> list[dict]:
    """The ticket's satisfaction ratings (filtered inside SQLite: no decoding of every rating)."""
    rows = ctx.store.conn.execute(
        "SELECT doc FROM docs WHERE collection=? AND json_extract(doc, '$.ticket_id')=?",
        (ZD_SATISFACTION_RATINGS, ticket_id)).fetchall()
    return [json.loads(doc) for (doc,) in rows]


def zendesk_routes(ctx: ServiceContext) -> list[Route]:
    """`/agent/tickets/<id>` and `/agent/organizations/<id>` (Zendesk's agent UI paths)."""

    async def ticket(request: Request) -> HTMLResponse:
        tid = request.path_params["id"]
        doc = ctx.store.get(ZD_TICKETS, tid)
        if doc is None:
            return _not_found("Zendesk", f"ticket #{tid}")
        rows = [("Subject", _value(doc.get("subject"))), ("Status", _value(doc.get("status")))]
        org = doc.get("organization_id")
        if org is not None:
            rows.append(("Organization", f"<a href='/agent/organizations/{int(org)}'>{_e(org)}</a>"))
        ratings = _ratings_of(ctx, tid)
        for r in sorted(ratings, key=lambda r: (str(r.get("updated_at")), r.get("id", 0))):
            rows.append((f"Satisfaction rating {r.get('id')}",
                         _e(f"{r.get('score')} · {r.get('reason') or 'no reason'} · updated {r.get('updated_at')}")
                         + (f"<br>{_e(r.get('comment'))}" if r.get("comment") else "")))
        rows += _fields(doc, skip=("subject", "status", "organization_id"))
        return _page("Zendesk", f"Ticket #{tid}", rows)

    async def organization(request: Request) -> HTMLResponse:
        oid = request.path_params["id"]
        doc = ctx.store.get(ZD_ORGANIZATIONS, oid)
        if doc is None:
            return _not_found("Zendesk", f"organization {oid}")
        fields = doc.get("organization_fields") or {}
        rows = [("Name", _value(doc.get("name"))), ("Domains", _value(doc.get("domain_names")))]
        rows += [(f"organization_fields.{k}", _value(v)) for k, v in sorted(fields.items())]
        rows += _fields(doc, skip=("name", "domain_names", "organization_fields"))
        return _page("Zendesk", f"Organization {doc.get('name') or oid}", rows)

    return [Route("/agent/tickets/{id:int}", ticket), Route("/agent/organizations/{id:int}", organization),
            *salesforce_routes(ctx, prefix=SALESFORCE_UI_PREFIX)]


def salesforce_routes(ctx: ServiceContext, prefix: str = "") -> list[Route]:
    """`/lightning/r/<sObject>/<id>/view` (Lightning's record page path), under `prefix`."""

    async def record(request: Request) -> HTMLResponse:
        sobject, rid = request.path_params["sobject"], request.path_params["record_id"]
        if not ids.is_sf_id(rid):
            return _not_found("Salesforce", f"{sobject} {rid}")
        doc = ctx.store.get(sf_collection(sobject), ids.to18(rid))
        if doc is None:
            return _not_found("Salesforce", f"{sobject} {rid}")
        rows = [("Name", _value(doc.get("Name"))), ("Id", _value(doc.get("Id") or ids.to18(rid)))]
        rows += _fields(doc, skip=("Name", "Id", "attributes"))
        return _page("Salesforce", f"{sobject}: {doc.get('Name') or rid}", rows)

    return [Route(prefix + "/lightning/r/{sobject}/{record_id}/view", record)]
