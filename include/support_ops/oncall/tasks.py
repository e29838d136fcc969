"""What the `pagerduty_oncall` DAG's tasks call. XCom carries small summaries, not data."""

from __future__ import annotations

from typing import Any

from ..warehouse import get_engine, upgrade


def _fail_now(exc: BaseException) -> BaseException:
    """An error that retrying cannot fix (a broken expected.yaml, a bad Param): fail at once."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # plain Python use
        return exc
    return AirflowFailException(str(exc))


def audit_task(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read PagerDuty (connection pagerduty_default), audit, store the roster and findings."""
    from ..clients.pagerduty import rest_client
    from .expected import ExpectedError, load
    from .runner import resolve_as_of, run_oncall

    try:
        expected = load()
        as_of = resolve_as_of((params or {}).get("as_of"))
    except (ExpectedError, ValueError) as exc:
        raise _fail_now(exc) from exc
    engine = get_engine()
    upgrade(engine)
    return run_oncall(engine, rest_client(), as_of, expected=expected)


def report_task(run_date: str) -> dict[str, Any]:
    from .report import write_report

    return write_report(get_engine(), run_date)


def notify_task(run_date: str, report: dict[str, Any] | None = None, *, dry_run: bool = False) -> str:
    from .report import notify_digest

    return notify_digest(get_engine(), run_date, (report or {}).get("url"), dry_run=dry_run)
