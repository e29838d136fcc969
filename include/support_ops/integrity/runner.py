"""One CRM integrity run: load → check (Great Expectations, cross-checked by the reference) →
findings and run status in the warehouse → summary page and Data Docs → one Slack message.

`run_checks` and `notify_run` are what the `crm_integrity` DAG calls; both are idempotent per
run_date (a rerun replaces the run's rows and pages; the Slack message is sent once).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sqlalchemy import Engine, select

from ..config import settings
from ..links import report_url
from . import rules
from .store import findings_of, load_sources, write_findings, write_run
from .tables import integrity_runs

log = logging.getLogger(__name__)

class RecordLinks:
    """Record links as `rules.details` asks for them (`org(id)`, `account(id)`), built by
    support_ops.links from the connections: the real systems' URLs with real connections, the
    sandbox's own record pages with the sandbox's. A system whose connection is missing gets no
    link (said once in the log) rather than a made-up one."""

    def __init__(self) -> None:
        from ..links import reset

        reset()  # each run reads the connections afresh
        self._warned: set[str] = set()

    def _build(self, system: str, fn, *args) -> str | None:
        from ..links import LinkConfigError

        try:
            return fn(*args)
        except LinkConfigError as exc:
            if system not in self._warned:
                self._warned.add(system)
                log.warning("no %s record links in the report: %s", system, exc)
            return None

    def org(self, org_id: str | int | None) -> str | None:
        from ..links import zendesk_org_url

        return self._build("Zendesk", zendesk_org_url, org_id) if org_id not in (None, "") else None

    def account(self, account_id: str | None) -> str | None:
        from ..links import salesforce_record_url

        return self._build("Salesforce", salesforce_record_url, account_id) if account_id else None


def ui_links() -> RecordLinks:
    """Links to the records in their systems' UIs (addresses from the connections, never secrets)."""
    return RecordLinks()


def resolve_run_date(value: Any = None) -> dt.date:
    """A run date from a Param/CLI value ('YYYY-MM-DD', date, datetime) or today (UTC)."""
    if value in (None, ""):
        return dt.datetime.now(dt.UTC).date()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def run_checks(engine: Engine, run_date: Any = None, *, use_gx: bool = True,
               links: rules.LinkBuilder | RecordLinks | None = None) -> dict:
    """Check, store and report one run; returns a small summary (fit for XCom).

    Raises store.IntegritySourceError when the source tables are empty (nothing to check)."""
    from . import report as integrity_report

    day = resolve_run_date(run_date)
    s = settings()
    links = links or ui_links()
    t0 = time.monotonic()
    accounts, orgs = load_sources(engine)
    ev = rules.evaluate(accounts, orgs)
    reference = ev.findings
    docs_index = None
    disagreement: dict[str, dict] = {}
    if use_gx:
        from .frame import build_frame
        from .gx_suite import validate

        result = validate(build_frame(accounts, orgs), run_name=f"crm-integrity-{day.isoformat()}")
        found, docs_index = result.findings, result.data_docs_index
        for check in rules.CHECK_NAMES:
            if found[check] != reference[check]:
                disagreement[check] = {"gx_only": sorted(found[check] - reference[check])[:20],
                                       "reference_only": sorted(reference[check] - found[check])[:20]}
        if disagreement:
            log.error("GX and the reference implementation disagree (GX findings are stored): %s", disagreement)
    else:
        found = reference
    findings = {(c, rules.ENTITY_OF[c], e): rules.details(ev, c, e, links) for c in rules.CHECK_NAMES for e in found[c]}
    counts = {c: len(found[c]) for c in rules.CHECK_NAMES}
    summary_page = s.reports_dir / "integrity" / day.isoformat() / "index.html"
    reports = {"summary": str(summary_page), "latest": str(s.reports_dir / "integrity" / "latest" / "index.html"),
               "data_docs": str(docs_index) if docs_index else None, "engine": "great_expectations" if use_gx else "reference"}
    if disagreement:
        reports["disagreement"] = disagreement
    with engine.begin() as conn:
        first_seen, delta = write_findings(conn, day, findings)
        run = write_run(conn, day, counts, delta, s.blocking_checks, reports)
        resolved = findings_of(conn, delta.previous_run) if delta.previous_run else {}
    resolved = {k: v for k, v in resolved.items() if k in delta.resolved_keys}
    stored = {k: {"details": d, "first_seen": first_seen[k]} for k, d in findings.items()}
    integrity_report.write(s.reports_dir, run, stored, resolved, delta.new_keys, docs_index)
    seconds = round(time.monotonic() - t0, 2)
    log.info("crm integrity %s: %s findings in %ss (%d accounts, %d organizations in scope); sync %s",
             day, sum(counts.values()), seconds, len(ev.accounts), len(ev.orgs),
             "allowed" if run["sync_allowed"] else "BLOCKED")
    log.info("integrity summary: %s", report_url(summary_page))
    if docs_index:
        log.info("GX validation results: %s", report_url(docs_index))
    return {"run_date": day.isoformat(), "counts": counts, "changes": run["changes"], "blocking": run["blocking"],
            "sync_allowed": run["sync_allowed"], "reports": reports, "seconds": seconds,
            "accounts": len(ev.accounts), "organizations": len(ev.orgs)}


def message(run: dict) -> str:
    """The Slack text: counts per check and the change since the previous run."""
    day = run["run_date"]
    day = day.isoformat() if hasattr(day, "isoformat") else str(day)
    changes = run["changes"] or {}
    per = changes.get("checks") or {}
    total = sum(run["counts"].values())
    new = sum(v.get("new", 0) for v in per.values())
    gone = sum(v.get("resolved", 0) for v in per.values())
    prev = changes.get("previous_run")
    lines = [f"*CRM integrity {day}*: {total} finding(s)"
             + (f", +{new} new / -{gone} resolved since {prev}" if prev else " (first run)")]
    for check in rules.CHECK_NAMES:
        n = run["counts"].get(check, 0)
        c = per.get(check, {})
        lines.append(f"• {check}: {n} (+{c.get('new', 0)} / -{c.get('resolved', 0)})")
    if not run["sync_allowed"]:  # only when SUPPORT_OPS_BLOCKING_CHECKS names checks (default none)
        lines.append("Organization sync: BLOCKED by " + ", ".join(f"{k} ({v})" for k, v in sorted(run["blocking"].items())))
    lines.append(f"Report: /support-ops/reports/integrity/{day}/index.html")
    return "\n".join(lines)


def notify_run(engine: Engine, run_date: Any = None, *, dry_run: bool = False) -> str:
    """One Slack message per run date (dedup key `crm-integrity:<run_date>`)."""
    from ..notify.slack import notify

    day = resolve_run_date(run_date)
    with engine.connect() as conn:
        row = conn.execute(select(integrity_runs).where(integrity_runs.c.run_date == day)).first()
    if row is None:
        raise LookupError(f"no integrity run recorded for {day}: run the checks first")
    return notify(engine, f"crm-integrity:{day.isoformat()}", message(dict(row._mapping)),
                  writer="integrity_summary", dry_run=dry_run)
