"""What the `ssat_feedback_issues` DAG's tasks call. XCom carries counts, not data."""

from __future__ import annotations

import logging
from typing import Any

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)


def _fail_now(exc: BaseException) -> BaseException:
    """An error retrying cannot fix (a cap, a bad Param): fail the task at once."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # plain Python use
        return exc
    return AirflowFailException(str(exc))


def issues_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create, relabel and clean up the feedback issues (Params dry_run, max_issues, since)."""
    from .. import outbound
    from .issues import run

    p = params or {}
    engine = get_engine()
    upgrade(engine)
    try:
        out = run(engine, since=p.get("since"), max_issues=p.get("max_issues"), dry_run=bool(p.get("dry_run")))
    except (outbound.CapExceeded, ValueError) as exc:
        raise _fail_now(exc) from exc
    log.info("feedback issues: %s", out)
    return out


def export_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Commit the months of the feedback export whose content changed (one commit or none)."""
    from .export import run

    out = run(get_engine(), dry_run=bool((params or {}).get("dry_run")))
    log.info("feedback export: %s", out)
    return out


def report_task(issues: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report page (open issues by reason and route, time to first response, the manager)."""
    from ..links import report_url
    from .report import write_report

    path = write_report(get_engine(), manager=(issues or {}).get("manager"),
                        assignee=(issues or {}).get("assignee"))
    out = {"path": str(path), "url": report_url(path)}
    log.info("feedback report: %s", out["url"])
    return out
