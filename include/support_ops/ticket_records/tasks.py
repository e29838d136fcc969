"""What the `salesforce_ticket_records` DAG's task calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..warehouse import get_engine, upgrade


def run_task(params: dict[str, Any] | None = None, ds: str | None = None) -> dict[str, Any]:
    """Reconcile the window, run the health checks, backfill when asked."""
    from ..clients.salesforce import salesforce_client
    from ..clients.zendesk import SupportZendeskHook
    from .runner import run

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    day = dt.date.fromisoformat(ds[:10]) if ds else None
    return run(engine, sf=salesforce_client(), zendesk=SupportZendeskHook().api_session(), days=int(p.get("days") or 7),
               run_date=day, backfill=bool(p.get("backfill")), dry_run=bool(p.get("dry_run")),
               max_changes=p.get("max_changes"))
