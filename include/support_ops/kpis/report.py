"""The CSAT KPI report, built with the report kit (inline CSS, charts as SVG data URIs).

Written to `<reports_dir>/kpis/<run date>/index.html` and `<reports_dir>/kpis/latest/index.html`,
served in the Airflow UI by the project's plugin. The figures come only from the KPI contract
tables, so it shows exactly what other tools see; the list of bad-rated tickets of the latest
periods (with links to them in Zendesk) is read from the extracted tickets and ratings with the
same latest-rating rule. Weekly and monthly tables mark periods and segments with few responses
(`SMALL_SAMPLE`): their CSAT swings with a single rating. No network access is needed to view it.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from ..reports import kit, registry
from . import definitions as d
from .queries import as_of as data_as_of
from .queries import bad_rated_tickets, pct, read_kpis, read_table

log = logging.getLogger(__name__)

WEEKS_SHOWN = 26
MONTHS_SHOWN = 12
REASON_MONTHS = 6
SMALL_SAMPLE = 20  # fewer responses than this: the CSAT is marked as a small sample
GOOD, BAD, INK, MUTED, GRID = kit.GOOD, kit.BAD, kit.INK, kit.MUTED, kit.GRID
ACCENT, ACCENT2 = kit.ACCENT, kit.ACCENT2
REASON_COLORS = {"merged": "#8e99a8", "mail_list": "#f0b429", "gitlab_team": "#6e49cb", "other": "#2d9cdb"}
ROUTE_COLORS = {"product": "#e67e22", "support_managers": "#6e49cb"}


@dataclass
class ReportData:
    """Everything the page shows, read from the warehouse once."""

    as_of: dt.datetime
    target: float
    week: dt.date
    month: dt.date
    weeks: list[dict] = field(default_factory=list)  # 'all' rows, oldest first, up to `week`
    months: list[dict] = field(default_factory=list)
    unsurveyed_months: list[dict] = field(default_factory=list)
    unsurveyed_weeks: list[dict] = field(default_factory=list)
    bad_months: list[dict] = field(default_factory=list)
    bad_weeks: list[dict] = field(default_factory=list)
    segments: dict[str, dict[str, list[dict]]] = field(default_factory=dict)  # type -> period -> rows
    bad_tickets_week: list[dict] = field(default_factory=list)
    bad_tickets_month: list[dict] = field(default_factory=list)


def _back(period_type: str, start: dt.date, n: int) -> dt.date:
    for _ in range(n):
        start = d.previous_period(period_type, start)
    return start


def load(engine: Engine, as_of: dt.datetime | None = None, target: float | None = None) -> ReportData:
    as_of = as_of or data_as_of(engine)
    week, month = d.latest_complete("week", as_of), d.latest_complete("month", as_of)
    first_week, first_month = _back("week", week, WEEKS_SHOWN - 1), _back("month", month, MONTHS_SHOWN - 1)
    reason_from = _back("month", month, REASON_MONTHS - 1)
    data = ReportData(
        as_of=as_of, target=settings().csat_target if target is None else target, week=week, month=month,
        weeks=read_kpis(engine, "week", first_week, week),
        months=read_kpis(engine, "month", first_month, month),
        unsurveyed_months=[r for r in read_table(engine, "csat_unsurveyed", "month", reason_from)
                           if r["period_start"] <= month],
        unsurveyed_weeks=[r for r in read_table(engine, "csat_unsurveyed", "week", week) if r["period_start"] == week],
        bad_months=[r for r in read_table(engine, "csat_bad_reasons", "month", reason_from)
                    if r["period_start"] <= month],
        bad_weeks=[r for r in read_table(engine, "csat_bad_reasons", "week", week) if r["period_start"] == week],
    )
    for seg in ("support_level", "form"):
        data.segments[seg] = {
            "week": read_kpis(engine, "week", week, week, seg),
            "month": read_kpis(engine, "month", month, month, seg),
        }
    data.bad_tickets_week = bad_rated_tickets(engine, "week", week)
    data.bad_tickets_month = bad_rated_tickets(engine, "month", month)
    return data


def ticket_links() -> Callable[[object], str | None]:
    """Ticket id -> its page in Zendesk (support_ops.links); no link without a Zendesk connection."""
    from ..links import LinkConfigError, reset, zendesk_ticket_url

    reset()
    try:
        zendesk_ticket_url(0)
    except LinkConfigError as exc:
        log.warning("no ticket links in the KPI report: %s", exc)
        return lambda _id: None
    return zendesk_ticket_url


# -- charts --------------------------------------------------------------------------------

def _figure(width: float = 9.5, height: float = 3.2):
    return kit.figure(width, height)


def _svg_img(fig, alt: str) -> str:
    return kit.svg_img(fig, alt)


def _percent_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _week_ticks(ax, starts: list[dt.date]) -> None:
    xs = list(range(len(starts)))
    step = max(1, len(starts) // 13)
    ax.set_xticks(xs[::step])
    ax.set_xticklabels([f"W{s.isocalendar()[1]:02d}\n{s:%d %b}" for s in starts[::step]])
    ax.set_xlim(-0.6, len(starts) - 0.4)


def chart_csat(weeks: list[dict], target: float) -> str:
    fig, ax = _figure()
    starts = [r["period_start"] for r in weeks]
    xs = list(range(len(weeks)))
    resp = [r["responded"] for r in weeks]
    ax2 = ax.twinx()
    ax2.bar(xs, resp, color="#dfe3ea", width=0.7, zorder=0, label="responses")
    ax2.set_ylim(0, max(resp + [1]) * 3.2)
    ax2.set_yticks([])
    for side in ("top", "right", "left", "bottom"):
        ax2.spines[side].set_visible(False)
    ax.set_zorder(ax2.get_zorder() + 1)
    ax.patch.set_visible(False)
    pts = [(x, r["csat"]) for x, r in zip(xs, weeks, strict=True) if r["csat"] is not None]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=ACCENT, linewidth=2, zorder=3, label="CSAT")
        for x, y in pts:
            ax.scatter([x], [y], s=28, zorder=4, color=GOOD if y >= target else BAD, edgecolors="white",
                       linewidths=0.8)
    ax.axhline(target, color=INK, linestyle=(0, (5, 4)), linewidth=1.2, zorder=2)
    ax.text(-0.5, target, f" target {target:.0%}", va="top", ha="left", fontsize=8.5, color=INK)
    low = min([y for _, y in pts] + [target]) if pts else target
    ax.set_ylim(max(0.0, min(low - 0.05, 0.8)), 1.005)
    _percent_axis(ax)
    _week_ticks(ax, starts)
    ax.set_ylabel("CSAT", color=MUTED, fontsize=9)
    return _svg_img(fig, "Weekly CSAT with the target line; grey bars are the number of responses")


def chart_rates(weeks: list[dict]) -> str:
    fig, ax = _figure(height=2.8)
    starts = [r["period_start"] for r in weeks]
    xs = list(range(len(weeks)))
    for key, color, label in (("coverage", ACCENT, "Survey coverage"), ("response_rate", ACCENT2, "Response rate")):
        pts = [(x, r[key]) for x, r in zip(xs, weeks, strict=True) if r[key] is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linewidth=2, marker="o",
                markersize=3.5, label=label)
    ax.set_ylim(0, 1.02)
    _percent_axis(ax)
    _week_ticks(ax, starts)
    ax.legend(frameon=False, fontsize=8.5, ncol=2, loc="lower left", bbox_to_anchor=(0, 1.0))
    return _svg_img(fig, "Weekly survey coverage and response rate")


def chart_unsurveyed(rows: list[dict]) -> str:
    fig, ax = _figure(height=2.4)
    months = sorted({r["period_start"] for r in rows})
    by = {(r["period_start"], r["reason"]): r["tickets"] for r in rows}
    bottom = [0] * len(months)
    for reason in d.UNSURVEYED_REASONS:
        vals = [by.get((m, reason), 0) for m in months]
        ax.bar(range(len(months)), vals, bottom=bottom, color=REASON_COLORS[reason], width=0.6,
               label=reason.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_xticks(range(len(months)))
    ax.set_xticklabels([f"{m:%b %Y}" for m in months])
    ax.set_ylabel("tickets", color=MUTED, fontsize=9)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, fontsize=8.5, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.0))
    return _svg_img(fig, "Unsurveyed tickets by reason and month")


def chart_bad_reasons(totals: list[tuple[str, str, int]]) -> str:
    fig, ax = _figure(height=0.42 * max(3, len(totals)) + 0.5)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    labels = [reason if reason != d.NO_REASON else "(no reason given)" for reason, _, _ in totals]
    vals = [n for _, _, n in totals]
    ys = list(range(len(totals)))[::-1]
    ax.barh(ys, vals, color=[ROUTE_COLORS[route] for _, route, _ in totals], height=0.6)
    for y, v in zip(ys, vals, strict=True):
        ax.text(v, y, f" {v}", va="center", fontsize=8.5, color=INK)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=9, color=INK)
    ax.set_xlim(0, max(vals + [1]) * 1.15)
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(handles=[Patch(color=c, label=f"route: {k.replace('_', ' ')}") for k, c in ROUTE_COLORS.items()],
              frameon=False, fontsize=8.5, ncol=2, loc="lower left", bbox_to_anchor=(0, 1.0))
    return _svg_img(fig, "Negative-feedback reasons, coloured by route")


# -- page ----------------------------------------------------------------------------------

def _e(value: Any) -> str:
    return html.escape(str(value))


def _pp(now: float | None, before: float | None, good_when_up: bool = True) -> str:
    if now is None or before is None:
        return '<span class="delta">no comparison</span>'
    diff = (now - before) * 100
    cls = "" if abs(diff) < 0.05 else ("up" if (diff > 0) == good_when_up else "down")
    return f'<span class="delta {cls}">{diff:+.1f} pp</span>'


def _card(kind: str, start: dt.date, row: dict | None, prev: dict | None, target: float) -> str:
    title = d.period_title(kind, start)
    prev_label = "previous week" if kind == "week" else "previous month"
    if row is None:
        return f'<section class="card"><h2>Last complete {kind}: {_e(title)}</h2><p>No solved tickets.</p></section>'
    csat = row["csat"]
    state = "" if csat is None else ("ok" if csat >= target else "low")
    status = ("no responses" if csat is None else "on target" if csat >= target else "below target")
    vs_target = "" if csat is None else f'{(csat - target) * 100:+.1f} pp vs target {target:.0%}'
    p = prev or {}
    return f"""<section class="card {state}" data-period="{kind}">
<h2>Last complete {kind}: {_e(title)}</h2>
<div><span class="big">{pct(csat)}</span><span class="status">{status}</span></div>
<div class="delta">CSAT · {vs_target} · {_pp(csat, p.get('csat'))} vs {prev_label}
 · {row['good']} good / {row['bad']} bad</div>
<div class="metrics">
<div class="metric"><div class="v">{pct(row['response_rate'])}</div><div class="l">response rate
 {_pp(row['response_rate'], p.get('response_rate'))}</div></div>
<div class="metric"><div class="v">{pct(row['coverage'])}</div><div class="l">survey coverage
 {_pp(row['coverage'], p.get('coverage'))}</div></div>
<div class="metric"><div class="v">{row['solved']:,}</div><div class="l">solved · {row['surveyed']:,} surveyed ·
 {row['responded']:,} responses</div></div>
</div></section>"""


def _csat_cell(value: float | None, target: float, responded: int) -> str:
    if value is None:
        return '<td class="note">–</td>'
    cls = "ok" if value >= target else "low"
    return f'<td class="{cls}" title="{responded} responses">{pct(value)}</td>'


def _segment_table(rows_month: list[dict], rows_week: list[dict], target: float, label: str) -> str:
    week = {r["segment_value"]: r for r in rows_week}
    rows = sorted(rows_month, key=lambda r: (-r["solved"], r["segment_value"]))
    body = []
    for r in rows:
        w = week.get(r["segment_value"])
        body.append(
            f"<tr><td>{_e(r['segment_value'])}{_small(r['responded'])}</td><td>{r['solved']:,}</td><td>{r['surveyed']:,}</td>"
            f"<td>{r['responded']:,}</td><td>{r['good']:,}</td><td>{r['bad']:,}</td>"
            f"{_csat_cell(r['csat'], target, r['responded'])}<td>{pct(r['response_rate'])}</td>"
            f"<td>{pct(r['coverage'])}</td>"
            + (_csat_cell(w["csat"], target, w["responded"]) if w else '<td class="note">–</td>')
            + "</tr>")
    if not body:
        body.append('<tr><td colspan="10" class="note">No solved tickets in this month.</td></tr>')
    return (f"<div class='scroll'><table><thead><tr><th>{_e(label)}</th><th>Solved</th><th>Surveyed</th><th>Responses</th>"
            "<th>Good</th><th>Bad</th><th>CSAT</th><th>Response rate</th><th>Coverage</th>"
            "<th>CSAT last week</th></tr></thead><tbody>" + "".join(body) + "</tbody></table></div>"
            f"<p class='note'>Segments marked <em>small sample</em> have fewer than {SMALL_SAMPLE} responses.</p>")


def _reason_totals(rows: list[dict]) -> list[tuple[str, str, int]]:
    totals: dict[tuple[str, str], int] = {}
    for r in rows:
        totals[(r["reason"], r["route"])] = totals.get((r["reason"], r["route"]), 0) + r["ratings"]
    order = list(d.BAD_REASON_ROUTES) + [d.NO_REASON]
    keys = sorted(totals, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[0]))
    return [(reason, route, totals[(reason, route)]) for reason, route in keys]


def render(data: ReportData, generated_at: dt.datetime | None = None, *,
           ticket_url: Callable[[object], str | None] | None = None, kit_href: str | None = None,
           home_href: str | None = None) -> str:
    """The HTML page for `data` (pure: no database, no files)."""
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    ticket_url = ticket_url or (lambda _id: None)
    t = data.target
    by_week = {r["period_start"]: r for r in data.weeks}
    by_month = {r["period_start"]: r for r in data.months}
    cards = (_card("week", data.week, by_week.get(data.week), by_week.get(d.previous_period("week", data.week)), t)
             + _card("month", data.month, by_month.get(data.month),
                     by_month.get(d.previous_period("month", data.month)), t))
    subtitle = (f"Target: CSAT ≥ {t:.0%} · data as of {data.as_of:%Y-%m-%d %H:%M} UTC · generated "
                f"{generated_at:%Y-%m-%d %H:%M} UTC · periods are ISO weeks (Monday start) and calendar months "
                "of the tickets' solved date (UTC); only complete periods are shown")
    parts = [f"<div class='cards'>{cards}</div>"]
    if not data.weeks and not data.months:
        parts.append("<div class='panel'><p>No solved tickets in the warehouse yet: run the extraction, "
                     "then the <code>csat_kpis</code> DAG.</p></div>")
    else:
        parts.append(_bad_tickets_section(data, ticket_url))
        parts.append("<h2>Weekly CSAT</h2><div class='panel'>" + chart_csat(data.weeks, t)
                     + "<p class='note'>Dots are red below the target. Grey bars: number of responses "
                     "(small weeks swing more).</p></div>")
        parts.append("<h2>Survey coverage and response rate</h2><div class='panel'>" + chart_rates(data.weeks)
                     + "<p class='note'>Coverage: share of solved tickets that were sent a survey. "
                     "Response rate: share of surveys answered good or bad.</p></div>")
        parts.append(_period_table(data, "week"))
        parts.append(_period_table(data, "month"))
        parts.append(_unsurveyed_section(data))
        parts.append(_bad_section(data))
        month_title = d.period_title("month", data.month)
        for seg, label in (("support_level", "Support level"), ("form", "Ticket form")):
            rows = data.segments.get(seg, {})
            parts.append(f"<h2>By {label.lower()} · {_e(month_title)}</h2><div class='panel'>"
                         + _segment_table(rows.get("month", []), rows.get("week", []), t, label) + "</div>")
    parts.append(_definitions())
    return kit.page("Customer satisfaction (CSAT) KPI report", "".join(parts), subtitle=_e(subtitle),
                    kit_href=kit_href, home_href=home_href)


def _small(responded: int) -> str:
    return (f" <span class='tag small' title='fewer than {SMALL_SAMPLE} responses: one rating moves the "
            "CSAT a lot'>small sample</span>") if responded < SMALL_SAMPLE else ""


def _period_table(data: ReportData, period: str) -> str:
    """Every shown week (or month), newest first, with the figures of the contract table."""
    rows_in = data.weeks if period == "week" else data.months
    rows = []
    for r in reversed(rows_in):
        label = d.period_label("week", r["period_start"]) if period == "week" else f"{r['period_start']:%B %Y}"
        rows.append(
            f"<tr><td data-sort='{r['period_start'].isoformat()}'>{_e(label)}{_small(r['responded'])}</td>"
            f"<td>{r['solved']:,}</td><td>{r['surveyed']:,}</td><td>{r['responded']:,}</td><td>{r['good']:,}</td>"
            f"<td>{r['bad']:,}</td>{_csat_cell(r['csat'], data.target, r['responded'])}"
            f"<td>{pct(r['response_rate'])}</td><td>{pct(r['coverage'])}</td></tr>")
    title = "Weekly figures" if period == "week" else "Monthly figures"
    head = "Week" if period == "week" else "Month"
    table = kit.table([head, "Solved", "Surveyed", "Responses", "Good", "Bad", "CSAT", "Response rate", "Coverage"],
                      rows, table_id=f"{period}ly", sortable=True, empty="No complete periods yet.")
    return f"<h2>{title}</h2><div class='panel'>{table}</div>"


def _bad_ticket_rows(tickets: list[dict], ticket_url: Callable[[object], str | None]) -> list[str]:
    rows = []
    for t in tickets:
        reason = t["reason"] if t["reason"] != d.NO_REASON else "(no reason given)"
        label = f"#{t['ticket_id']}"
        rows.append(
            f"<tr><td data-sort='{int(t['ticket_id'])}'>{kit.link(ticket_url(t['ticket_id']), label)}</td>"
            f"<td data-sort='{t['solved_at'].isoformat()}'>{t['solved_at']:%Y-%m-%d %H:%M}</td>"
            f"<td class='text'>{_e(t['organization'] or '—')}</td>"
            f"<td class='text'><span class='route {_e(t['route'])}'></span>{_e(reason)}</td>"
            f"<td class='text'>{_e(t['route'].replace('_', ' '))}</td>"
            f"<td class='text'>{_e(t['comment'] or '')}</td></tr>")
    return rows


def _bad_tickets_section(data: ReportData, ticket_url: Callable[[object], str | None]) -> str:
    """The bad-rated tickets of the latest complete week (and month, collapsed), to follow up."""
    heads = ["Ticket", "Solved (UTC)", ("Organization", "text"), ("Reason", "text"), ("Route", "text"),
             ("Comment", "text")]
    week = kit.table(heads, _bad_ticket_rows(data.bad_tickets_week, ticket_url), table_id="bad-week",
                     sortable=True, empty="No bad ratings this week.")
    month = kit.table(heads, _bad_ticket_rows(data.bad_tickets_month, ticket_url), table_id="bad-month",
                      sortable=True, empty="No bad ratings this month.")
    return (f"<h2>Bad-rated tickets · {_e(d.period_title('week', data.week))} "
            f"<span class='count bad'>{len(data.bad_tickets_week)}</span></h2><div class='panel'>"
            + (kit.filter_box("bad-week", "Filter by organization, reason or comment") if data.bad_tickets_week else "")
            + week + "<p class='note'>Each ticket's latest rating, as the KPIs count it. Product feedback goes to the "
            "product team, every other reason to the support managers.</p></div>"
            f"<details class='section'><summary>Bad-rated tickets · {_e(d.period_title('month', data.month))} "
            f"<span class='count bad'>{len(data.bad_tickets_month)}</span></summary><div>"
            + (kit.filter_box("bad-month", "Filter by organization, reason or comment") if data.bad_tickets_month else "")
            + month + "</div></details>")


def _unsurveyed_section(data: ReportData) -> str:
    month_rows = [r for r in data.unsurveyed_months if r["period_start"] == data.month]
    week = {r["reason"]: r["tickets"] for r in data.unsurveyed_weeks}
    month = {r["reason"]: r["tickets"] for r in month_rows}
    explain = {"merged": "closed by merge (tag close_by_merge)", "mail_list": "sent to the mail-list address",
               "gitlab_team": "requester's organization is GitLab (staff)", "other": "none of the above"}
    rows = "".join(f"<tr><td>{_e(reason.replace('_', ' '))} <span class='note'>{_e(explain[reason])}</span></td>"
                   f"<td>{week.get(reason, 0):,}</td><td>{month.get(reason, 0):,}</td></tr>"
                   for reason in d.UNSURVEYED_REASONS)
    chart = chart_unsurveyed(data.unsurveyed_months) if data.unsurveyed_months else ""
    return ("<h2>Why tickets were not surveyed</h2><div class='panel'>" + chart
            + "</div><div class='panel'><table><thead><tr><th>Reason (first that applies)</th>"
            f"<th>{_e(d.period_label('week', data.week))}</th><th>{data.month:%b %Y}</th></tr></thead><tbody>"
            + rows + "</tbody></table></div>")


def _bad_section(data: ReportData) -> str:
    six = _reason_totals(data.bad_months)
    month = {(r["reason"], r["route"]): r["ratings"] for r in data.bad_months if r["period_start"] == data.month}
    week = {(r["reason"], r["route"]): r["ratings"] for r in data.bad_weeks}
    listed = {(reason, route) for reason, route, _ in six}
    table_rows = six + [(reason, route, 0) for reason, route, _ in _reason_totals(data.bad_weeks)
                        if (reason, route) not in listed]  # last week's reasons, even if newer than the months
    rows = "".join(
        f"<tr><td><span class='route {_e(route)}'></span>"
        f"{_e(reason if reason != d.NO_REASON else '(no reason given)')}</td><td>{_e(route.replace('_', ' '))}</td>"
        f"<td>{week.get((reason, route), 0)}</td><td>{month.get((reason, route), 0)}</td><td>{n}</td></tr>"
        for reason, route, n in table_rows)
    if not rows:
        rows = "<tr><td colspan='5' class='note'>No bad ratings in these months.</td></tr>"
    first = data.bad_months[0]["period_start"] if data.bad_months else data.month
    chart = chart_bad_reasons(six) if six else ""
    return (f"<h2>Negative feedback by reason and route · {first:%b %Y} – {data.month:%b %Y}</h2>"
            "<div class='panel'>" + chart + "</div><div class='panel'><table><thead><tr>"
            f"<th>Reason</th><th>Route</th><th>{_e(d.period_label('week', data.week))}</th>"
            f"<th>{data.month:%b %Y}</th><th>{REASON_MONTHS} months</th></tr></thead><tbody>" + rows
            + "</tbody></table><p class='note'>Product feedback (\"GitLab doesn't meet my needs\") goes to "
            "the product team, every other reason to the support managers. "
            "<a href='../../feedback/latest/index.html#by-reason'>Open feedback issues by reason and route</a>"
            ".</p></div>")


def _definitions() -> str:
    return """<h2>Definitions</h2><div class='panel'><dl>
<dt>Solved</dt><dd>Tickets solved in the period (solved time, UTC), deleted tickets excluded.</dd>
<dt>Surveyed</dt><dd>Tagged <code>csat_survey_sent</code> (or <code>csat-survey-sent</code>), or the latest
rating is offered, good or bad.</dd>
<dt>CSAT</dt><dd>good / (good + bad), using each ticket's latest rating (a bad rating changed to good
counts as good).</dd>
<dt>Response rate</dt><dd>responses (good or bad) / surveyed.</dd>
<dt>Coverage</dt><dd>surveyed / solved.</dd>
<dt>Unsurveyed reasons</dt><dd>First that applies: merged, mail list, GitLab team, other.</dd>
<dt>Bad-rating reasons</dt><dd>The survey's dropdown; no reason is "none"; an unknown text counts as
"Some other reason".</dd></dl></div>"""


def headline(data: ReportData, report: str) -> registry.Headline:
    """The home page's card: last complete week's and month's CSAT against the target."""
    by_week = {r["period_start"]: r for r in data.weeks}
    by_month = {r["period_start"]: r for r in data.months}
    figures, below = [], []
    for kind, start, row in (("week", data.week, by_week.get(data.week)), ("month", data.month, by_month.get(data.month))):
        label = d.period_label("week", start) if kind == "week" else f"{start:%B %Y}"
        if row is None or row["csat"] is None:
            figures.append(registry.Figure(label, "n/a", "no responses", "info"))
            continue
        ok = row["csat"] >= data.target
        if not ok:
            below.append(label)
        figures.append(registry.Figure(label, pct(row["csat"]), f"{'on' if ok else 'below'} target {data.target:.0%} · "
                                       f"{row['responded']} responses", "ok" if ok else "bad"))
    figures.append(registry.Figure("bad-rated tickets", str(len(data.bad_tickets_week)),
                                   d.period_label("week", data.week), "warn" if data.bad_tickets_week else "ok"))
    summary = (f"CSAT below the {data.target:.0%} target in {' and '.join(below)}." if below
               else f"CSAT on target ({data.target:.0%}) in the last complete week and month.")
    status = "bad" if below else ("ok" if data.weeks else "info")
    return registry.Headline("kpis", summary, status, figures, report)


def write_report(
    engine: Engine,
    run_date: dt.date,
    *,
    root: Path | None = None,
    as_of: dt.datetime | None = None,
    target: float | None = None,
) -> Path:
    """Write the report for `run_date` (and the `latest` copy); returns the dated page's path."""
    root = root or settings().reports_dir
    data = load(engine, as_of, target)
    links = ticket_links()
    generated = dt.datetime.now(dt.UTC)
    paths = []
    for folder in (root / "kpis" / run_date.isoformat(), root / "kpis" / "latest"):
        page = render(data, generated, ticket_url=links, kit_href=kit.kit_href_for(folder, root), home_href="../../../")
        paths.append(kit.write_page(folder / "index.html", page, root))
    registry.publish(root, headline(data, f"kpis/{run_date.isoformat()}/index.html"))
    return paths[0]
