"""The CRM integrity summary page: per check the count, new and resolved since the previous run,
and every offending record with links to the Zendesk organization and the Salesforce account.

Self-contained HTML (inline CSS, no scripts), written to
`reports_dir/integrity/<run_date>/index.html` and copied to `reports_dir/integrity/latest/index.html`.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..integrity.rules import CHECKS, Key

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top;font-size:.9rem}th{background:#f3f3f3}.num{text-align:right}"
    ".ok{color:#1a7f37}.bad{color:#b42318}.new{background:#fff4e5}code{font-size:.85rem}"
    "details{margin:.4rem 0}summary{cursor:pointer;font-weight:600}"
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _v(value: Any) -> str:
    """A field value, with empty ones shown as such (empty is what several checks are about)."""
    return "<em>(empty)</em>" if value is None or str(value).strip() == "" else _e(value)


def _a(url: str | None, label: Any) -> str:
    return f"<a href='{_e(url)}'>{_e(label)}</a>" if url else _e(label)


def _record_cells(entity_type: str, d: Mapping[str, Any]) -> tuple[str, str, str]:
    """(record, counterpart, what differs) cells for one finding's details."""
    if entity_type == "account":
        rec = f"{_a(d.get('salesforce_url'), d.get('account_id'))}<br>{_e(d.get('account_name'))}"
        orgs = d.get("linked_orgs") or []
        other = "<br>".join(f"{_a(o.get('zendesk_url'), o.get('org_id'))} {_e(o.get('org_name'))}" for o in orgs) or "—"
        info = [f"deployment: {_v(d.get('deployment'))}", f"plan: {_v(d.get('account_support_level'))}"]
        if d.get("group"):
            info.append("same name as: " + ", ".join(
                _a(g.get("salesforce_url"), g.get("account_id")) for g in d["group"] if g.get("account_id") != d.get("account_id")))
        if orgs:
            info.append(f"Zendesk_Organization_ID__c: {_v(d.get('account_zendesk_organization_id'))}")
            info.append(f"Zendesk_Organization_Name__c: {_v(d.get('account_zendesk_organization_name'))}")
        return rec, other, "<br>".join(info)
    rec = f"{_a(d.get('zendesk_url'), d.get('org_id'))}<br>{_e(d.get('org_name'))}"
    if d.get("staff_org"):
        rec += " <em>(GitLab staff organization)</em>"
    acc = d.get("linked_account") or {}
    other = f"{_a(acc.get('salesforce_url'), acc.get('account_id'))}<br>{_e(acc.get('account_name'))}" if acc else "—"
    info = [f"plan: {_v(d.get('org_support_level'))}" + (f" / account: {_v(acc.get('account_support_level'))}" if acc else ""),
            f"salesforce_id: {_v(d.get('org_salesforce_id'))}"]
    if d.get("invalid_domains"):
        info.append("invalid domains: " + ", ".join(f"<code>{_e(x)}</code>" for x in d["invalid_domains"]))
    return rec, other, "<br>".join(info)


def render(run: Mapping[str, Any], findings: Mapping[Key, Mapping[str, Any]], resolved: Mapping[Key, Mapping[str, Any]],
           new_keys: set[Key], data_docs_href: str | None) -> str:
    """The page for one run. `findings` / `resolved`: key -> {"details", "first_seen"}."""
    day = run["run_date"]
    changes = (run.get("changes") or {}).get("checks") or {}
    prev = (run.get("changes") or {}).get("previous_run")
    total = sum(run["counts"].values())
    status = ("<span class='ok'>allowed</span>" if run["sync_allowed"] else
              "<span class='bad'>blocked</span> by " + ", ".join(
                  f"{_e(c)} ({n})" for c, n in sorted((run.get("blocking") or {}).items())))
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>CRM integrity {_e(day)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>CRM integrity — {_e(day)}</h1>",
        f"<p>{total} finding(s) · previous run: {_e(prev or 'none')} · organization sync: {status} · "
        f"checked {_e(run['checked_at'].strftime('%Y-%m-%d %H:%M UTC') if isinstance(run.get('checked_at'), dt.datetime) else run.get('checked_at'))}</p>",
    ]
    if data_docs_href:
        parts.append(f"<p>Great Expectations validation: <a href='{_e(data_docs_href)}'>Data Docs</a></p>")
    parts.append("<table><tr><th>check</th><th>entity</th><th class='num'>findings</th><th class='num'>new</th>"
                 "<th class='num'>resolved</th><th>meaning</th></tr>")
    for chk in CHECKS:
        ch = changes.get(chk.name, {})
        parts.append(
            f"<tr><td><a href='#{chk.name}'>{chk.name}</a></td><td>{chk.entity_type}</td>"
            f"<td class='num'>{run['counts'].get(chk.name, 0)}</td><td class='num'>{ch.get('new', 0)}</td>"
            f"<td class='num'>{ch.get('resolved', 0)}</td><td>{_e(chk.meaning)}</td></tr>")
    parts.append("</table>")
    for chk in CHECKS:
        mine = sorted((k for k in findings if k[0] == chk.name), key=lambda k: k[2])
        gone = sorted((k for k in resolved if k[0] == chk.name), key=lambda k: k[2])
        parts.append(f"<h2 id='{chk.name}'>{chk.name} <small>({len(mine)})</small></h2><p>{_e(chk.meaning)}. "
                     f"<small>Source: {_e(chk.source)}.</small></p>")
        if mine:
            parts.append("<table><tr><th>record</th><th>linked record</th><th>details</th><th>first seen</th></tr>")
            for k in mine:
                f = findings[k]
                rec, other, info = _record_cells(chk.entity_type, f.get("details") or {})
                cls = " class='new'" if k in new_keys else ""
                parts.append(f"<tr{cls}><td>{rec}</td><td>{other}</td><td>{info}</td><td>{_e(f.get('first_seen'))}</td></tr>")
            parts.append("</table>")
        else:
            parts.append("<p class='ok'>No findings.</p>")
        if gone:
            parts.append(f"<details><summary>Resolved since {_e(prev)} ({len(gone)})</summary><ul>")
            for k in gone:
                d = resolved[k].get("details") or {}
                url = d.get("salesforce_url") if chk.entity_type == "account" else d.get("zendesk_url")
                name = d.get("account_name") if chk.entity_type == "account" else d.get("org_name")
                parts.append(f"<li>{_a(url, k[2])} {_e(name)}</li>")
            parts.append("</ul></details>")
    parts.append("<p><small>Rows highlighted are new since the previous run. Names are compared after "
                 "case-folding, trimming and collapsing whitespace; Salesforce ids by their first 15 "
                 "characters.</small></p></body></html>")
    return "".join(parts)


def write(reports_dir: Path, run: Mapping[str, Any], findings: Mapping[Key, Mapping[str, Any]],
          resolved: Mapping[Key, Mapping[str, Any]], new_keys: set[Key], data_docs_index: Path | None) -> Path:
    """Write the run's page and the `latest` copy; returns the run's page."""
    day = run["run_date"].isoformat() if hasattr(run["run_date"], "isoformat") else str(run["run_date"])
    paths = []
    for folder in (reports_dir / "integrity" / day, reports_dir / "integrity" / "latest"):
        folder.mkdir(parents=True, exist_ok=True)
        href = os.path.relpath(data_docs_index, folder).replace(os.sep, "/") if data_docs_index else None
        page = folder / "index.html"
        tmp = page.with_suffix(".tmp")
        tmp.write_text(render(run, findings, resolved, new_keys, href), encoding="utf-8")
        tmp.replace(page)
        paths.append(page)
    return paths[0]
