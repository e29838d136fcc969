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
