"""The CRM integrity summary page: per check what it means, who fixes it and how, its count with
the change since the previous run, and every offending record (new ones first) with links.

Built with the report kit: one collapsible section per check (open when it has findings new since
the previous run), findings tables sortable and filterable by the kit's script. Written to
`reports_dir/integrity/<run_date>/index.html` and copied to `reports_dir/integrity/latest/`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..reports import kit, registry
from .guide import GUIDES
from .rules import CHECKS, Key

e, v, a = kit.e, kit.empty_or, kit.link


def _record_cells(entity_type: str, d: Mapping[str, Any], is_new: bool) -> tuple[str, str, str]:
    """(record, linked record, what to look at) cells for one finding's details."""
    new = "<span class='tag'>new</span>" if is_new else ""
    if entity_type == "account":
        rec = f"{a(d.get('salesforce_url'), d.get('account_id'))}{new}<br>{e(d.get('account_name'))}"
        orgs = d.get("linked_orgs") or []
        other = "<br>".join(f"{a(o.get('zendesk_url'), o.get('org_id'))} {e(o.get('org_name'))}" for o in orgs) or "—"
        info = [f"GitLab_Deployment__c: {v(d.get('deployment'))}", f"Support_Level__c: {v(d.get('account_support_level'))}"]
        if d.get("group"):
            info.append("same name as: " + ", ".join(
                a(g.get("salesforce_url"), g.get("account_id")) for g in d["group"] if g.get("account_id") != d.get("account_id")))
        if orgs:
            info.append(f"Zendesk_Organization_ID__c: {v(d.get('account_zendesk_organization_id'))}")
            info.append(f"Zendesk_Organization_Name__c: {v(d.get('account_zendesk_organization_name'))}")
        return rec, other, "<br>".join(info)
    rec = f"{a(d.get('zendesk_url'), d.get('org_id'))}{new}<br>{e(d.get('org_name'))}"
    if d.get("staff_org"):
        rec += " <span class='tag staff'>GitLab staff organization</span>"
    acc = d.get("linked_account") or {}
    other = f"{a(acc.get('salesforce_url'), acc.get('account_id'))}<br>{e(acc.get('account_name'))}" if acc else "—"
    info = [f"support_level: {v(d.get('org_support_level'))}"
            + (f" · account Support_Level__c: {v(acc.get('account_support_level'))}" if acc else ""),
            f"salesforce_id: {v(d.get('org_salesforce_id'))}"]
    if d.get("invalid_domains"):
        info.append("invalid domain_names: " + ", ".join(f"<code>{e(x)}</code>" for x in d["invalid_domains"]))
    return rec, other, "<br>".join(info)


def _order(keys: list[Key], findings: Mapping[Key, Mapping[str, Any]], new_keys: set[Key]) -> list[Key]:
    """New findings first, then the most recently first seen, then by id."""
    def first_seen(k: Key) -> str:
        return str(findings[k].get("first_seen") or "")

    by_id = sorted(keys, key=lambda k: k[2])
    by_seen = sorted(by_id, key=first_seen, reverse=True)
    return sorted(by_seen, key=lambda k: k not in new_keys)


def _guide_html(name: str) -> str:
    g = GUIDES[name]
    return (f"<dl class='guide'><dt>What it means</dt><dd>{e(g.why)}</dd>"
            f"<dt>Who fixes it</dt><dd class='owner'>{e(g.owner)}</dd>"
            f"<dt>How</dt><dd>{e(g.fix)}</dd>"
            f"<dt>Rule</dt><dd>{e(g.source)} · check <code>{e(name)}</code></dd></dl>")


def _section(chk, findings, resolved, new_keys, prev) -> str:
    mine = _order([k for k in findings if k[0] == chk.name], findings, new_keys)
    gone = sorted((k for k in resolved if k[0] == chk.name), key=lambda k: k[2])
    n_new = sum(1 for k in mine if k in new_keys)
    state = "bad" if mine else "ok"
    head = (f"{e(GUIDES[chk.name].title)} <span class='count {state}'>{len(mine)}</span>"
            + (f"<span class='tag'>{n_new} new</span>" if n_new else "")
            + f" <span class='note'>{e(GUIDES[chk.name].owner)}</span>")
    body = [_guide_html(chk.name)]
    if mine:
        table_id = f"findings-{chk.name}"
        rows = []
        for k in mine:
            f = findings[k]
            rec, other, info = _record_cells(chk.entity_type, f.get("details") or {}, k in new_keys)
            cls = " class='new'" if k in new_keys else ""
            rows.append(f"<tr{cls}><td class='text' data-sort='{e(k[2])}'>{rec}</td><td class='text'>{other}</td>"
                        f"<td class='text'>{info}</td><td data-sort='{e(f.get('first_seen'))}'>{e(f.get('first_seen'))}</td></tr>")
        record = "Salesforce account" if chk.entity_type == "account" else "Zendesk organization"
        linked = "linked Zendesk organization" if chk.entity_type == "account" else "linked Salesforce account"
        body.append(kit.filter_box(table_id, "Filter by id, name, plan or domain", new_toggle=bool(n_new)))
        body.append(kit.table([(record, "text"), (linked, "text"), ("fields to look at", "text"), "first seen"],
                              rows, table_id=table_id, sortable=True))
    else:
        body.append("<p class='ok'>No findings.</p>")
    if gone:
        items = []
        for k in gone:
            d = resolved[k].get("details") or {}
            url = d.get("salesforce_url") if chk.entity_type == "account" else d.get("zendesk_url")
            name = d.get("account_name") if chk.entity_type == "account" else d.get("org_name")
            items.append(f"<li>{a(url, k[2])} {e(name)}</li>")
        body.append(f"<details><summary>Resolved since {e(prev)} ({len(gone)})</summary><ul>{''.join(items)}</ul></details>")
    opened = " open" if n_new and prev else ""  # what changed since the last run; a first run starts closed
    return (f"<details class='section' id='{e(chk.name)}'{opened}><summary>{head}</summary>"
            f"<div>{''.join(body)}</div></details>")


def render(run: Mapping[str, Any], findings: Mapping[Key, Mapping[str, Any]], resolved: Mapping[Key, Mapping[str, Any]],
           new_keys: set[Key], data_docs_href: str | None, *, kit_href: str | None = None,
           home_href: str | None = None) -> str:
    """The page for one run. `findings` / `resolved`: key -> {"details", "first_seen"}."""
    day = run["run_date"]
    changes = (run.get("changes") or {}).get("checks") or {}
    prev = (run.get("changes") or {}).get("previous_run")
    total = sum(run["counts"].values())
    new_total = sum(c.get("new", 0) for c in changes.values())
    gone_total = sum(c.get("resolved", 0) for c in changes.values())
    checked = run.get("checked_at")
    checked = checked.strftime("%Y-%m-%d %H:%M UTC") if isinstance(checked, dt.datetime) else checked
    sync = ("<span class='ok'>allowed</span>" if run["sync_allowed"] else
            "<strong class='down'>blocked</strong> by " + ", ".join(
                f"{e(c)} ({int(n)})" for c, n in sorted((run.get("blocking") or {}).items())))
    subtitle = (f"{total} finding(s) · " + (f"+{new_total} new / −{gone_total} resolved since {e(prev)}" if prev
                                           else "first run") + f" · checked {e(checked)}")
    parts = [f"<div class='panel'><p>Organization sync: {sync}. Every Customer account in Salesforce and "
             "every Zendesk organization is checked; open a check below for what it means, who fixes it and "
             "how. New findings come first and are highlighted.</p>"]
    if data_docs_href:
        parts.append(f"<p>The same checks as a Great Expectations suite: {a(data_docs_href, 'validation results')}.</p>")
    parts.append("</div>")
    rows = []
    for chk in CHECKS:
        ch = changes.get(chk.name, {})
        n = int(run["counts"].get(chk.name, 0))
        rows.append(f"<tr><td class='text'><a href='#{e(chk.name)}'>{e(GUIDES[chk.name].title)}</a></td>"
                    f"<td class='text'>{e(GUIDES[chk.name].owner)}</td><td class='{'low' if n else 'ok'}'>{n}</td>"
                    f"<td>{int(ch.get('new', 0))}</td><td>{int(ch.get('resolved', 0))}</td></tr>")
    parts.append("<h2>Checks</h2><div class='panel'>" + kit.table(
        [("check", "text"), ("who fixes it", "text"), "findings", "new", "resolved"], rows,
        table_id="checks", sortable=True) + "</div>")
    parts.append("<h2>Findings by check</h2>")
    parts += [_section(chk, findings, resolved, new_keys, prev) for chk in CHECKS]
    parts.append("<p class='note'>Names are compared after case-folding, trimming and collapsing whitespace; "
                 "Salesforce ids by their first 15 characters.</p>")
    return kit.page(f"CRM integrity — {day}", "".join(parts), subtitle=subtitle, kit_href=kit_href,
                    home_href=home_href)


def headline(run: Mapping[str, Any], report: str) -> registry.Headline:
    """The home page's card: findings with their change, the sync status, the biggest checks."""
    changes = (run.get("changes") or {}).get("checks") or {}
    prev = (run.get("changes") or {}).get("previous_run")
    total = sum(int(n) for n in run["counts"].values())
    new = sum(int(c.get("new", 0)) for c in changes.values())
    gone = sum(int(c.get("resolved", 0)) for c in changes.values())
    day = run["run_date"].isoformat() if hasattr(run["run_date"], "isoformat") else str(run["run_date"])
    change = f"+{new} new / −{gone} resolved since {prev}" if prev else "first run"
    figures = [registry.Figure(f"findings on {day}", f"{total:,}", change, "bad" if new else "info"),
               registry.Figure("organization sync", "allowed" if run["sync_allowed"] else "blocked",
                               ", ".join(sorted(run.get("blocking") or {})), "ok" if run["sync_allowed"] else "bad")]
    top = sorted(((int(n), c) for c, n in run["counts"].items() if int(n)), reverse=True)[:4]
    figures += [registry.Figure(GUIDES[c].title if c in GUIDES else c, f"{n:,}",
                                f"+{int(changes.get(c, {}).get('new', 0))} / −{int(changes.get(c, {}).get('resolved', 0))}")
                for n, c in top]
    status = "bad" if not run["sync_allowed"] else ("warn" if total else "ok")
    return registry.Headline("integrity", f"{total:,} finding(s) on {day}; {change}.", status, figures, report)


def write(reports_dir: Path, run: Mapping[str, Any], findings: Mapping[Key, Mapping[str, Any]],
          resolved: Mapping[Key, Mapping[str, Any]], new_keys: set[Key], data_docs_index: Path | None) -> Path:
    """Write the run's page and the `latest` copy; returns the run's page."""
    day = run["run_date"].isoformat() if hasattr(run["run_date"], "isoformat") else str(run["run_date"])
    paths = []
    for folder in (reports_dir / "integrity" / day, reports_dir / "integrity" / "latest"):
        href = os.path.relpath(data_docs_index, folder).replace(os.sep, "/") if data_docs_index else None
        home = os.path.relpath(reports_dir, folder).replace(os.sep, "/") + "/../"
        text = render(run, findings, resolved, new_keys, href, kit_href=kit.kit_href_for(folder, reports_dir),
                      home_href=home)
        paths.append(kit.write_page(folder / "index.html", text, reports_dir))
    registry.publish(reports_dir, headline(run, f"integrity/{day}/index.html"))
    return paths[0]
