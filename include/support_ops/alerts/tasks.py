"""What the three notification DAGs call. XCom carries small summaries, never data.

`refresh_stream` is the incremental extraction of one Zendesk stream through the same entry
point and cursor as `zendesk_extract` (so the two never read a page twice), and says whether
the warehouse changed (the DAG then updates the stream's Asset, as `zendesk_extract` does:
the KPIs see changes whichever DAG loaded them). The DAGs run it in the one-slot pool
`ZENDESK_INCREMENTAL_POOL`, as `zendesk_extract` does.
"""

from __future__ import annotations

import logging
from typing import Any

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)
KEEP = ("loaded", "changed", "quarantined", "pages", "api_calls")


def _fail_now(exc: BaseException) -> BaseException:
    """An error a retry cannot fix (a cap, a bad Param): fail the task without retrying."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # plain Python use
        return exc
    return AirflowFailException(str(exc))


def refresh_stream(stream: str) -> dict[str, Any]:
    from ..extract.changes import zendesk_stream

    upgrade(get_engine())
    result = zendesk_stream(stream)
    return {k: result.get(k) for k in KEEP if k in result}


def breach_alerts_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from ..outbound import CapExceeded
    from . import targets
    from .premium import run

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    stats = targets.install().reset()
    try:
        out = run(engine, dry_run=bool(p.get("dry_run")), max_alerts=p.get("max_alerts"))
    except (CapExceeded, ValueError) as exc:
        raise _fail_now(exc) from exc
    out["zendesk_calls"] = stats.as_dict()
    return out


def live_feed_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from .feeds import run

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    return run(engine, dry_run=bool(p.get("dry_run")))


def view_counts_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    from . import views

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    try:
        return views.run(engine, p.get("views") or [], dry_run=bool(p.get("dry_run")))
    except views.UnknownViews as exc:
        raise _fail_now(exc) from exc


def report_task() -> dict[str, Any]:
    from .report import write_report

    path = write_report(get_engine())
    return {"report": str(path)}
