"""The on-call page (`reports/oncall/<run date>/`), its home-page headline and the Slack digest.

The page draws one timeline per schedule as inline SVG (no script, no external asset: the
reports' CSP allows neither): the 14 days, each shift a bar in its person's colour, the
region's hours shaded for the regional schedules and every coverage gap in red. Below: who
is on call now, and the findings with links to the PagerDuty objects. Names come from
PagerDuty and are escaped like any other text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from ..outbound.writers import Writer, register_writer
from ..reports import kit, registry
from . import store
from .expected import Expected, load
from .model import CHECK_NAMES, parse_time

FOLDER = "oncall"
CAPABILITY = "oncall"
DIGEST = register_writer(Writer("oncall_digest", "slack", default_cap=1))

WIDTH, LABEL, ROW = 1000, 0, 26
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#e15759",
           "#bab0ac", "#86bcb6")
CHECK_TITLES = {
    "coverage_gap": "Nobody on call in the region's hours",
    "handoff_not_monday_0700": "Rotation does not hand off Monday 07:00 UTC in whole weeks",
    "schedule_missing": "Schedule named in the handbook does not exist",
    "policy_missing": "Escalation policy of the handbook does not exist",
    "policy_rule_mismatch": "Escalation rules differ from the handbook",
    "policy_repeat_mismatch": "Repeat count differs from the handbook",
    "service_without_policy": "Service without its escalation policy",
}


def _x(t: dt.datetime, since: dt.datetime, until: dt.datetime) -> float:
    span = (until - since).total_seconds()
    return round(WIDTH * min(max((t - since).total_seconds(), 0), span) / span, 1)


def timeline(name: str, shifts: list[dict], since: dt.datetime, until: dt.datetime,
             hours: Any = None, gaps: list[tuple[dt.datetime, dt.datetime]] = ()) -> str:
    """One schedule's 14 days as an SVG picture with a text alternative."""
    people: dict[str, int] = {}
    for s in shifts:
        people.setdefault(s["user_name"] or s["user_id"], len(people))
    top, bar = 18, 22
    height = top + bar + 4
    parts = [f"<svg class='timeline' role='img' viewBox='0 0 {WIDTH} {height}' width='100%' "
             f"preserveAspectRatio='none' xmlns='http://www.w3.org/2000/svg'>",
             f"<title>{kit.e(name)}: {len(shifts)} shift(s), {len(gaps)} gap(s) in the region's hours</title>",
             f"<rect x='0' y='{top}' width='{WIDTH}' height='{bar}' fill='#f4f4f4'/>"]
    if hours is not None:
        for a, b in hours.intervals(since, until):
            x1, x2 = _x(a, since, until), _x(b, since, until)
            parts.append(f"<rect class='hours' x='{x1}' y='{top - 4}' width='{round(x2 - x1, 1)}' height='4' "
                         "fill='#555'><title>region's hours</title></rect>")
    for s in shifts:
        x1, x2 = _x(s["start"], since, until), _x(s["end"], since, until)
        if x2 <= x1:
            continue
        who = s["user_name"] or s["user_id"]
        color = PALETTE[people[who] % len(PALETTE)]
        parts.append(f"<rect class='shift' x='{x1}' y='{top}' width='{round(x2 - x1, 1)}' height='{bar}' "
                     f"fill='{color}'><title>{kit.e(who)}: {s['start']:%a %d %b %H:%M} – "
                     f"{s['end']:%a %d %b %H:%M} UTC</title></rect>")
    for a, b in gaps:
        x1, x2 = _x(a, since, until), _x(b, since, until)
        parts.append(f"<rect class='gap' x='{x1}' y='{top}' width='{max(round(x2 - x1, 1), 2)}' height='{bar}' "
                     f"fill='#d62728' fill-opacity='0.85'><title>nobody on call {a:%a %d %b %H:%M} – "
                     f"{b:%H:%M} UTC</title></rect>")
    day = since.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    while day < until:
        x = _x(day, since, until)
        parts.append(f"<line x1='{x}' x2='{x}' y1='{top - 6}' y2='{top + bar}' stroke='#999' stroke-width='0.6'/>")
        if day.weekday() == 0 or (until - since).days <= 14:
            parts.append(f"<text x='{x + 2}' y='11' font-size='10' fill='#333'>{day:%a %d}</text>")
        day += dt.timedelta(days=1)
    parts.append("</svg>")
    legend = " ".join(f"<span class='who'><span class='swatch' style='display:inline-block;width:10px;height:10px;"
                      f"margin:0 4px 0 10px;background:{PALETTE[i % len(PALETTE)]}'>"
                      f"</span>{kit.e(p)}</span>" for p, i in people.items())
    return "".join(parts) + f"<p class='legend note'>{legend or 'nobody on call in these 14 days'}</p>"


def _link(details: dict, label: Any) -> str:
    return kit.link(details.get("html_url"), label)


def describe(check_name: str, details: dict | None) -> list[str]:
    """What a finding says, as plain lines (the page escapes them, the command line prints them)."""
    d = details or {}
    if check_name == "coverage_gap":
        return [f"{d.get('region')}: nobody from {d.get('start')} to {d.get('end')} ({d.get('minutes')} min)"]
    if check_name == "handoff_not_monday_0700":
        return [f"{d.get('layer')}: {d.get('reason')} (time zone {d.get('time_zone')})"]
    if check_name == "policy_rule_mismatch":
        out = []
        for x in d.get("differences") or []:
            if x.get("what") == "targets":
                out.append(f"rule {x['rule']}: missing {', '.join(x['missing']) or '–'}; "
                           f"extra {', '.join(x['extra']) or '–'}")
            elif x.get("what") == "delay":
                out.append(f"rule {x['rule']}: waits {x['actual']} min, the handbook says {x['expected']}")
            else:
                out.append(f"{x.get('what')}: {x.get('actual')}, the handbook says {x.get('expected')}")
        return out
    if check_name == "policy_repeat_mismatch":
        return [f"repeats {d.get('actual')} time(s), the handbook says {d.get('expected')}"]
    if check_name == "service_without_policy":
        return [str(d.get("reason") or "")]
    return [f"named in the handbook ({d['needed_for']})"] if d.get("needed_for") else []


def _describe(f: dict) -> str:
    return "<br>".join(kit.e(line) for line in describe(f["check_name"], f["details"]))


def _entity(f: dict) -> str:
    d = f["details"] or {}
    if f["check_name"] == "service_without_policy":
        name = d.get("service") or f["entity_id"]
    else:
        name = d.get("schedule") or d.get("policy") or f["entity_id"]
    label = name if name == f["entity_id"] else f"{name} ({f['entity_id']})"
    return _link(d, label)


def render(engine: Engine, run_date: dt.date, expected: Expected | None = None) -> str:
    exp = expected or load()
    run = store.load_run(engine, run_date)
    if run is None:
        raise LookupError(f"no on-call run recorded for {run_date}: run the audit first")
    since, until = run["as_of"], run["until"]
    findings = store.load_findings(engine, run_date)
    shifts = store.load_shifts(engine, since, until)
    counts = run["counts"] or {}
    changes = (run["changes"] or {}).get("checks") or {}
    parts = ["<div class='metrics'>" + "".join(
        f"<div class='metric {'bad' if counts.get(c) else 'ok'}'><div class='v'>{counts.get(c, 0)}</div>"
        f"<div class='l'>{kit.e(c)}" + (f" · {changes[c]['new']} new" if changes.get(c, {}).get("new") else "")
        + "</div></div>" for c in CHECK_NAMES) + "</div>"]
    now_rows = [f"<tr><td class='text'>{kit.link(d.get('html_url'), d['service'])}</td><td class='text'>"
                + ("<br>".join(kit.e(f"{p['name']} ({p['schedule'] or 'named in the policy'})") for p in d["people"])
                   or "<span class='empty'>nobody</span>") + "</td></tr>" for d in run["now_on_call"] or []]
    parts.append(f"<h2>On call at {since:%Y-%m-%d %H:%M} UTC</h2>"
                 + kit.table([("service", "text"), ("first notified", "text")], now_rows))
    region_of = {name: region for _g, region, name in exp.regional_schedules()}
    by_sched: dict[str, list[dict]] = {}
    ids: dict[str, str] = {}
    for s in shifts:
        by_sched.setdefault(s["schedule_name"], []).append(s)
        ids[s["schedule_name"]] = s["schedule_id"]
    gaps: dict[str, list] = {}
    for f in findings:
        if f["check_name"] == "coverage_gap":
            gaps.setdefault(f["entity_id"], []).append((parse_time(f["details"]["start"]),
                                                        parse_time(f["details"]["end"])))
    names = sorted(set(by_sched) | set(region_of), key=lambda n: (n not in region_of, n))
    parts.append(f"<h2>The next 14 days, per schedule</h2><p class='note'>From {since:%a %d %b %H:%M} to "
                 f"{until:%a %d %b %H:%M} UTC. Each bar is a shift (hover for who and when); the dark line "
                 "above marks the region's hours; red is nobody on call inside them.</p>")
    for name in names:
        region = region_of.get(name)
        head = kit.e(name) + (f" <span class='note'>· {kit.e(region)} hours</span>" if region else "")
        parts.append(f"<section class='schedule'><h3>{head}</h3>"
                     + timeline(name, by_sched.get(name, []), since, until,
                                exp.hours.get(region) if region else None, gaps.get(ids.get(name, ""), []))
                     + "</section>")
    prev = (run["changes"] or {}).get("previous_run")
    rows = []
    for f in findings:
        new = prev is None or f["first_seen"] > dt.date.fromisoformat(prev)
        rows.append(f"<tr{' data-new=1' if new else ''}><td class='text'>{kit.e(f['check_name'])}</td>"
                    f"<td class='text'>{_entity(f)}</td><td class='text'>{_describe(f)}</td>"
                    f"<td>{kit.e(f['first_seen'])}</td></tr>")
    parts.append("<h2>Findings</h2><p class='note'>Rules: docs/oncall.md. The handbook's setup is in "
                 "include/support_ops/oncall/expected.yaml.</p>"
                 + kit.table([("check", "text"), ("PagerDuty object", "text"), ("what", "text"), "first seen"],
                             rows, table_id="findings", sortable=True, empty="No findings: PagerDuty says what "
                             "the handbook says."))
    return "".join(parts)


def write_report(engine: Engine, run_date: Any) -> dict[str, Any]:
    """Write the run's page (and `latest/`) and the home-page headline; returns path and URL."""
    from ..links import report_url

    day = dt.date.fromisoformat(str(run_date))
    root = settings().reports_dir
    body = render(engine, day)
    out: dict[str, Any] = {"run_date": day.isoformat()}
    for folder in (day.isoformat(), "latest"):
        page_dir = root / FOLDER / folder
        text = kit.page("On-call roster and audit", body, subtitle=f"PagerDuty, {day.isoformat()}",
                        kit_href=kit.kit_href_for(page_dir, root), home_href="../../../",
                        crumbs=[("On-call", "../latest/index.html")])
        path = kit.write_page(page_dir / "index.html", text, root)
        if folder == day.isoformat():
            out["path"] = str(path)
            out["url"] = report_url(f"{FOLDER}/{day.isoformat()}/index.html")
    store.set_report(engine, day, f"{FOLDER}/{day.isoformat()}/index.html")
    _headline(engine, day, root)
    return out


def _headline(engine: Engine, day: dt.date, root: Any) -> None:
    run = store.load_run(engine, day)
    counts = run["counts"] or {}
    total = sum(counts.values())
    coverage = counts.get("coverage_gap", 0) + counts.get("handoff_not_monday_0700", 0)
    policy = total - coverage
    first = []
    for d in run["now_on_call"] or []:
        people = ", ".join(p["name"] for p in d["people"]) or "nobody"
        first.append(registry.Figure(d["service"], people, note="on call now",
                                     status="info" if d["people"] else "bad"))
    registry.publish(root, registry.Headline(
        capability=CAPABILITY, status="ok" if not total else "warn", report=f"{FOLDER}/{day.isoformat()}/index.html",
        summary=(f"{day.isoformat()}: {total} finding(s)" if total else f"{day.isoformat()}: PagerDuty matches the handbook"),
        figures=[registry.Figure("coverage and hand-off", str(coverage), status="bad" if coverage else "ok"),
                 registry.Figure("policies and services", str(policy), status="bad" if policy else "ok"), *first]))


def digest_text(run: dict[str, Any], url: str | None = None) -> str:
    """Who is on call now for the digest's services (names from PagerDuty, escaped)."""
    from ..notify.slack import escape

    lines = [f"*On call now* ({run['as_of']:%a %d %b %H:%M} UTC)"]
    for d in run["now_on_call"] or []:
        people = "; ".join(escape(p["name"]) + (f" ({escape(p['schedule'])})" if p.get("schedule") else "")
                           for p in d["people"]) or "_nobody_"
        lines.append(f"• {escape(d['service'])}: {people}")
    total = sum((run["counts"] or {}).values())
    if total:
        lines.append(f"On-call audit: {total} finding(s) — "
                     + ", ".join(f"{c} {n}" for c, n in (run["counts"] or {}).items() if n))
    if url:
        lines.append(f"Roster and findings: {url}")
    return "\n".join(lines)


def notify_digest(engine: Engine, run_date: Any, url: str | None = None, *, dry_run: bool = False) -> str:
    """One Slack message a day (key `oncall-digest:<run date>`), through the outbound layer."""
    from ..notify.slack import notify

    day = dt.date.fromisoformat(str(run_date))
    run = store.load_run(engine, day)
    if run is None:
        raise LookupError(f"no on-call run recorded for {day}: run the audit first")
    return notify(engine, f"oncall-digest:{day.isoformat()}", digest_text(run, url), writer=DIGEST, dry_run=dry_run)
