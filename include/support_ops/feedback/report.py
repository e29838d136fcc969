"""The feedback issues' report page: open issues by reason and route, time to first response,
and the current SSAT reviewing manager (docs/feedback-issues.md).

Page: `<reports>/feedback/<date>/index.html` and `feedback/latest/`, built with the report kit
(every value escaped), plus the home page's headline. Read from `feedback_issues`, which each
run refreshes from GitLab; the manager is asked of PagerDuty when the page is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from ..config import settings
from ..reports import kit, registry
from . import rules
from .tables import feedback_issues

log = logging.getLogger(__name__)

FOLDER = "feedback"
CAPABILITY = "feedback"
ROUTES = ("product", "support-managers")


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(feedback_issues).order_by(feedback_issues.c.rating_id)).mappings()]


def _utc(ts: dt.datetime | None) -> dt.datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _hours(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    a, b = _utc(a), _utc(b)
    return None if a is None or b is None else max(0.0, (b - a).total_seconds() / 3600)


def _duration(hours: float | None) -> str:
    if hours is None:
        return "–"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _ticket_link(ticket_id: Any) -> str:
    from ..links import LinkConfigError, zendesk_ticket_url

    if not ticket_id:
        return ""
    try:
        return kit.link(zendesk_ticket_url(ticket_id), f"#{ticket_id}")
    except LinkConfigError:
        return kit.e(f"#{ticket_id}")


def render(rows: list[dict[str, Any]], now: dt.datetime, manager: str | None, assignee: str | None) -> str:
    open_rows = [r for r in rows if r["state"] == "opened"]
    responded = [_hours(r["issue_created_at"], r["first_response_at"]) for r in rows if r["first_response_at"]]
    responded = [h for h in responded if h is not None]
    waiting = [r for r in open_rows if not r["first_response_at"]]
    who = (f"{kit.e(manager)}" + (f" (GitLab <code>{kit.e(assignee)}</code>)" if assignee else
                                  " (no GitLab user matched: new issues stay unassigned)")) if manager else \
        "<span class='empty'>unknown</span>"
    figures = [("open issues", len(open_rows)),
               ("open, bad", sum(r["score"] == rules.BAD for r in open_rows)),
               ("open, good with a comment", sum(r["score"] == rules.GOOD for r in open_rows)),
               ("open, no response yet", len(waiting)),
               ("median time to first response", _duration(statistics.median(responded)) if responded else "–"),
               ("issues in all", len(rows))]
    parts = [f"<div class='panel card'><p><b>SSAT reviewing manager on call:</b> {who}</p>"
             f"<p class='note'>From the PagerDuty schedule <i>SSAT Reviewing Manager</i>, "
             f"{kit.e(now.strftime('%Y-%m-%d %H:%M UTC'))}. New bad-rating issues are assigned to them.</p></div>",
             "<div class='panel'><div class='metrics'>" + "".join(
                 f"<div class='metric'><div class='v'>{kit.e(v)}</div><div class='l'>{kit.e(label)}</div></div>"
                 for label, v in figures) + "</div></div>"]
    by = Counter((r["reason_key"], r["route"]) for r in open_rows if r["score"] == rules.BAD)
    ttf: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        h = _hours(r["issue_created_at"], r["first_response_at"])
        if r["score"] == rules.BAD and h is not None:
            ttf.setdefault((r["reason_key"], r["route"]), []).append(h)
    texts = {v: k for k, v in rules.REASON_KEYS.items()}
    table_rows = []
    for key in rules.REASON_KEYS.values():
        route = "product" if key == "product-needs" else "support-managers"
        hs = ttf.get((key, route), [])
        table_rows.append(
            f"<tr><td class='text'><span class='route {kit.e(route.replace('-', '_'))}'></span>"
            f"{kit.e(texts[key] if key != 'none' else '(no reason given)')} <code>ssat-reason::{kit.e(key)}</code></td>"
            f"<td class='text'>{kit.e(route)}</td><td>{by.get((key, route), 0)}</td>"
            f"<td>{_duration(statistics.median(hs)) if hs else '–'}</td></tr>")
    good_open = sum(r["score"] == rules.GOOD for r in open_rows)
    table_rows.append(f"<tr><td class='text'>Good rating with a comment <code>satisfaction::good</code></td>"
                      f"<td class='text'>–</td><td>{good_open}</td><td>–</td></tr>")
    parts.append("<h2 id='by-reason'>Open feedback issues by reason and route</h2>" + kit.table(
        [("reason", "text"), ("route", "text"), "open issues", "median time to first response"], table_rows)
        + "<p class='note'>Time to first response: from the issue's creation to the first comment by a "
          "person (not the pipeline's bot), over every issue of that reason, open or closed.</p>")
    listed = []
    for r in sorted(open_rows, key=lambda r: (_utc(r["issue_created_at"]) or now)):
        age = _hours(r["issue_created_at"], now)
        ref = f"#{r['issue_iid']}"
        listed.append(
            f"<tr><td class='text'>{kit.link(r['web_url'], ref)}</td>"
            f"<td class='text'>{_ticket_link(r['ticket_id'])}</td><td class='text'>{kit.e(r['score'])}</td>"
            f"<td class='text'>{kit.empty_or(r['reason_key'])}</td><td class='text'>{kit.empty_or(r['route'])}</td>"
            f"<td class='text'>{kit.empty_or(r['assignee'])}</td><td>{_duration(age)}</td>"
            f"<td>{_duration(_hours(r['issue_created_at'], r['first_response_at']))}</td></tr>")
    parts.append(f"<h2>Every open feedback issue ({len(open_rows)})</h2>"
                 + kit.filter_box("open-issues", "Filter by reason, route or assignee")
                 + kit.table([("issue", "text"), ("ticket", "text"), ("score", "text"), ("reason", "text"),
                              ("route", "text"), ("assignee", "text"), "age", "first response"],
                             listed, table_id="open-issues", sortable=True, empty="No open feedback issue."))
    return "".join(parts)


def current_manager() -> tuple[str | None, str | None]:
    """(name, GitLab username) of the manager on call now; (None, None) when it cannot be known."""
    from ..clients.pagerduty import on_call, rest_client
    from ..outbound.gitlab import gitlab_client
    from .gitlab_read import user_by_email
    from .issues import SCHEDULE

    try:
        who = on_call(rest_client(), SCHEDULE)
        if who is None:
            return None, None
        user = user_by_email(gitlab_client(), who.email) if who.email else None
        return who.name, user[1] if user else None
    except Exception as exc:  # noqa: BLE001 - the page is still worth writing without the manager
        log.warning("feedback report: the manager on call could not be read: %s", exc)
        return None, None


def write_report(engine: Engine, *, manager: str | None = None, assignee: str | None = None,
                 now: dt.datetime | None = None, root: Path | None = None) -> Path:
    """Write the dated page and `latest/`, and the home page headline; returns the dated page."""
    now = now or dt.datetime.now(dt.UTC)
    root = root or settings().reports_dir
    if manager is None:
        manager, assignee = current_manager()
    rows = _rows(engine)
    body = render(rows, now, manager, assignee)
    paths = []
    for folder in (now.date().isoformat(), "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("Feedback issues", body, subtitle="Satisfaction feedback in GitLab, by reason and route",
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("Feedback issues", "../latest/index.html")])
        paths.append(kit.write_page(page_dir / "index.html", text, root))
    open_rows = [r for r in rows if r["state"] == "opened"]
    waiting = sum(1 for r in open_rows if not r["first_response_at"])
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status="warn" if waiting else "ok",
        report=f"{FOLDER}/{now.date().isoformat()}/index.html",
        summary=f"{len(open_rows)} open feedback issue(s); reviewing manager: {manager or 'unknown'}",
        figures=[registry.Figure("open", str(len(open_rows))),
                 registry.Figure("open, bad", str(sum(r["score"] == rules.BAD for r in open_rows))),
                 registry.Figure("no response yet", str(waiting), status="warn" if waiting else "ok")]))
    return paths[0]
