"""One on-call run: read PagerDuty, audit, store the roster, the findings and the run.

`run_oncall(engine, client, as_of)` audits the 14 days from `as_of` (default: now). The run
date is `as_of`'s UTC date; rerunning a date replaces its findings and keeps `first_seen`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from . import store
from .coverage import audit_coverage, render_range
from .escalation import audit_escalation
from .expected import Expected, load
from .model import CHECK_NAMES, Finding, iso, parse_time
from .roster import ROSTER_DAYS, Account, now_on_call, read_account, shifts

log = logging.getLogger(__name__)


def resolve_as_of(value: Any = None) -> dt.datetime:
    """An instant from a Param or the command line (ISO 8601, a date = its midnight UTC); now if empty."""
    if value in (None, ""):
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        return parse_time(str(value).strip())
    except ValueError:
        raise ValueError(f"as_of must be an ISO 8601 time like 2026-11-20T12:00:00Z, not {value!r}") from None


def audit(expected: Expected, account: Account, since: dt.datetime, until: dt.datetime) -> list[Finding]:
    """Every finding of both audits, once each (a schedule missing for both is reported once)."""
    found: dict[tuple[str, str, str], Finding] = {}
    coverage = audit_coverage(expected, account.schedules_by_name(), since, until)
    escalation = audit_escalation(expected, account.policies, account.schedules, account.users,
                                  account.services)
    for f in escalation + coverage:
        found.setdefault(f.key, f)
    order = {c: i for i, c in enumerate(CHECK_NAMES)}
    return sorted(found.values(), key=lambda f: (order[f.check_name], f.entity_id, f.item))


def run_oncall(engine: Engine, client: Any, as_of: Any = None, *, expected: Expected | None = None) -> dict[str, Any]:
    """Read, audit and store; returns a small summary (XCom-sized)."""
    exp = expected or load()
    since = resolve_as_of(as_of)
    until = since + dt.timedelta(days=ROSTER_DAYS)
    lo, hi = render_range(exp, since, until)
    account = read_account(client, lo, hi)
    findings = audit(exp, account, since, until)
    rows = shifts(account, since, until)
    digest = now_on_call(client, exp, account, since)
    run_date = since.date()
    counts = {c: sum(1 for f in findings if f.check_name == c) for c in CHECK_NAMES}
    with engine.begin() as conn:
        store.write_shifts(conn, rows, [s["id"] for s in account.schedules], since)
        delta = store.write_findings(conn, run_date, findings)
        store.write_run(conn, run_date, since, until, counts, delta["changes"], digest)
    log.info("on-call %s: %d shifts, findings %s", run_date, len(rows), {c: n for c, n in counts.items() if n})
    return {"run_date": run_date.isoformat(), "as_of": iso(since), "until": iso(until),
            "schedules": len(account.schedules), "shifts": len(rows), "counts": counts,
            "new": len(delta["new"]), "resolved": len(delta["resolved"]), "findings": len(findings)}
