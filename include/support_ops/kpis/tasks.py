"""What the `csat_kpis` DAG's tasks call: small results (references) for XCom, data stays in the warehouse."""

from __future__ import annotations

import datetime as dt
import logging

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)


def compute_task(full_recompute: bool = False) -> dict:
    """Recompute the KPI rows of the periods whose data changed (every period with
    `full_recompute`); returns the run summary (mode, period count, counts)."""
    from .compute import refresh

    engine = get_engine()
    upgrade(engine)
    return refresh(engine, full=full_recompute)


def report_task(summary: dict, run_date: dt.date | str) -> dict:
    """Write the HTML report for `run_date`; returns its path and its absolute URL in the Airflow UI."""
    from ..links import report_url
    from .report import write_report

    run_date = dt.date.fromisoformat(run_date) if isinstance(run_date, str) else run_date
    as_of = dt.datetime.fromisoformat(summary["data_as_of"]) if summary.get("data_as_of") else None
    path = write_report(get_engine(), run_date, as_of=as_of)
    out = {"path": str(path), "url": report_url(path), "run_date": run_date.isoformat()}
    log.info("csat report: %s", out["url"])
    return out


def alert_task(summary: dict, report: dict, dry_run: bool = False) -> dict:
    """Slack alert when the latest complete week's CSAT is below target (once per week)."""
    from .alert import csat_alert

    week = dt.date.fromisoformat(summary["latest_week"]) if summary.get("latest_week") else None
    result = csat_alert(get_engine(), link=report["url"], week_start=week, dry_run=dry_run)
    log.info("csat alert: %s", {k: v for k, v in result.items() if k != "text"})
    return result
