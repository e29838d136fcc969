"""One audit run: refresh organizations and users, read the approved requests, compare, store
the findings (first_seen kept), write the report page and send one Slack message when there are
findings, widest exposures first."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from ..outbound.writers import Writer, register_writer
from . import requests as req
from . import store
from .audit import run_audit

log = logging.getLogger(__name__)

AUDIT_SUMMARY = register_writer(Writer("shared_org_audit_summary", "slack", default_cap=1))
SLACK_TOP = 10


def refresh(engine: Engine) -> dict[str, Any]:
    """The organizations and users streams, so the audit compares current settings."""
    from ..clients.zendesk import SupportZendeskHook
    from ..extract.zendesk import extract_all

    done = extract_all(engine, SupportZendeskHook(), names=["organizations", "users"])
    return {k: {n: v.get(n) for n in ("loaded", "pages") if n in v} for k, v in done.items()}


def audit_run(engine: Engine, *, gl: Any, project: str, run_date: dt.date | None = None,
              do_refresh: bool = True, dry_run: bool = False, notify: bool = True) -> dict[str, Any]:
    """Audit, store, report, notify; returns a small summary for XCom."""
    from ..org_sync.plan import load_organizations
    from .report import summary_text, write_report

    run_date = run_date or dt.datetime.now(dt.UTC).date()
    refreshed = refresh(engine) if do_refresh else {}
    all_requests = req.approved_requests(gl, project)
    unreadable = [{"issue": r.iid, "error": r.error} for r in all_requests if r.error]
    for u in unreadable:
        log.warning("request #%s cannot be read: %s", u["issue"], u["error"])
    found = run_audit(load_organizations(engine), store.load_users(engine), all_requests)
    result = store.save_run(engine, run_date, found, {"project": project, "approved": len(all_requests),
                                                      "unreadable": unreadable})
    page = write_report(engine, run_date, project=project)
    store.set_report(engine, run_date, page["url"])
    sent = "none"
    if found and notify:
        from ..notify.slack import notify as slack_notify

        sent = slack_notify(engine, f"shared-org-audit:{run_date.isoformat()}",
                            summary_text(found, page["url"], run_date), writer=AUDIT_SUMMARY, dry_run=dry_run)
    log.info("shared-organization audit %s: %s (approved requests %d, unreadable %d), report %s", run_date,
             result["counts"], len(all_requests), len(unreadable), page["url"])
    return {**result, "refreshed": refreshed, "report": page["url"], "slack": sent,
            "first_seen": None, "findings": len(found)}
