"""The ticket-record checks' report page (and home-page headline): the health checks, then every
finding with links to the ticket in Zendesk and the record in Salesforce."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from ..config import settings
from ..reports import kit, registry
from ..sharing import findings as findings_store
from . import health, names, reconcile
from .tables import ticket_record_findings, ticket_record_runs

FOLDER = "ticket_records"
CAPABILITY = "ticket_records"


def _url(fn: Any, *args: Any) -> str | None:
    from ..links import LinkConfigError

    try:
        return fn(*args)
    except LinkConfigError:
        return None


def run_of(engine: Engine, run_date: dt.date) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(ticket_record_runs).where(ticket_record_runs.c.run_date == run_date)).mappings().first()
    return dict(row) if row else None


def render(engine: Engine, run_date: dt.date) -> str:
    from ..links import salesforce_record_url, zendesk_ticket_url

    run = run_of(engine, run_date) or {}
    with engine.connect() as conn:
        rows = findings_store.of_day(conn, ticket_record_findings, run_date)
    counts = run.get("counts") or {}
    state = run.get("health") or {}
    checks = "".join(f"<tr><td class='text'>{kit.e(c)}</td><td class='{'ok' if state.get(c) else 'low'}'>"
                     f"{'ok' if state.get(c) else 'FAILED'}</td></tr>" for c in health.CHECKS)
    parts = [f"<div class='panel'><p>Tickets created or solved in the last {kit.e(run.get('days'))} days: "
             f"{kit.e(counts.get('tickets_in_window', 0))}; object <code>{kit.e(names.ticket_object())}</code>.</p>"
             "<div class='metrics'>" + "".join(
                 f"<div class='metric'><div class='v'>{kit.e(counts.get(c, 0))}</div><div class='l'>{kit.e(c)}</div></div>"
                 for c in reconcile.CHECKS) + "</div></div>",
             "<h2>Health checks (the seed's checklist)</h2>" + kit.table([("check", "text"), "state"], [checks])]
    if run.get("backfill"):
        parts.append(f"<p class='panel'>Backfill: {kit.e(run['backfill'].get('status'))} "
                     f"{kit.e(run['backfill'].get('counts'))} (plan {kit.e(run['backfill'].get('plan_id'))})</p>")
    body = []
    for r in rows:
        d = r["details"] or {}
        what = kit.e(r["entity_id"])
        if r["entity_type"] == "ticket":
            what = kit.link(_url(zendesk_ticket_url, r["entity_id"]), f"ticket {r['entity_id']}")
        record = kit.link(_url(salesforce_record_url, d["record"], names.ticket_object()), d["record"]) \
            if d.get("record") else ""
        body.append(f"<tr><td class='text'>{kit.e(r['check_name'])}</td><td class='text'>{what}</td>"
                    f"<td class='text'>{record}</td><td class='text'>{kit.e({k: v for k, v in d.items() if k != 'record'})}</td>"
                    f"<td>{kit.e(r['first_seen'])}</td></tr>")
    parts.append("<h2>Findings</h2>" + kit.filter_box("findings", "Filter findings") + kit.table(
        [("check", "text"), ("entity", "text"), ("record", "text"), ("details", "text"), "first seen"], body,
        table_id="findings", sortable=True, empty="No finding: every recent ticket has its record."))
    return "".join(parts)


def write_report(engine: Engine, run_date: dt.date) -> dict[str, Any]:
    from ..links import report_url

    root = settings().reports_dir
    body = render(engine, run_date)
    out: dict[str, Any] = {}
    for folder in (run_date.isoformat(), "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("Ticket records in Salesforce", body, subtitle=f"Checks of {kit.e(run_date.isoformat())}",
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("Ticket records", "../latest/index.html")])
        path = kit.write_page(page_dir / "index.html", text, root)
        if folder != "latest":
            out = {"path": str(path), "url": report_url(f"{FOLDER}/{folder}/index.html")}
    run = run_of(engine, run_date) or {}
    counts, state = run.get("counts") or {}, run.get("health") or {}
    unhealthy = [c for c in health.CHECKS if not state.get(c, True)]
    problems = sum(counts.get(c, 0) for c in reconcile.CHECKS)
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status="bad" if unhealthy else "warn" if problems else "ok",
        report=f"{FOLDER}/{run_date.isoformat()}/index.html",
        summary=f"{run_date.isoformat()}: {problems} ticket(s) without a correct record; "
                f"health {'FAILED: ' + ', '.join(unhealthy) if unhealthy else 'ok'}",
        figures=[registry.Figure(c, str(counts.get(c, 0)), status="bad" if counts.get(c) else "ok")
                 for c in reconcile.CHECKS]))
    with engine.begin() as conn:
        conn.execute(ticket_record_runs.update().where(ticket_record_runs.c.run_date == run_date)
                     .values(report=out["url"]))
    return out


def summary_lines(engine: Engine) -> list[str]:
    """The latest run, for `support_ops summary` and `make demo`."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("ticket_record_runs"):
        return []
    with engine.connect() as conn:
        row = conn.execute(select(ticket_record_runs).order_by(ticket_record_runs.c.run_date.desc()).limit(1)).mappings().first()
        if row is None:
            return ["Ticket records in Salesforce: no run yet (trigger salesforce_ticket_records)"]
        found = findings_store.of_day(conn, ticket_record_findings, row["run_date"])
    counts, state = row["counts"] or {}, row["health"] or {}
    lines = [f"Ticket records in Salesforce {row['run_date']}: {counts.get('tickets_in_window', 0)} tickets in the "
             f"last {row['days']} days; health " + ("ok" if all(state.values()) else
                                                    "FAILED: " + ", ".join(c for c, ok in state.items() if not ok))]
    for c in reconcile.CHECKS + health.CHECKS:
        ids = [f["entity_id"] for f in found if f["check_name"] == c]
        if ids:
            lines.append(f"  {c:<28} {len(ids):>4}  {', '.join(ids[:8])}{' …' if len(ids) > 8 else ''}")
    if row.get("report"):
        lines.append(f"  Report: {row['report']}")
    return lines
