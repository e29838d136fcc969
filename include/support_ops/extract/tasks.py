"""Entry points the extraction DAGs call: one stream per task, migrated warehouse, hook-built client."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from ..warehouse import get_engine, upgrade

log = logging.getLogger(__name__)


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
    result = extract_all(engine, SupportZendeskHook(), [name], max_pages=max_pages)[name]
    log.info("zendesk %s: %s", name, result)
    return result


def run_salesforce_accounts(full_refresh: bool = False) -> dict:
    from ..clients.salesforce import salesforce_client
    from .salesforce import extract_accounts

    engine = ready_warehouse()
    result = extract_accounts(engine, salesforce_client(), full_refresh=full_refresh).as_dict()
    log.info("salesforce accounts: %s", result)
    return result
