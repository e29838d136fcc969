"""Extracting Salesforce Accounts, incrementally on SystemModstamp with a look-back.

`SystemModstamp` moves on system changes too (LastModifiedDate misses those). Each run
asks `queryAll` (so deleted accounts come with IsDeleted = true) for accounts with
`SystemModstamp >= high-water mark - look-back`, ordered by it; each page of up to 2,000
records is committed with the new high-water mark. Upserts by Id make the overlap harmless.

The high-water mark never passes the run's start minus the safety lag (`state.cursor_ceiling`):
an account stamped in the future still loads, is read again by later runs until the clock
passes it, and does not hide the changes made before its date. Ids are stored in their
18-character form. Transient errors (429, 5xx, dropped or truncated replies) are retried per
page; an expired query locator is not transient and restarts the query from the high-water
mark at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import requests
from sqlalchemy import Connection, Engine, func

from ..clients.salesforce_ids import to18
from .fetch import ExtractionError, FetchStats, RetryPolicy, call_with_retries
from .records import ACCOUNT_FIELDS, BadRecord, account_row, parse_time
from .runner import StreamResult, run_pages
from .state import capped, cursor_ceiling, reset_state
from .tables import sf_accounts

log = logging.getLogger(__name__)
STREAM = "salesforce.accounts"


def soql_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def accounts_query(since: dt.datetime | None) -> str:
    where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
    return f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account{where} ORDER BY SystemModstamp, Id"


def transient_error(exc: BaseException) -> bool:
    """Worth retrying: the connection broke, the reply was cut, or the server said try later."""
    from simple_salesforce.exceptions import SalesforceGeneralError

    if isinstance(exc, (requests.ConnectionError, requests.Timeout,
                        requests.exceptions.ChunkedEncodingError)):
        return True
    if isinstance(exc, SalesforceGeneralError):  # simple-salesforce's class for 429 and 5xx
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, ValueError)  # a body that is not complete JSON


def _page_mark(records: list, hwm: str | None, ceiling: dt.datetime) -> str | None:
    """The page's high-water mark: its latest readable stamp, never past `ceiling`."""
    latest = parse_time(hwm, "hwm") if hwm else None
    for r in records:
        try:
            stamp = parse_time(r.get("SystemModstamp"), "SystemModstamp") if isinstance(r, dict) else None
        except BadRecord:
            continue  # that record is quarantined; it does not move the cursor
        if stamp is not None and (latest is None or stamp > latest):
            latest = stamp
    if latest is None:
        return None
    mark = capped(latest, ceiling)
    if mark < latest:
        log.info("%s: records stamped up to %s, after this run's start: the high-water mark "
                 "stays at %s so later runs read them again", STREAM, latest.isoformat(), mark.isoformat())
    return mark.isoformat()


def _drop_short_ids(conn: Connection, side: dict) -> None:
    """Rows an older version stored under a 15-character id now arrive under the 18-character
    one: remove the short-id rows so each account is one row."""
    id15s = side.get("id15s")
    if id15s:
        conn.execute(sf_accounts.delete().where(sf_accounts.c.id15.in_(id15s),
                                                func.length(sf_accounts.c.id) == 15))


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
    ceiling = cursor_ceiling()

    def call(fn, state):
        return call_with_retries(fn, stream=STREAM, cursor=state, policy=policy, stats=stats,
                                 transient=transient_error, permanent=(SalesforceError,))

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
            since = capped(parse_time(hwm, "hwm"), ceiling) - lookback if hwm else None
            body = call(lambda: sf.query(accounts_query(since), include_deleted=True), state)
        records = body.get("records") or []
        done = bool(body.get("done", True))
        next_state = {"hwm": _page_mark(records, hwm, ceiling)}
        if not done:
            next_state["next_url"] = body["nextRecordsUrl"]
        ids = (to18(r.get("Id")) for r in records if isinstance(r, dict))
        id15s = sorted({i[:15] for i in ids if i})
        return records, {"id15s": id15s}, next_state, done

    result = run_pages(
        engine, STREAM, sf_accounts, fetch_page, account_row,
        quarantine_max_ratio=quarantine_max_ratio, max_pages=max_pages, id_field="Id",
        extra_writer=_drop_short_ids,
    )
    result.api_calls = stats.calls
    return result
