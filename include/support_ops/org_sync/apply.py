"""Apply a planned sync run through the outbound layer, and record each organization's result.

The outbound layer sends the plan in `update_many` calls of 100 organizations (target.py),
records every write `pending` before the call and `applied` / `failed` after, skips writes
already applied under the same key and reads interrupted ones back before sending them again.
Above the cap nothing is sent: the run is `capped`, its plan kept, and the error says how to
approve it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from .. import outbound
from ..outbound.model import APPLIED, FAILED, SKIPPED
from . import runs
from .target import CREATE, ORG_SYNC

log = logging.getLogger(__name__)


class SyncCapped(RuntimeError):
    """More organizations were planned than the cap allows; nothing was written."""


class SyncFailed(RuntimeError):
    """Some organizations could not be updated; the others are applied and recorded."""


def apply_run(engine: Engine, run_id: str, *, max_changes: int | str | None = None,
              raise_on_failure: bool = True) -> dict[str, Any]:
    """Send the run's plan; returns {run_id, status, organizations per status} for XCom."""
    run = runs.load_run(engine, run_id)
    if run["dry_run"]:
        log.info("org sync %s is a dry run: nothing is written", run_id)
        return {"run_id": run_id, "status": "dry_run", "organizations": runs.status_counts(engine, run_id)}
    cap = max_changes if max_changes not in (None, "") else run["max_changes"]
    try:
        result = outbound.apply(engine, run["plan_id"], writer=ORG_SYNC, max_changes=cap, raise_on_failure=False)
    except outbound.CapExceeded as exc:
        message = (f"organization sync {run_id}: {exc.planned} organizations to change, above the cap of "
                   f"{exc.cap}; nothing was written and the plan is kept (see the report). To approve, "
                   f"{ORG_SYNC.how_to_approve().replace('at least the number planned', f'at least {exc.planned}')}.")
        runs.update_run(engine, run_id, status="capped", error=message, finished_at=runs.now(),
                        counts={**run["counts"], "capped": {"planned": exc.planned, "cap": exc.cap}})
        log.error("%s", message)
        raise SyncCapped(message) from exc
    outcomes = _outcomes(engine, run["plan_id"], result)
    runs.set_org_status(engine, run_id, outcomes)
    created = _record_creations(engine, run_id, run["plan_id"])
    per = runs.status_counts(engine, run_id)
    status = "failed" if per["failed"] else "applied"
    error = None
    if per["failed"]:
        first = "; ".join(f"organization {o}: {e}" for o, s, e in outcomes if s == "failed")[:600]
        error = f"{per['failed']} organization(s) failed: {first}"
    if created["failed"]:
        status = "failed"
        error = "; ".join(x for x in (error, f"{created['failed']} organization(s) could not be created: "
                                             f"{created['errors'][:3]}") if x)
    runs.update_run(engine, run_id, status=status, error=error, finished_at=runs.now(),
                    counts={**run["counts"], "organizations": per, "created": created["created"],
                            "create_failed": created["failed"]})
    log.info("org sync %s %s: %s, created %d", run_id, status, per, created["created"])
    if error and raise_on_failure:
        raise SyncFailed(f"organization sync {run_id}: {error}. A rerun of the task sends only what is not "
                         "applied yet (it reads Zendesk back first).")
    return {"run_id": run_id, "status": status, "organizations": per}


def _outcomes(engine: Engine, plan_id: str, result: outbound.ApplyResult) -> list[tuple[int, str, str | None]]:
    """(organization_id, status, error) per write of the plan, from the outbound layer's record."""
    out = []
    for w in outbound.plan_writes(engine, plan_id):
        if w["action"] == CREATE:
            continue
        org_id = int(w["after"]["organization_id"])
        status = result.statuses.get(w["idempotency_key"], w["status"])
        if status == APPLIED or (status == SKIPPED and (w.get("result") or {}).get("applied_in")):
            out.append((org_id, "applied", None))
        elif status in (FAILED, SKIPPED):
            out.append((org_id, "failed", w.get("error") or result.errors.get(w["idempotency_key"])))
        else:  # planned or pending: not settled by this apply
            out.append((org_id, "planned", w.get("error")))
    return out


def _record_creations(engine: Engine, run_id: str, plan_id: str) -> dict[str, Any]:
    """create_missing: the new organization's id on the account's skip row, and its fields as
    applied changes (so verify reads them back and the report lists them)."""
    from sqlalchemy import update

    from .tables import org_sync_changes, org_sync_skips

    created, failed, errors = 0, 0, []
    rows, ids = [], []
    for w in outbound.plan_writes(engine, plan_id):
        if w["action"] != CREATE:
            continue
        org_id = (w.get("result") or {}).get("organization_id")
        if w["status"] != APPLIED or not org_id:
            failed += 1
            errors.append(f"{w['after']['account_id']}: {w.get('error')}")
            continue
        created += 1
        ids.append((w["after"]["account_id"], int(org_id)))
        rows += [{"run_id": run_id, "organization_id": int(org_id), "field": f, "account_id": w["after"]["account_id"],
                  "before": None, "after": v, "status": "applied", "error": None}
                 for f, v in w["after"]["organization"]["organization_fields"].items()]
    if ids:
        with engine.begin() as conn:
            for account_id, org_id in ids:
                conn.execute(update(org_sync_skips).where(
                    org_sync_skips.c.run_id == run_id, org_sync_skips.c.account_id == account_id)
                    .values(organization_id=org_id))
            conn.execute(org_sync_changes.delete().where(
                org_sync_changes.c.run_id == run_id,
                org_sync_changes.c.organization_id.in_([o for _, o in ids])))
            if rows:
                conn.execute(org_sync_changes.insert(), rows)
    return {"created": created, "failed": failed, "errors": errors}
