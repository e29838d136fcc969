"""The audit's report page and Slack message. Organization names and e-mail addresses come
from Zendesk: escaped for HTML here (the report kit) and for Slack in the message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from ..reports import kit, registry
from . import store
from .audit import CHECKS, Finding

FOLDER = "shared_orgs"
CAPABILITY = "shared_orgs"
TITLES = {
    "shared_org_without_request": "Shared with no approved request",
    "shared_org_settings_mismatch": "Applied request no longer in place",
    "shared_org_request_not_applied": "Approved request not applied yet",
    "shared_user_without_request": "End user's access with no request",
}


def _org_link(org_id: Any) -> str | None:
    from ..links import LinkConfigError, zendesk_org_url

    try:
        return zendesk_org_url(org_id)
    except LinkConfigError:
        return None


def render(engine: Engine, run_date: dt.date, project: str | None = None) -> str:
    run = store.run_of(engine, run_date) or {}
    rows = store.findings_of(engine, run_date)
    rows.sort(key=lambda r: (-(r["details"] or {}).get("exposure", [0, 0])[0],
                             -(r["details"] or {}).get("exposure", [0, 0])[1], r["check_name"], r["entity_id"]))
    counts = run.get("counts") or {}
    changes = (run.get("changes") or {}).get("checks") or {}
    parts = ["<div class='panel'><div class='metrics'>" + "".join(
        f"<div class='metric'><div class='v'>{kit.e(counts.get(c, 0))}</div><div class='l'>{kit.e(TITLES[c])}"
        f" · new {kit.e((changes.get(c) or {}).get('new', 0))}</div></div>" for c in CHECKS) + "</div>"
        f"<p class='note'>Requests: issues labelled <code>shared-org::approved</code> in {kit.e(project or '')}; "
        f"read {kit.e((run.get('requests') or {}).get('approved', 0))}, unreadable "
        f"{kit.e(len((run.get('requests') or {}).get('unreadable') or []))}. Widest exposures first.</p></div>"]
    body = []
    for r in rows:
        d = r["details"] or {}
        org_id = d.get("organization_id") if r["entity_type"] == "user" else r["entity_id"]
        what = (f"user {d.get('email')} ({r['entity_id']}): {d.get('access')}, allowed {d.get('allowed')}"
                if r["entity_type"] == "user" else
                f"in effect: {d.get('in_effect')}; end users {d.get('end_users')}")
        diff = "; ".join(f"{x['entity']} {x['field']}: {x['have']} (want {x['want']})"
                         for x in d.get("differences") or [])
        label = f"{d.get('organization')} ({org_id})"
        body.append(f"<tr><td class='text'>{kit.e(TITLES.get(r['check_name'], r['check_name']))}</td>"
                    f"<td class='text'>{kit.link(_org_link(org_id), label)}</td>"
                    f"<td class='text'>{kit.e(what)}</td><td class='text'>{kit.e(diff)}</td>"
                    f"<td class='text'>{kit.link(d.get('issue_url'), d.get('request') or '')}</td>"
                    f"<td>{kit.e(r['first_seen'])}</td></tr>")
    parts.append("<h2>Findings</h2>" + kit.filter_box("findings", "Filter findings") + kit.table(
        [("finding", "text"), ("organization", "text"), ("access", "text"), ("differs", "text"),
         ("request", "text"), "first seen"], body, table_id="findings", sortable=True,
        empty="No finding: every shared setting has its approved request."))
    return "".join(parts)


def write_report(engine: Engine, run_date: dt.date, project: str | None = None) -> dict[str, Any]:
    from ..links import report_url

    root = settings().reports_dir
    body = render(engine, run_date, project)
    out: dict[str, Any] = {}
    for folder in (run_date.isoformat(), "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("Shared organizations audit", body, subtitle=f"Audit of {kit.e(run_date.isoformat())}",
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("Shared organizations", "../latest/index.html")])
        path = kit.write_page(page_dir / "index.html", text, root)
        if folder != "latest":
            out = {"path": str(path), "url": report_url(f"{FOLDER}/{folder}/index.html")}
    run = store.run_of(engine, run_date) or {}
    counts = run.get("counts") or {}
    total = sum(counts.values())
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status="bad" if total else "ok", report=f"{FOLDER}/{run_date.isoformat()}/index.html",
        summary=f"Audit {run_date.isoformat()}: {total} finding(s)",
        figures=[registry.Figure(TITLES[c], str(counts.get(c, 0)), status="bad" if counts.get(c) else "ok")
                 for c in CHECKS]))
    return out


def summary_text(found: list[Finding], url: str | None, run_date: dt.date) -> str:
    """One message, widest exposures first (the list is already in that order)."""
    from ..notify.slack import escape

    lines = [f"*Shared organizations audit {run_date.isoformat()}*: {len(found)} finding(s), widest exposures first"]
    for f in found[:10]:
        d = f.details
        if f.entity_type == "user":
            lines.append(f"• {TITLES[f.check]}: {escape(d.get('email'))} in {escape(d.get('organization'))} "
                         f"({d.get('organization_id')}) can {escape(d.get('access'))}")
        else:
            lines.append(f"• {TITLES[f.check]}: {escape(d.get('organization'))} ({f.entity_id}), "
                         f"{escape(d.get('in_effect'))}, {d.get('end_users')} end user(s)")
    if len(found) > 10:
        lines.append(f"• … and {len(found) - 10} more")
    if url:
        lines.append(f"Report: {url}")
    return "\n".join(lines)
