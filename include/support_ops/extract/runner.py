"""Running one stream: page in, validate, upsert rows + quarantine + cursor in one transaction.

A crash at any point loses nothing and duplicates nothing: the cursor only moves in the
transaction that wrote the page's rows, so a rerun starts at the first page not committed
(re-fetching at most the one page in flight).

No record stops a stream. One that cannot become a row goes to `quarantine` with the reason:
a failed check or any other error while reading it (`split_valid`), or a value the database
itself refuses (a NUL character in a PostgreSQL text, a number out of range). In that last
case the page's transaction is rolled back and the page written again in halves under
savepoints until the refused rows are found; only those are quarantined. The fast path is a
single transaction per page; the careful one runs only for a page the database refused.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy import exc as sa_exc

from ..config import settings
from ..warehouse.upsert import upsert
from . import records as rec
from .state import load_state, save_state
from .tables import quarantine, zd_ticket_metrics

log = logging.getLogger(__name__)


class QuarantineRatioExceeded(RuntimeError):
    """Too many bad records: the good ones are loaded, but someone should look.

    A retry cannot help (the cursor has passed the records, which sit in `quarantine`), so
    the Airflow task fails without retrying (see `tasks.py`).
    """

    def __init__(self, stream: str, quarantined: int, seen: int, limit: float):
        self.stream, self.quarantined, self.seen, self.limit = stream, quarantined, seen, limit
        super().__init__(
            f"{stream}: {quarantined} of {seen} records quarantined ({quarantined / seen:.1%} > "
            f"{limit:.1%}). The valid ones are loaded and the cursor has moved past the rest: "
            f"they are in the warehouse table `quarantine` with stream = '{stream}', each with "
            "its raw record and reason. A retry would not read them again: fix them at the "
            "source (a changed record is read again) or raise SUPPORT_OPS_QUARANTINE_MAX_RATIO."
        )


@dataclass
class StreamResult:
    stream: str
    pages: int = 0
    loaded: int = 0
    quarantined: int = 0
    total_loaded: int = 0
    seconds: float = 0.0
    cursor: dict = field(default_factory=dict)
    api_calls: int = 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _show(value: Any) -> str:
    """Quarantine keys and reasons are text columns: no NUL, bounded length."""
    return str(value).replace("\x00", "\\x00")


def quarantine_row(stream: str, key: Any, raw: Any, reason: str, now: dt.datetime) -> dict:
    return {
        "stream": stream, "record_key": _show(key)[:128], "reason": _show(reason)[:2000],
        "raw": json.dumps(raw, default=str)[:100_000], "first_seen": now, "last_seen": now,
    }


def split_valid(
    docs: Iterable[Any], to_row: Callable[[Any], dict], stream: str, id_field: str = "id"
) -> tuple[list[dict], list[dict]]:
    """(rows, quarantine rows) of a page; the quarantine row keeps the raw record and the reason.

    Any error while reading a record quarantines that record: a failed check (`BadRecord`,
    whose message is the reason) or anything the checks did not foresee.
    """
    rows: list[dict] = []
    bad: dict[str, dict] = {}
    now = dt.datetime.now(dt.UTC)
    seen: dict[Any, int] = {}
    for doc in docs:
        try:
            row = to_row(doc)
        except rec.BadRecord as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - one record must not stop the stream
            reason = f"could not be read: {type(exc).__name__}: {exc}"
        else:
            row["extracted_at"] = now
            key = row.get("id", row.get("ticket_id"))
            if key in seen:  # a page may carry a record twice (time-based exports): keep the last
                rows[seen[key]] = row
            else:
                seen[key] = len(rows)
                rows.append(row)
            continue
        q = quarantine_row(stream, rec.record_key(doc, id_field), doc, reason, now)
        bad[q["record_key"]] = q  # one quarantine row per record key and page
    return rows, list(bad.values())


# Raised for data the database cannot store (as opposed to a database that cannot be reached,
# a lock, a full disk: those are OperationalError / InterfaceError and stop the run as usual).
_REFUSALS = (sa_exc.StatementError, OverflowError, TypeError, ValueError)
_NOT_REFUSALS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.InternalError)
# Set while a refused page is written again: where refused rows are collected.
_CAREFUL: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("careful", default=None)


def _refused(exc: BaseException) -> bool:
    if isinstance(exc, _NOT_REFUSALS) or getattr(exc, "connection_invalidated", False):
        return False
    return isinstance(exc, _REFUSALS)


def _refusal_reason(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"the warehouse refused it: {type(cause).__name__}: {first[:300]}"


def store_rows(conn: Connection, table: Table, rows: list[dict], stream: str) -> int:
    """Upsert `rows`; returns how many were stored.

    Normally one statement. While a refused page is written again, rows go in halves under
    savepoints, and each row the database refuses is set aside for quarantine.
    """
    careful = _CAREFUL.get()
    if careful is None:
        upsert(conn, table, rows)
        return len(rows)
    return _store_halving(conn, table, rows, stream, careful)


def _store_halving(conn: Connection, table: Table, rows: list[dict], stream: str,
                   refused: list[dict]) -> int:
    if not rows:
        return 0
    try:
        with conn.begin_nested():
            upsert(conn, table, rows)
        return len(rows)
    except Exception as exc:
        if not _refused(exc):
            raise
        if len(rows) > 1:
            mid = len(rows) // 2
            return (_store_halving(conn, table, rows[:mid], stream, refused)
                    + _store_halving(conn, table, rows[mid:], stream, refused))
        row = rows[0]
        refused.append(quarantine_row(stream, row.get("id", row.get("ticket_id")), row.get("raw"),
                                      _refusal_reason(exc), dt.datetime.now(dt.UTC)))
        log.warning("%s: record %s refused by the warehouse, quarantined: %s", stream,
                    refused[-1]["record_key"], refused[-1]["reason"])
        return 0


def write_quarantine(conn: Connection, bad: list[dict]) -> None:
    if bad:
        unique = {(q["stream"], q["record_key"]): q for q in bad}
        upsert(conn, quarantine, list(unique.values()), update=["reason", "raw", "last_seen"])


def write_page(conn: Connection, table: Table, rows: list[dict], bad: list[dict], stream: str = "") -> int:
    """The page's rows and quarantine rows; returns the rows stored."""
    stored = store_rows(conn, table, rows, stream)
    write_quarantine(conn, bad)
    return stored


def run_pages(
    engine: Engine,
    stream: str,
    table: Table,
    fetch_page: Callable[[dict | None], tuple[list[Any], dict, dict, bool]],
    to_row: Callable[[Any], dict],
    *,
    quarantine_max_ratio: float | None = None,
    max_pages: int | None = None,
    extra_writer: Callable[[Connection, dict], None] | None = None,
    id_field: str = "id",
) -> StreamResult:
    """The generic loop. `fetch_page(state) -> (docs, side, next_state, done)`."""
    if quarantine_max_ratio is None:
        quarantine_max_ratio = settings().quarantine_max_ratio
    state, total = load_state(engine, stream)
    result = StreamResult(stream, total_loaded=total)
    started = time.monotonic()
    log.info("%s: starting from %s (%d records loaded before)", stream, state or "the beginning", total)
    while True:
        docs, side, next_state, done = fetch_page(state)
        rows, bad = split_valid(docs, to_row, stream, id_field)
        stored, refused = _commit_page(engine, stream, table, rows, bad, side, next_state,
                                       result.total_loaded, extra_writer)
        result.total_loaded += stored
        rows_quarantined = len(bad) + refused
        state = next_state
        result.pages += 1
        result.loaded += stored
        result.quarantined += rows_quarantined
        elapsed = time.monotonic() - started
        log.info(
            "%s: page %d: %d records (%d quarantined); %d this run, %.0f records/s; cursor %s",
            stream, result.pages, stored, rows_quarantined, result.loaded,
            result.loaded / elapsed if elapsed > 0 else 0.0, _short(next_state),
        )
        if done or (max_pages is not None and result.pages >= max_pages):
            break
    result.seconds = round(time.monotonic() - started, 3)
    result.cursor = state or {}
    seen = result.loaded + result.quarantined
    log.info("%s: done: %d loaded, %d quarantined in %d pages, %.1fs", stream, result.loaded,
             result.quarantined, result.pages, result.seconds)
    if seen and result.quarantined / seen > quarantine_max_ratio:
        raise QuarantineRatioExceeded(stream, result.quarantined, seen, quarantine_max_ratio)
    return result


def _commit_page(
    engine: Engine, stream: str, table: Table, rows: list[dict], bad: list[dict], side: dict,
    next_state: dict, total_before: int, extra_writer: Callable[[Connection, dict], None] | None,
) -> tuple[int, int]:
    """Write one page with its cursor in one transaction: (rows stored, rows refused)."""
    try:
        with engine.begin() as conn:
            write_page(conn, table, rows, bad, stream)
            if extra_writer:
                extra_writer(conn, side)
            save_state(conn, stream, next_state, total_before + len(rows))
        return len(rows), 0
    except Exception as exc:
        if not _refused(exc):
            raise
        log.warning("%s: the warehouse refused the page (%s); writing it again to find the "
                    "records at fault", stream, _refusal_reason(exc))
    refused: list[dict] = []
    token = _CAREFUL.set(refused)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # pysqlite would let the first SAVEPOINT open (and its RELEASE commit) the
                # transaction; opening it here keeps the page and its cursor atomic.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            stored = store_rows(conn, table, rows, stream)
            main_refused = len(refused)
            if extra_writer:
                extra_writer(conn, side)
            write_quarantine(conn, bad + refused)
            save_state(conn, stream, next_state, total_before + stored)
    finally:
        _CAREFUL.reset(token)
    return stored, main_refused


def _short(state: Any) -> str:
    text = json.dumps(state, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def ticket_metrics_writer(stream: str) -> Callable[[Connection, dict], None]:
    """Side-loaded metric sets go to `zd_ticket_metrics` (their solved_at is already on the
    ticket rows of the same page)."""

    def write(conn: Connection, side: dict) -> None:
        rows, bad = split_valid(side.get("metric_sets") or [], rec.ticket_metric_row,
                                stream + ".metric_sets", id_field="ticket_id")
        if rows:
            store_rows(conn, zd_ticket_metrics, rows, stream + ".metric_sets")
        write_quarantine(conn, bad)

    return write
