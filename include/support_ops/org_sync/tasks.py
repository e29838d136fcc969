"""What the `salesforce_zendesk_org_sync` DAG's tasks call. XCom carries the run id, not data."""

from __future__ import annotations

import logging
from typing import Any

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)


def _fail_now(exc: BaseException) -> BaseException:
    """An error that retrying cannot fix: fail the task at once (no Airflow retries)."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # plain Python use
        return exc
    return AirflowFailException(str(exc))


def refresh_task() -> dict[str, Any]:
    """The incremental streams of organizations and accounts, so the plan is made from current data."""
    from ..extract.changes import salesforce_accounts, zendesk_stream

    upgrade(get_engine())
    keep = ("loaded", "changed", "quarantined", "pages")
    orgs = zendesk_stream("organizations")
    accounts = salesforce_accounts()
    return {"organizations": {k: orgs.get(k) for k in keep if k in orgs},
            "accounts": {k: accounts.get(k) for k in keep if k in accounts}}


def plan_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from . import SyncBlocked, plan_run

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    try:
        return plan_run(engine, dry_run=bool(p.get("dry_run")), max_changes=p.get("max_changes"),
                        create_missing=bool(p.get("create_missing")), only_orgs=p.get("only_orgs"))
    except (SyncBlocked, NotImplementedError, ValueError) as exc:
        raise _fail_now(exc) from exc


def apply_task(run_id: str, max_changes: Any = None) -> dict[str, Any]:
    from . import SyncCapped, apply_run
    from .target import install

    install()  # a fresh session for this task (the connection may have changed since import)
    try:
        return apply_run(get_engine(), run_id, max_changes=max_changes)
    except SyncCapped as exc:
        raise _fail_now(exc) from exc


def verify_task(run_id: str) -> dict[str, Any]:
    from . import verify_run
    from .target import install

    return verify_run(get_engine(), run_id, target=install())


def report_task(run_id: str) -> dict[str, Any]:
    from .report import write_report

    return write_report(get_engine(), run_id)


def notify_task(run_id: str, report: dict[str, Any] | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """One Slack summary per run; then the run fails if it was capped or did not complete."""
    from . import runs
    from .report import notify_summary

    engine = get_engine()
    sent = notify_summary(engine, run_id, (report or {}).get("url"), dry_run=dry_run)
    run = runs.load_run(engine, run_id)
    if run["status"] in ("capped", "failed", "verify_failed", "planned"):
        raise _fail_now(RuntimeError(run["error"] or f"organization sync {run_id} ended {run['status']}"))
    return {"run_id": run_id, "status": run["status"], "slack": sent}
