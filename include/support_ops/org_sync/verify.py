"""Verify a run: read the updated organizations back (`show_many`, 100 a call) and compare.

A field that does not show the value written is marked `failed` with what Zendesk shows. The
organizations read back also refresh the warehouse's copy (`zd_organizations`), so the next
plan starts from what Zendesk holds now even before the next incremental export sees the
change (Zendesk holds back the last minute of changes).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from ..extract.records import BadRecord, organization_row
from ..extract.tables import zd_organizations
from ..warehouse.upsert import upsert
from . import rules, runs
from .target import TARGET, SyncZendeskOrganizations, read_organizations

log = logging.getLogger(__name__)


class VerifyFailed(RuntimeError):
    """Zendesk does not show some values the run wrote."""


def verify_run(engine: Engine, run_id: str, *, target: SyncZendeskOrganizations | None = None,
               raise_on_mismatch: bool = True) -> dict[str, Any]:
    run = runs.load_run(engine, run_id)
    applied = runs.changes(engine, run_id, statuses=["applied"])
    if run["dry_run"] or not applied:
        log.info("org sync %s: nothing applied, nothing to verify", run_id)
        return {"run_id": run_id, "verified": 0, "mismatches": 0}
    if target is None:
        from ..outbound.targets import get

        target = get(TARGET)  # type: ignore[assignment]
    session, api = target.session()
    orgs = read_organizations(session, api, [r["organization_id"] for r in applied])
    mismatches = []
    for r in applied:
        org = orgs.get(r["organization_id"])
        m = rules.BY_FIELD[r["field"]]
        have = rules.org_fields(org).get(r["field"]) if org else None
        if org is None or not rules.same_value(m, have, r["after"]):
            shown = "the organization is gone" if org is None else f"Zendesk shows {have!r}"
            mismatches.append((r["organization_id"], r["field"], "failed", f"read back: {shown}, not {r['after']!r}"))
    if mismatches:
        runs.set_field_status(engine, run_id, mismatches)
    _refresh_warehouse(engine, orgs.values())
    verified = len({r["organization_id"] for r in applied})
    counts = {**run["counts"], "verified": verified, "verify_mismatches": len(mismatches),
              "organizations": runs.status_counts(engine, run_id)}
    status = "verify_failed" if mismatches else ("verified" if run["status"] == "applied" else run["status"])
    runs.update_run(engine, run_id, status=status, counts=counts,
                    error=run["error"] if not mismatches else
                    f"{len(mismatches)} field(s) do not show the value written: {mismatches[0][3]}")
    log.info("org sync %s: %d organizations read back, %d field(s) differ", run_id, verified, len(mismatches))
    if mismatches and raise_on_mismatch:
        raise VerifyFailed(f"organization sync {run_id}: {len(mismatches)} field(s) do not show the value "
                           f"written, e.g. organization {mismatches[0][0]} {mismatches[0][1]}: {mismatches[0][3]}")
    return {"run_id": run_id, "verified": verified, "mismatches": len(mismatches)}


def _refresh_warehouse(engine: Engine, orgs: Any) -> None:
    import datetime as dt

    rows = []
    for doc in orgs:
        try:
            row = organization_row(doc)
        except BadRecord as exc:  # the extraction will quarantine it; the sync does not load it
            log.warning("organization %s read back but not loaded: %s", doc.get("id"), exc)
            continue
        row["extracted_at"] = dt.datetime.now(dt.UTC)
        rows.append(row)
    if rows:
        with engine.begin() as conn:
            upsert(conn, zd_organizations, rows)
