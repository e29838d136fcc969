"""Entry points the extraction DAGs call: one stream per task, migrated warehouse, hook-built client.

A stream above the quarantine ratio fails its task *without* retrying: the valid records and
the cursor are committed, so a retry would read nothing new and pass, hiding the failure. The
message says where the records are (the `quarantine` table, the stream, how many).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sqlalchemy import Engine

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)


@contextlib.contextmanager
def no_retry_on_quarantine_breach() -> Iterator[None]:
    """Turn `QuarantineRatioExceeded` into Airflow's fail-without-retry exception."""
    from .runner import QuarantineRatioExceeded

    try:
        yield
    except QuarantineRatioExceeded as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{exc} (not retried)") from exc


def ready_warehouse() -> Engine:
    """The warehouse engine, migrated to head (once, under the migration lock: tasks that start
    together on a fresh warehouse wait for the first one instead of racing it)."""
    engine = get_engine()
    upgrade(engine)
    return engine


def run_zendesk_stream(name: str, max_pages: int | None = None) -> dict:
    """Extract one Zendesk stream (see zendesk_streams.STREAMS) into the warehouse."""
    from ..clients.zendesk import SupportZendeskHook
    from .zendesk import extract_all

    engine = ready_warehouse()
    with no_retry_on_quarantine_breach():
        result = extract_all(engine, SupportZendeskHook(), [name], max_pages=max_pages)[name]
    log.info("zendesk %s: %s", name, result)
    return result


def run_salesforce_accounts(full_refresh: bool = False) -> dict:
    from ..clients.salesforce import salesforce_client
    from .salesforce import extract_accounts

    engine = ready_warehouse()
    with no_retry_on_quarantine_breach():
        result = extract_accounts(engine, salesforce_client(), full_refresh=full_refresh).as_dict()
    log.info("salesforce accounts: %s", result)
    return result
