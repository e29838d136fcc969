"""What the `shared_org_audit` and `shared_org_apply` DAGs' tasks call. XCom carries summaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..warehouse import get_engine, upgrade


def audit_task(run_date: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Refresh, compare with the approved requests, store, report, one Slack message if needed."""
    from ..outbound.gitlab import gitlab_client
    from .requests import support_ops_project
    from .runner import audit_run

    engine = get_engine()
    upgrade(engine)
    day = dt.date.fromisoformat(run_date[:10]) if run_date else None
    return audit_run(engine, gl=gitlab_client(), project=support_ops_project(), run_date=day, dry_run=dry_run)


def apply_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Refresh users, then apply the request `issue` (or refuse it, saying why on the issue)."""
    from ..clients.zendesk import SupportZendeskHook
    from ..outbound.gitlab import gitlab_client
    from . import store
    from .apply import Refused, apply_request
    from .requests import support_ops_project
    from .runner import refresh

    p = params or {}
    if p.get("issue") in (None, ""):
        raise _fail_now(ValueError("Param 'issue' (the request's issue number) is required"))
    try:
        iid = int(p["issue"])
    except (TypeError, ValueError):
        raise _fail_now(ValueError(f"Param 'issue' must be an issue number, got {p['issue']!r}")) from None
    engine = get_engine()
    upgrade(engine)
    refresh(engine)
    session, api = SupportZendeskHook().api_session()
    try:
        return apply_request(engine, gl=gitlab_client(), project=support_ops_project(), iid=iid,
                             members=store.load_users(engine), session=session, api=api,
                             dry_run=bool(p.get("dry_run")))
    except Refused as exc:
        raise _fail_now(exc) from exc


def _fail_now(exc: BaseException) -> BaseException:
    """An error no retry can fix: fail the task at once."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:
        return exc
    return AirflowFailException(str(exc))
