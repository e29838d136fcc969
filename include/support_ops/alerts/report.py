"""The ops notifications' report page: the alerts of the last 7 days and the view-count history.

Page: `<reports>/alerts/<date>/index.html` and `alerts/latest/`, built with the report kit
(every value escaped; the chart an SVG image inside the page, no external asset, no script
of its own), plus the home page's headline. Lead time: minutes left before breach when the
alert was posted: at most 120; a 10-minute schedule costs up to 10 of them, the seed's hourly
automation up to 60 (or the whole warning, for a target shorter than an hour).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from ..reports import kit, registry
from . import store
from .messages import duration, ticket_url

FOLDER = "alerts"
CAPABILITY = "alerts"
DAYS = 7
COLORS = ("#6e49cb", "#e67e22", "#1f8a4c", "#c62828", "#3a7bd5", "#8a5a00", "#6b7785", "#b7791f")


def _chart(counts: list[dict]) -> str:
    series: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    titles: dict[int, str] = {}
    for r in counts:
        if r["value"] is not None:
            series[r["view_id"]].append((r["counted_at"], r["value"]))
            titles[r["view_id"]] = r["title"]
    if not series:
        return "<p class='note'>No view counts recorded yet: the zendesk_view_counts DAG records them hourly.</p>"
    fig, ax = kit.figure(9.5, 3.4)
    for i, (vid, points) in enumerate(sorted(series.items())):
        xs, ys = zip(*sorted(points), strict=True)
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.6, color=COLORS[i % len(COLORS)],
                label=titles[vid][:40])
    ax.set_ylabel("tickets in view", color=kit.MUTED, fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    return kit.svg_img(fig, "Tickets per Zendesk view over time")


def render(alerts: list[dict], counts: list[dict], now: dt.datetime) -> str:
    leads = [a["lead_minutes"] for a in alerts]
    figures = [("alerts in the last 7 days", len(alerts)),
                ("median lead time before breach", duration(int(statistics.median(leads))) if leads else "–"),
                ("shortest lead time", duration(min(leads)) if leads else "–"),
                ("tags still on", sum(1 for a in alerts if a["tag_on"]))]
    parts = ["<div class='panel'><div class='metrics'>" + "".join(
        f"<div class='metric'><div class='v'>{kit.e(v)}</div><div class='l'>{kit.e(label)}</div></div>"
        for label, v in figures) + "</div></div>"]
    rows = []
    for a in alerts:
        url = ticket_url(a["ticket_id"])
        rows.append(
            f"<tr><td class='text'>{kit.link(url, '#' + str(a['ticket_id']))}</td>"
            f"<td class='text'>{kit.e(store.utc(a['alerted_at']).strftime('%Y-%m-%d %H:%M'))}</td>"
            f"<td class='text'>{kit.e(store.utc(a['breach_at']).strftime('%Y-%m-%d %H:%M'))}</td>"
            f"<td>{kit.e(duration(a['lead_minutes']))}</td><td class='text'>{kit.e(a['metric'])} "
            f"#{kit.e(a['instance_id'])}</td><td class='text'>{kit.empty_or(a['organization'])}</td>"
            f"<td class='text'>{kit.e(a['plan'])}</td><td class='text'>{kit.e(a['priority'] or '')}</td>"
            f"<td class='text'>{'on' if a['tag_on'] else 'removed'}</td></tr>")
    parts.append(f"<h2>Tickets alerted in the last {DAYS} days ({len(alerts)})</h2>"
                 + kit.filter_box("alerts", "Filter by organization, plan or metric")
                 + kit.table([("ticket", "text"), ("alerted (UTC)", "text"), ("breach (UTC)", "text"),
                              "lead time", ("metric", "text"), ("organization", "text"), ("plan", "text"),
                              ("priority", "text"), ("tag", "text")], rows, table_id="alerts", sortable=True,
                             empty="No ticket alerted in the last 7 days."))
    latest: dict[int, dict] = {}
    for r in counts:
        latest[r["view_id"]] = r
    view_rows = [f"<tr><td class='text'>{kit.e(r['title'])}</td><td>{kit.e('–' if r['value'] is None else r['value'])}"
                 f"</td><td class='text'>{kit.e(r['counted_at'].strftime('%Y-%m-%d %H:%M'))}</td>"
                 f"<td class='text'>{'yes' if r['fresh'] else 'no'}</td></tr>" for r in latest.values()]
    parts.append("<h2>Queue sizes over time (Zendesk views)</h2><div class='panel'>" + _chart(counts) + "</div>"
                 + kit.table([("view", "text"), "tickets", ("counted (UTC)", "text"), ("fresh", "text")], view_rows,
                             empty="No view counted yet."))
    return "".join(parts)


def write_report(engine: Engine, *, now: dt.datetime | None = None, root: Path | None = None) -> Path:
    """Write the dated page and `latest/`, and the home page headline; returns the dated page."""
    now = now or dt.datetime.now(dt.UTC)
    root = root or settings().reports_dir
    since = now - dt.timedelta(days=DAYS)
    alerts = store.ledger(engine, since=since)
    counts = store.view_counts(engine, since=since)
    body = render(alerts, counts, now)
    paths = []
    for folder in (now.date().isoformat(), "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("Ops notifications", body,
                        subtitle=kit.e(f"Premium SLA-breach alerts and Zendesk view counts, as of "
                                       f"{now:%Y-%m-%d %H:%M} UTC"),
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("Ops notifications", "../latest/index.html")])
        paths.append(kit.write_page(page_dir / "index.html", text, root))
    leads = [a["lead_minutes"] for a in alerts]
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status="info",
        report=f"{FOLDER}/{now.date().isoformat()}/index.html",
        summary=f"{len(alerts)} premium ticket(s) alerted before breach in the last {DAYS} days",
        figures=[registry.Figure("alerts, 7 days", str(len(alerts))),
                 registry.Figure("median lead time", duration(int(statistics.median(leads))) if leads else "–"),
                 registry.Figure("views counted", str(len({r['view_id'] for r in counts})))]))
    return paths[0]


def summary(engine: Engine) -> dict[str, Any]:
    return {"alerts_7d": len(store.ledger(engine, since=dt.datetime.now(dt.UTC) - dt.timedelta(days=DAYS)))}
