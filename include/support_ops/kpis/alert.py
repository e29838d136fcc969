"""The below-target Slack alert: one message per ISO week, never twice (through the outbound
layer, writer `kpi_alert`; docs/outbound-writes.md)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine

from ..config import settings
from ..outbound.writers import KPI_ALERT
from . import definitions as d
from .queries import as_of, pct, period_row

log = logging.getLogger(__name__)

REPORT_PATH = "kpis/{run_date}/index.html"


def report_url(run_date: dt.date | str) -> str:
    """Where the plugin serves a KPI report: an absolute link from Airflow's base URL."""
    from .. import links

    return links.report_url(REPORT_PATH.format(
        run_date=run_date if isinstance(run_date, str) else run_date.isoformat()))


def alert_text(row: dict, week_start: dt.date, target: float, link: str) -> str:
    return (
        f":warning: CSAT for {d.period_title('week', week_start)} was *{pct(row['csat'])}*, "
        f"below the {pct(target, 0)} target ({(row['csat'] - target) * 100:+.1f} pp): "
        f"{row['good']} good and {row['bad']} bad of {row['responded']} responses; "
        f"response rate {pct(row['response_rate'])} of {row['surveyed']} surveyed; "
        f"coverage {pct(row['coverage'])} of {row['solved']} solved. Report: {link}"
    )


def csat_alert(
    engine: Engine,
    *,
    link: str,
    week_start: dt.date | None = None,
    dry_run: bool = False,
    target: float | None = None,
    max_changes: int | str | None = None,
) -> dict:
    """Alert when the latest complete week's CSAT is below target.

    Returns {"status": "sent" | "skipped" | "dry_run" | "on_target" | "no_responses" | "no_data",
    "week": "2026-W46", ...}. The message's key is `slack:csat-below-target:<ISO week>`; a dry
    run records the message it would have sent (status "dry_run") and sends nothing.
    """
    from ..notify.slack import notify

    target = settings().csat_target if target is None else target
    week_start = week_start or d.latest_complete("week", as_of(engine))
    label = d.period_label("week", week_start)
    row = period_row(engine, "week", week_start)
    result = {"week": label, "target": target, "csat": row and row["csat"]}
    if row is None:
        log.info("csat alert: no solved tickets in %s", label)
        return {**result, "status": "no_data"}
    if row["csat"] is None:
        log.info("csat alert: no responses in %s, nothing to judge", label)
        return {**result, "status": "no_responses"}
    if row["csat"] >= target:
        log.info("csat alert: %s CSAT %s meets the target %s", label, pct(row["csat"]), pct(target, 0))
        return {**result, "status": "on_target"}
    text = alert_text(row, week_start, target, link)
    status = notify(engine, dedup_key=f"csat-below-target:{label}", text=text, writer=KPI_ALERT,
                    dry_run=dry_run, max_changes=max_changes)
    return {**result, "status": status, "text": text}
