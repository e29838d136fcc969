"""Did an extraction run change the warehouse? Decides whether its Asset is updated.

A run's `loaded` counts records *read*, and several streams re-read records they already
have (ticket forms are read whole, rating and Salesforce exports re-read their boundary or
look-back window). Updating the Asset on those would start a KPI and an integrity run after
every hourly extraction for nothing. So each stream's table is fingerprinted before and after
the run: its row count and the newest value of the column the source bumps on every change
(`updated_at`, Salesforce's `SystemModstamp`; metric events never change, so their newest id).
A new, changed or deleted record moves one of the two; a re-read leaves both as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Table, func, inspect, select

from .tables import sf_accounts

log = logging.getLogger(__name__)

# The column each table's source bumps when a record changes.
CHANGE_COLUMN: dict[str, str] = {
    "zd_tickets": "updated_at",
    "zd_satisfaction_ratings": "updated_at",
    "zd_organizations": "updated_at",
    "zd_users": "updated_at",
    "zd_ticket_forms": "updated_at",
    "zd_ticket_metric_events": "id",
    "sf_accounts": "system_modstamp",
}


def fingerprint(engine: Engine, table: Table) -> tuple[int, str | None]:
    """(rows, newest change value as text) of `table`; (0, None) before it exists."""
    if not inspect(engine).has_table(table.name):
        return 0, None
    column = table.c[CHANGE_COLUMN.get(table.name, "id")]
    with engine.connect() as conn:
        rows, newest = conn.execute(select(func.count(), func.max(column)).select_from(table)).one()
    return int(rows or 0), None if newest is None else str(newest)


def tracked(engine: Engine, table: Table, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Call `run` (one stream's extraction) and add `changed` (bool) to its result."""
    before = fingerprint(engine, table)
    result = dict(run())
    after = fingerprint(engine, table)
    result["changed"] = after != before
    log.info("%s: %s (rows %d -> %d, newest change %s -> %s)", table.name,
             "changed" if result["changed"] else "unchanged: its Asset will not be updated",
             before[0], after[0], before[1], after[1])
    return result


def zendesk_stream(stream: str) -> dict[str, Any]:
    """The Zendesk stream task: extract, and say whether the warehouse changed."""
    from ..warehouse import get_engine
    from .tasks import run_zendesk_stream
    from .zendesk_streams import STREAMS

    return tracked(get_engine(), STREAMS[stream].table, lambda: run_zendesk_stream(stream))


def salesforce_accounts(full_refresh: bool = False) -> dict[str, Any]:
    """The Salesforce accounts task: extract, and say whether the warehouse changed."""
    from ..warehouse import get_engine
    from .tasks import run_salesforce_accounts

    return tracked(get_engine(), sf_accounts, lambda: run_salesforce_accounts(full_refresh=full_refresh))


def changed(result: dict[str, Any]) -> bool:
    """What the publish task asks: did this run change rows (older results: did it load any)?"""
    return bool(result.get("changed") if "changed" in result else result.get("loaded"))
