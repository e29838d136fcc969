"""One run: refresh tickets, reconcile the window, run the health checks, store findings
(first_seen kept) and the run; with `backfill`, upsert the missing records by their ticket-number
external id, linked to the account of the ticket's organization, through the outbound layer."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from .. import outbound
from ..outbound.salesforce import upsert
from ..outbound.writers import Writer, register_writer
from ..sharing import findings as findings_store
from ..warehouse.upsert import upsert as db_upsert
from . import health, names, reconcile
from .tables import ticket_record_findings, ticket_record_runs

log = logging.getLogger(__name__)

BACKFILL = register_writer(Writer("ticket_records_backfill", "salesforce", default_cap=500))
CHECKS = reconcile.CHECKS + health.CHECKS


def backfill_writes(missing: list[reconcile.Finding]) -> list[outbound.Write]:
    out = []
    for f in missing:
        t = f.ticket
        fields = {"Name": f"Ticket #{t.id}", names.STATUS: t.status.capitalize(), names.SUBJECT: t.subject}
        if t.account_id:
            fields[names.ACCOUNT] = t.account_id
        out.append(upsert(f"ticket_record:{t.id}:{t.status}", names.ticket_object(), names.TICKET_ID, str(t.id),
                          fields, summary=f"ticket {t.id} ({t.status}) -> {names.ticket_object()}, account "
                                          f"{t.account_id or '(none)'}"))
    return out


def run(engine: Engine, *, sf: Any, zendesk: tuple[Any, str], days: int = 7, as_of: dt.datetime | None = None,
        run_date: dt.date | None = None, backfill: bool = False, dry_run: bool = False,
        do_refresh: bool = True, max_changes: int | None = None) -> dict[str, Any]:
    """Reconcile, check, store; backfill when asked. Returns a summary for XCom."""
    if int(days) < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    as_of = as_of or dt.datetime.now(dt.UTC)
    run_date = run_date or as_of.date()
    refreshed = {}
    if do_refresh:
        from ..clients.zendesk import SupportZendeskHook
        from ..extract.zendesk import extract_all

        refreshed = {k: v.get("loaded") for k, v in extract_all(engine, SupportZendeskHook(),
                                                                names=["tickets", "organizations"]).items()}
    tickets = reconcile.window_tickets(engine, as_of - dt.timedelta(days=int(days)))
    found = reconcile.compare(tickets, reconcile.read_records(sf, [t.id for t in tickets]))
    session, api = zendesk
    checks = health.zendesk_checks(*health.read_zendesk(session, api)) + health.field_checks(sf)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {
        (f.check, "ticket", str(f.ticket.id)): f.details for f in found}
    rows.update({(c, et, eid): d for c, et, eid, d in checks})
    backfilled = None
    if backfill:
        from ..outbound.salesforce import SalesforceUpsert

        outbound.register(SalesforceUpsert(lambda: sf))  # this run's client (the connection may have changed)
        missing = [f for f in found if f.check == reconcile.MISSING]
        result = outbound.execute(engine, BACKFILL, backfill_writes(missing), dry_run=dry_run,
                                  max_changes=max_changes, raise_on_failure=False)
        backfilled = result.as_dict()
    counts = {c: sum(1 for k in rows if k[0] == c) for c in CHECKS}
    counts["tickets_in_window"] = len(tickets)
    health_state = {c: not any(k[0] == c for k in rows) for c in health.CHECKS}
    with engine.begin() as conn:
        _, changes = findings_store.write(conn, ticket_record_findings, ticket_record_runs, run_date, rows, CHECKS)
        db_upsert(conn, ticket_record_runs, [{"run_date": run_date, "checked_at": dt.datetime.now(dt.UTC),
                                              "days": int(days), "counts": counts, "health": health_state,
                                              "backfill": backfilled, "report": None}])
    from .report import write_report

    page = write_report(engine, run_date)
    log.info("ticket records %s (last %d days, %d tickets): %s; health %s; backfill %s", run_date, days,
             len(tickets), counts, health_state, backfilled)
    return {"run_date": run_date.isoformat(), "counts": counts, "health": health_state, "changes": changes["checks"],
            "backfill": backfilled, "refreshed": refreshed, "report": page["url"]}
