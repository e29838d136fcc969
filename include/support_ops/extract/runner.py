"""Running one stream: page in, validate, upsert rows + quarantine + cursor in one transaction.

A crash at any point loses nothing and duplicates nothing: the cursor only moves in the
transaction that wrote the page's rows, so a rerun starts at the first page not committed
(re-fetching at most the one page in flight).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table

from ..config import settings
from ..warehouse.schema import quarantine, zd_ticket_metrics
from ..warehouse.upsert import upsert
from . import records as rec
from .state import load_state, save_state

log = logging.getLogger(__name__)


class QuarantineRatioExceeded(RuntimeError):
    """Too many bad records: the good ones are loaded, but someone should look."""


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


def split_valid(
    docs: Iterable[Any], to_row: Callable[[Any], dict], stream: str, id_field: str = "id"
) -> tuple[list[dict], list[dict]]:
    """(rows, quarantine rows) of a page; the quarantine row keeps the raw record and the reason."""
    rows: list[dict] = []
    bad: list[dict] = []
    now = dt.datetime.now(dt.UTC)
    seen: dict[Any, int] = {}
    for doc in docs:
        try:
            row = to_row(doc)
        except rec.BadRecord as exc:
            bad.append({
                "stream": stream, "record_key": rec.record_key(doc, id_field), "reason": str(exc),
                "raw": json.dumps(doc, default=str)[:100_000], "first_seen": now, "last_seen": now,
            })
            continue
        row["extracted_at"] = now
        key = row.get("id", row.get("ticket_id"))
        if key in seen:  # a page may carry a record twice (time-based exports): keep the last
            rows[seen[key]] = row
        else:
            seen[key] = len(rows)
            rows.append(row)
    return rows, bad


def write_page(conn: Connection, table: Table, rows: list[dict], bad: list[dict]) -> None:
    upsert(conn, table, rows)
    if bad:
        upsert(conn, quarantine, bad, update=["reason", "raw", "last_seen"])


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
        with engine.begin() as conn:
            write_page(conn, table, rows, bad)
            if extra_writer:
                extra_writer(conn, side)
            result.total_loaded += len(rows)
            save_state(conn, stream, next_state, result.total_loaded)
        state = next_state
        result.pages += 1
        result.loaded += len(rows)
        result.quarantined += len(bad)
        elapsed = time.monotonic() - started
        log.info(
            "%s: page %d: %d records (%d quarantined); %d this run, %.0f records/s; cursor %s",
            stream, result.pages, len(rows), len(bad), result.loaded,
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
        raise QuarantineRatioExceeded(
            f"{stream}: {result.quarantined} of {seen} records quarantined "
            f"({result.quarantined / seen:.1%} > {quarantine_max_ratio:.1%}); the valid ones are loaded; "
            "see the quarantine table for the records and reasons"
        )
    return result


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
            upsert(conn, zd_ticket_metrics, rows)
        if bad:
            upsert(conn, quarantine, bad, update=["reason", "raw", "last_seen"])

    return write
