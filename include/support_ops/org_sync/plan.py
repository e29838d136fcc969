"""Plan a sync run: every eligible account's desired fields against its organization's.

The plan is made from the warehouse (refreshed at the start of the run) and stored twice: as
the outbound layer's plan (one write per organization, with its idempotency key) and in
org_sync_changes / org_sync_skips, the sync's own audit. A dry run stores the same plan and
marks it `dry_run`: nothing will send it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select

from .. import outbound
from ..config import settings
from ..extract.tables import sf_accounts, zd_organizations
from ..outbound.zendesk import organization_update
from . import rules, runs
from .target import ORG_SYNC

log = logging.getLogger(__name__)


class SyncBlocked(RuntimeError):
    """A blocking integrity check (SUPPORT_OPS_BLOCKING_CHECKS) has findings: nothing is planned."""


def load_accounts(engine: Engine) -> list[dict[str, Any]]:
    """Accounts in Salesforce's shape (the extracted record), with the warehouse's id and flags."""
    a = sf_accounts.c
    with engine.connect() as conn:
        rows = conn.execute(select(a.id, a.type, a.is_deleted, a.name, a.raw)).all()
    out = []
    for r in rows:
        acc = dict(r.raw) if isinstance(r.raw, dict) else {}
        acc.update(Id=r.id, Type=r.type, IsDeleted=bool(r.is_deleted), Name=acc.get("Name", r.name))
        out.append(acc)
    return out


def load_organizations(engine: Engine) -> list[dict[str, Any]]:
    """Organizations in Zendesk's shape (the extracted record), with the warehouse's id and deletion."""
    o = zd_organizations.c
    with engine.connect() as conn:
        rows = conn.execute(select(o.id, o.name, o.deleted_at, o.updated_at, o.raw)).all()
    out = []
    for r in rows:
        org = dict(r.raw) if isinstance(r.raw, dict) else {}
        org.update(id=int(r.id), name=org.get("name", r.name),
                   deleted_at=org.get("deleted_at") or (r.deleted_at.isoformat() if r.deleted_at else None))
        org.setdefault("updated_at", r.updated_at.isoformat() if r.updated_at else None)
        out.append(org)
    return out


def write_key(change: rules.Change) -> str:
    """The same change of the same organization state has the same key in every run, so a rerun
    never repeats a write already applied; a later change (or a revert in Zendesk, which moves
    `updated_at`) is a new key."""
    payload = json.dumps([change.organization_id, change.updated_at, change.after], sort_keys=True, default=str)
    return f"org_sync:{change.organization_id}:{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def _summary(change: rules.Change, name: str) -> str:
    parts = ", ".join(f"{f}: {change.before.get(f)!r} -> {v!r}" for f, v in change.after.items())
    return f"organization {change.organization_id} ({name}), account {change.account_id}: {parts}"


def new_run_id() -> str:
    return f"orgsync-{runs.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def plan_run(engine: Engine, *, dry_run: bool = False, max_changes: int | str | None = None,
             create_missing: bool = False, only_orgs: Iterable[int | str] | None = None,
             actor: outbound.Actor | None = None, check_blocking: bool = True) -> dict[str, Any]:
    """Plan (and store) one run; returns {run_id, plan_id, dry_run, counts} for XCom."""
    if check_blocking and settings().blocking_checks:
        from ..integrity import sync_status

        allowed, reasons = sync_status(engine)
        if not allowed:
            raise SyncBlocked("organization sync blocked by SUPPORT_OPS_BLOCKING_CHECKS: " + "; ".join(reasons))
    only = _org_ids(only_orgs)
    cap = ORG_SYNC.cap(max_changes)
    clearable = rules.clearable_fields()
    orgs = load_organizations(engine)
    names = {o["id"]: str(o.get("name") or "") for o in orgs}
    accounts = load_accounts(engine)
    plan = rules.make_plan(accounts, orgs, clearable=clearable, only_orgs=only)
    actor = actor or outbound.current_actor()
    run_id = new_run_id()
    writes = [organization_update(write_key(c), c.organization_id, c.after, before=c.before,
                                  summary=_summary(c, names.get(c.organization_id, "")))
              for c in plan.changes]
    creates = _creates(plan, accounts) if create_missing else []
    writes += creates
    plan_id = outbound.plan(engine, ORG_SYNC, writes, dry_run=dry_run, actor=actor, max_changes=cap)
    status = "dry_run" if dry_run else "planned"
    counts = plan.counts()
    counts["to_create"] = len(creates)
    counts["over_cap"] = len(writes) > cap
    runs.insert_run(engine, {
        "run_id": run_id, "created_at": runs.now(), "plan_id": plan_id, "actor": actor.actor[:255],
        "dag_run_id": actor.run_id, "dry_run": dry_run, "max_changes": cap,
        "options": {"create_missing": create_missing, "only_orgs": sorted(only) if only else None,
                    "clearable": sorted(clearable)},
        "status": status, "counts": counts, "finished_at": runs.now() if dry_run else None,
    }, [{"run_id": run_id, "organization_id": c.organization_id, "field": f, "account_id": c.account_id,
         "before": c.before.get(f), "after": v, "status": status, "error": None}
        for c in plan.changes for f, v in c.after.items()],
        [{"run_id": run_id, "account_id": s.account_id, "organization_id": s.organization_id, "reason": s.reason}
         for s in plan.skips])
    log.info("org sync %s: %d organization(s) to change (%d field changes), %d up to date, %d skipped %s%s",
             run_id, len(plan.changes), counts["field_changes"], plan.unchanged, len(plan.skips),
             {k: v for k, v in counts["skipped_by_reason"].items() if v}, " (dry run)" if dry_run else "")
    if dry_run and counts["over_cap"]:
        log.warning("org sync %s (dry run): %d organizations planned, above the cap of %d: a real run would "
                    "write nothing and fail (%s)", run_id, len(writes), cap, ORG_SYNC.how_to_approve())
    return {"run_id": run_id, "plan_id": plan_id, "dry_run": dry_run, "counts": counts}


def _creates(plan: rules.Plan, accounts: list[dict[str, Any]]) -> list[outbound.Write]:
    """create_missing: one new organization per `no_organization` account, named after it, with
    the account's id as external_id (so a rerun finds it instead of creating it twice) and the
    mapped fields that have a value."""
    from ..clients.salesforce_ids import to18
    from .target import CREATE

    by_id = {to18(a.get("Id")): a for a in accounts}
    out = []
    for skip in plan.skips:
        acc = by_id.get(skip.account_id)
        name = str((acc or {}).get("Name") or "").strip()
        if skip.reason != rules.NO_ORGANIZATION or acc is None or not name:
            continue
        fields = {k: v for k, v in rules.desired_fields(acc).items() if v is not None}
        out.append(outbound.Write(
            key=f"org_sync:create:{skip.account_id}", action=CREATE, target_ref=f"account {skip.account_id}",
            summary=f"create organization {name!r} for account {skip.account_id}: {fields}",
            after={"account_id": skip.account_id,
                   "organization": {"name": name, "external_id": skip.account_id, "organization_fields": fields}}))
    return out


def _org_ids(values: Iterable[int | str] | str | None) -> set[int] | None:
    """`only_orgs` from a Param: a list, or a comma/space separated text; None or empty for all."""
    if values in (None, "", []):
        return None
    items = values.replace(",", " ").split() if isinstance(values, str) else list(values)
    out = set()
    for v in items:
        try:
            out.add(int(str(v).strip()))
        except ValueError:
            raise ValueError(f"only_orgs must list Zendesk organization ids (numbers), got {v!r}") from None
    return out or None
