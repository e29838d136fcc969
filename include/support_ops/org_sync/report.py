"""The sync's report page and Slack summary: counts, changes per field, every change with links.

Page: `<reports>/org_sync/<run id>/index.html` (and `org_sync/latest/`), built with the report
kit (every value escaped), plus the home page's headline. Organization names and other values
come from other systems: they are escaped for HTML here and for Slack in the summary.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from sqlalchemy import Engine, select

from ..config import settings
from ..extract.tables import zd_organizations
from ..outbound.writers import Writer
from ..reports import kit, registry
from . import rules, runs
from .target import ORG_SYNC

log = logging.getLogger(__name__)

FOLDER = "org_sync"
CAPABILITY = "org_sync"
SUMMARY = Writer("org_sync_summary", "slack", default_cap=1)
MAX_ROWS = 5000  # changes shown on the page; the warehouse keeps all of them


class _Links:
    """Record links from the connections; none (said once) when a connection is missing."""

    def __init__(self) -> None:
        from .. import links

        links.reset()
        self._warned: set[str] = set()

    def _try(self, system: str, fn: Any, *args: Any) -> str | None:
        from ..links import LinkConfigError

        try:
            return fn(*args)
        except LinkConfigError as exc:
            if system not in self._warned:
                self._warned.add(system)
                log.warning("no %s links in the sync report: %s", system, exc)
            return None

    def org(self, org_id: Any) -> str | None:
        from ..links import zendesk_org_url

        return self._try("Zendesk", zendesk_org_url, org_id) if org_id not in (None, "") else None

    def account(self, account_id: Any) -> str | None:
        from ..links import salesforce_record_url

        return self._try("Salesforce", salesforce_record_url, account_id) if account_id else None


def _names(engine: Engine, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    o = zd_organizations.c
    out: dict[int, str] = {}
    ids_list = sorted(ids)
    with engine.connect() as conn:
        for i in range(0, len(ids_list), 1000):
            for r in conn.execute(select(o.id, o.name).where(o.id.in_(ids_list[i:i + 1000]))):
                out[int(r.id)] = r.name
    return out


def _value(v: Any) -> str:
    return kit.empty_or(v)


def render(engine: Engine, run_id: str) -> str:
    run = runs.load_run(engine, run_id)
    changes = runs.changes(engine, run_id)
    skips = runs.skips(engine, run_id)
    counts = run["counts"] or {}
    per_org = runs.status_counts(engine, run_id)
    names = _names(engine, {c["organization_id"] for c in changes} | {s["organization_id"] for s in skips
                                                                       if s["organization_id"]})
    links = _Links()
    status = run["status"]
    cls = {"verified": "ok", "applied": "ok", "dry_run": "info", "capped": "bad", "failed": "bad",
           "verify_failed": "bad"}.get(status, "warn")
    parts = [f"<div class='panel card {kit.e(cls)}'><p><b>Run {kit.e(run_id)}</b> "
             f"<span class='status'>{kit.e(status)}</span></p>"
             f"<dl><dt>Started</dt><dd>{kit.e(run['created_at'])}</dd><dt>By</dt><dd>{kit.e(run['actor'])}</dd>"
             f"<dt>Cap</dt><dd>{kit.e(run['max_changes'])} organizations</dd>"
             f"<dt>Options</dt><dd>{kit.e(run['options'])}</dd></dl>"]
    if run.get("error"):
        parts.append(f"<p><b>{kit.e(run['error'])}</b></p>")
    if status == "capped":
        parts.append("<p>Nothing was written. The plan below is kept: review it, then approve it by "
                     f"triggering the DAG again with a higher <code>max_changes</code> ({kit.e(ORG_SYNC.how_to_approve())}).</p>")
    if run["dry_run"]:
        parts.append("<p>Dry run: nothing was written; the plan below is what a real run would do"
                     + (" — and it is above the cap, so a real run would write nothing and fail." if counts.get("over_cap") else ".")
                     + "</p>")
    parts.append("</div>")
    figures = [("accounts in scope", counts.get("accounts_in_scope", 0)),
               ("organizations planned", counts.get("changed_organizations", 0)),
               ("applied", per_org.get("applied", 0)), ("failed", per_org.get("failed", 0)),
               ("already up to date", counts.get("unchanged", 0)), ("skipped", counts.get("skipped", 0))]
    parts.append("<div class='panel'><div class='metrics'>" + "".join(
        f"<div class='metric'><div class='v'>{kit.e(v)}</div><div class='l'>{kit.e(label)}</div></div>"
        for label, v in figures) + "</div></div>")
    by_reason = Counter(s["reason"] for s in skips)
    parts.append("<h2>Skipped accounts by reason</h2>" + kit.table(
        ["reason", "accounts"], [f"<tr><td>{kit.e(r)}</td><td>{by_reason.get(r, 0)}</td></tr>"
                                 for r in rules.SKIP_REASONS]))
    per_field = Counter(c["field"] for c in changes)
    per_field_status: dict[tuple[str, str], int] = Counter((c["field"], c["status"]) for c in changes)
    parts.append("<h2>Changes per field</h2>" + kit.table(
        ["field", "changes", "applied", "failed"],
        [f"<tr><td>{kit.e(f)}</td><td>{per_field.get(f, 0)}</td><td>{per_field_status.get((f, 'applied'), 0)}</td>"
         f"<td>{per_field_status.get((f, 'failed'), 0)}</td></tr>" for f in rules.FIELDS]))
    rows = []
    for c in changes[:MAX_ROWS]:
        oid = c["organization_id"]
        rows.append(
            f"<tr><td class='text'>{kit.link(links.org(oid), f'{names.get(oid, oid)} ({oid})')}</td>"
            f"<td class='text'>{kit.link(links.account(c['account_id']), c['account_id'])}</td>"
            f"<td class='text'>{kit.e(c['field'])}</td><td class='text'>{_value(c['before'])}</td>"
            f"<td class='text'>{_value(c['after'])}</td><td class='text'>{kit.e(c['status'])}</td>"
            f"<td class='text'>{kit.e(c['error'] or '')}</td></tr>")
    more = f"<p class='note'>First {MAX_ROWS} of {len(changes)} changes shown.</p>" if len(changes) > MAX_ROWS else ""
    parts.append(f"<h2>Every change ({len(changes)})</h2>" + kit.filter_box("changes", "Filter changes")
                 + kit.table([("organization", "text"), ("account", "text"), ("field", "text"),
                              ("before", "text"), ("after", "text"), ("status", "text"), ("error", "text")],
                             rows, table_id="changes", sortable=True, empty="No change planned.") + more)
    srows = [f"<tr><td class='text'>{kit.link(links.account(s['account_id']), s['account_id'])}</td>"
             f"<td class='text'>{kit.e(s['reason'])}</td><td class='text'>"
             + (kit.link(links.org(s['organization_id']),
                         f"{names.get(s['organization_id'], s['organization_id'])} ({s['organization_id']})")
                if s["organization_id"] else "") + "</td></tr>" for s in skips[:MAX_ROWS]]
    parts.append(f"<details class='section'><summary>Skipped accounts <span class='count'>{len(skips)}</span>"
                 "</summary><div>" + kit.filter_box("skips", "Filter skipped accounts")
                 + kit.table([("account", "text"), ("reason", "text"), ("organization", "text")], srows,
                             table_id="skips", sortable=True, empty="No account skipped.") + "</div></details>")
    return "".join(parts)


def write_report(engine: Engine, run_id: str) -> dict[str, Any]:
    """Write the run's page (and `latest/`) and the home page headline; returns path and URL."""
    from ..links import report_url

    root = settings().reports_dir
    body = render(engine, run_id)
    out: dict[str, Any] = {"run_id": run_id}
    for folder in (run_id, "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("Salesforce → Zendesk organization sync", body, subtitle=f"Run {kit.e(run_id)}",
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("Organization sync", "../latest/index.html")])
        path = kit.write_page(page_dir / "index.html", text, root)
        if folder == run_id:
            out["path"] = str(path)
            out["url"] = report_url(f"{FOLDER}/{run_id}/index.html")
    _headline(engine, run_id, root)
    return out


def _headline(engine: Engine, run_id: str, root: Any) -> None:
    run = runs.load_run(engine, run_id)
    per = runs.status_counts(engine, run_id)
    counts = run["counts"] or {}
    status = {"verified": "ok", "applied": "ok", "dry_run": "info"}.get(run["status"], "bad")
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status=status, report=f"{FOLDER}/{run_id}/index.html",
        summary=f"Run {run_id}: {run['status']}",
        figures=[registry.Figure("planned", str(counts.get("changed_organizations", 0))),
                 registry.Figure("applied", str(per.get("applied", 0)), status="ok"),
                 registry.Figure("failed", str(per.get("failed", 0)), status="bad" if per.get("failed") else "ok"),
                 registry.Figure("skipped", str(counts.get("skipped", 0)))]))


def summary_text(engine: Engine, run_id: str, url: str | None) -> str:
    from ..notify.slack import escape

    run = runs.load_run(engine, run_id)
    per = runs.status_counts(engine, run_id)
    counts = run["counts"] or {}
    reasons = ", ".join(f"{k} {v}" for k, v in (counts.get("skipped_by_reason") or {}).items() if v) or "none"
    fields = ", ".join(f"{k} {v}" for k, v in (counts.get("changes_per_field") or {}).items() if v) or "none"
    lines = [f"*Organization sync {escape(run_id)}*: {escape(run['status'])}",
             f"• planned {counts.get('changed_organizations', 0)} organization(s), applied {per.get('applied', 0)}, "
             f"failed {per.get('failed', 0)}, up to date {counts.get('unchanged', 0)}",
             f"• skipped {counts.get('skipped', 0)}: {escape(reasons)}",
             f"• changes per field: {escape(fields)}"]
    if run.get("error"):
        lines.append(f"• {escape(run['error'][:500])}")
    if url:
        lines.append(f"Report: {url}")
    return "\n".join(lines)


def notify_summary(engine: Engine, run_id: str, url: str | None, *, dry_run: bool = False) -> str:
    """One Slack message per run, through the outbound layer (key `org-sync:<run id>`)."""
    from ..notify.slack import notify

    return notify(engine, f"org-sync:{run_id}", summary_text(engine, run_id, url), writer=SUMMARY, dry_run=dry_run)
