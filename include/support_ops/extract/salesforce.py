"""Extracting Salesforce Accounts, incrementally on SystemModstamp with a look-back.

`SystemModstamp` moves on system changes too (LastModifiedDate misses those). Each run
asks `queryAll` (so deleted accounts come with IsDeleted = true) for accounts with
`SystemModstamp >= high-water mark - look-back`, ordered by it; each page of up to 2,000
records is committed with the new high-water mark. Upserts by Id make the overlap harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import requests
from sqlalchemy import Engine

from ..warehouse.schema import sf_accounts
from .fetch import ExtractionError, FetchStats, RetryPolicy, call_with_retries
from .records import ACCOUNT_FIELDS, account_row, parse_time
from .runner import StreamResult, run_pages
from .state import reset_state

log = logging.getLogger(__name__)
STREAM = "salesforce.accounts"


def soql_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def accounts_query(since: dt.datetime | None) -> str:
    where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
    return f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account{where} ORDER BY SystemModstamp, Id"


def extract_accounts(
    engine: Engine,
    sf: Any,
    *,
    full_refresh: bool = False,
    lookback: dt.timedelta = dt.timedelta(minutes=10),
    max_pages: int | None = None,
    quarantine_max_ratio: float | None = None,
    policy: RetryPolicy | None = None,
) -> StreamResult:
    """Run the Account stream to the end (or `max_pages`)."""
    from simple_salesforce.exceptions import SalesforceError

    if full_refresh:
        with engine.begin() as conn:
            reset_state(conn, STREAM)
    policy = policy or RetryPolicy()
    stats = FetchStats()
    transient = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                 SalesforceError, ValueError)

    def call(fn, state):
        return call_with_retries(fn, stream=STREAM, cursor=state, policy=policy, stats=stats,
                                 transient=transient)

    def fetch_page(state: dict | None):
        hwm = (state or {}).get("hwm")
        body = None
        if state and state.get("next_url"):
            try:
                body = call(lambda: sf.query_more(state["next_url"], identifier_is_url=True,
                                                  include_deleted=True), state)
            except ExtractionError as exc:  # query locators expire (15 min): start over from hwm
                log.warning("%s: could not continue the query (%s); querying again from %s",
                            STREAM, exc.cause, hwm)
        if body is None:
            since = parse_time(hwm, "hwm") - lookback if hwm else None
            body = call(lambda: sf.query(accounts_query(since), include_deleted=True), state)
        records = body.get("records") or []
        # Ordered by SystemModstamp (accounts_query), so the last stamp is the page's high-water mark.
        stamps = [r["SystemModstamp"] for r in records if isinstance(r, dict) and r.get("SystemModstamp")]
        page_hwm = stamps[-1] if stamps else hwm
        done = bool(body.get("done", True))
        next_state = {"hwm": page_hwm}
        if not done:
            next_state["next_url"] = body["nextRecordsUrl"]
        return records, {}, next_state, done

    result = run_pages(
        engine, STREAM, sf_accounts, fetch_page, account_row,
        quarantine_max_ratio=quarantine_max_ratio, max_pages=max_pages, id_field="Id",
    )
    result.api_calls = stats.calls
    return result
