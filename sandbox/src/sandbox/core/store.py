"""The sandbox's state: a SQLite document store, so writes survive a restart.

Every service keeps its objects as JSON documents in one table, keyed by
(collection, key) and ordered by (ts, seq) so incremental exports can page with
an index seek whatever the size. `seq` is the numeric id where the API has one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL,
    PRIMARY KEY (collection, key)
);
CREATE INDEX IF NOT EXISTS docs_ts ON docs (collection, ts, seq);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (collection, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Thread-safe access to the sandbox database (one connection per thread)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []  # every thread's, so close() reaches them all
        with self._write_lock:
            self.conn.executescript(SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened (before its file is replaced)."""
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        self._local = threading.local()

    # -- writes -------------------------------------------------------------
    def put(self, collection: str, key: Any, doc: dict, ts: int = 0, seq: int | None = None) -> None:
        self.put_many(collection, [(key, doc, ts, seq)])

    def put_many(
        self, collection: str, rows: Iterable[tuple[Any, dict, int, int | None]]
    ) -> int:
        """Insert or replace documents: rows of (key, doc, ts, seq or None)."""
        batch = []
        for key, doc, ts, seq in rows:
            if seq is None:
                seq = int(key) if isinstance(key, int) or str(key).isdigit() else self._next_seq(collection)
            batch.append((collection, str(key), seq, int(ts), json.dumps(doc, separators=(",", ":"))))
        with self._write_lock, self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO docs (collection, key, seq, ts, doc) VALUES (?,?,?,?,?)", batch
            )
        return len(batch)

    def delete(self, collection: str, key: Any) -> bool:
        with self._write_lock, self.conn:
            cur = self.conn.execute("DELETE FROM docs WHERE collection=? AND key=?", (collection, str(key)))
        return cur.rowcount > 0

    def clear(self, collection: str | None = None) -> None:
        with self._write_lock, self.conn:
            if collection is None:
                self.conn.execute("DELETE FROM docs")
                self.conn.execute("DELETE FROM meta")
            else:
                self.conn.execute("DELETE FROM docs WHERE collection=?", (collection,))

    def _next_seq(self, collection: str) -> int:
        row = self.conn.execute("SELECT MAX(seq) FROM docs WHERE collection=?", (collection,)).fetchone()
        return (row[0] or 0) + 1

    def next_id(self, collection: str, start: int = 1) -> int:
        """Next free numeric id of a collection (for creates)."""
        return max(self._next_seq(collection), start)

    # -- reads --------------------------------------------------------------
    def get(self, collection: str, key: Any) -> dict | None:
        row = self.conn.execute(
            "SELECT doc FROM docs WHERE collection=? AND key=?", (collection, str(key))
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_many_raw(self, collection: str, keys: Iterable[Any]) -> list[str]:
        """Raw JSON of the documents with these keys, in seq order.

        Looked up through the primary-key index and sorted here: with `ORDER BY seq` in SQL
        the planner walks the seq index instead, scanning the whole collection (seconds at 1M).
        """
        keys = [str(k) for k in keys]
        found: list[tuple[int, str]] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found += self.conn.execute(
                f"SELECT seq, doc FROM docs WHERE collection=? AND key IN ({marks})",
                (collection, *chunk),
            ).fetchall()
        found.sort(key=lambda r: r[0])
        return [doc for _, doc in found]

    def get_many(self, collection: str, keys: Iterable[Any]) -> list[dict]:
        return [json.loads(doc) for doc in self.get_many_raw(collection, keys)]

    def count(self, collection: str) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM docs WHERE collection=?", (collection,)).fetchone()[0]

    def all(self, collection: str) -> Iterator[dict]:
        """Every document of a collection in seq order, streamed."""
        cur = self.conn.execute("SELECT doc FROM docs WHERE collection=? ORDER BY seq", (collection,))
        for (doc,) in cur:
            yield json.loads(doc)

    def page_by_ts(
        self,
        collection: str,
        after: tuple[int, int] | None,
        limit: int,
        max_ts: int | None = None,
        raw: bool = False,
    ) -> list[tuple[int, int, Any]]:
        """Documents ordered by (ts, seq) strictly after `after`, up to `max_ts` inclusive."""
        ts0, seq0 = after if after is not None else (-(2**62), -(2**62))
        top = max_ts if max_ts is not None else 2**62
        rows = self.conn.execute(
            "SELECT ts, seq, doc FROM docs WHERE collection=? AND (ts, seq) > (?, ?) AND ts <= ? "
            "ORDER BY ts, seq LIMIT ?",
            (collection, ts0, seq0, top, limit),
        ).fetchall()
        return [(ts, seq, doc if raw else json.loads(doc)) for ts, seq, doc in rows]

    def page_by_seq(self, collection: str, after: int | None, limit: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT doc FROM docs WHERE collection=? AND seq > ? ORDER BY seq LIMIT ?",
            (collection, after if after is not None else -(2**62), limit),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- meta ---------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        with self._write_lock, self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def collections(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT collection, COUNT(*) FROM docs GROUP BY collection").fetchall()
        return dict(rows)


# -- building a whole new store beside the current one ------------------------------
def building_path(path: str | Path) -> Path:
    """Where a replacement for the store at `path` is built (same folder: os.replace is atomic)."""
    path = Path(path)
    return path.with_name(f"{path.name}.building-{os.getpid()}")


def discard(path: str | Path) -> None:
    """Remove a SQLite file and its WAL companions, if there."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def swap_in(built: Store, target: str | Path) -> None:
    """Make the completely built store `built` the store at `target`, in one rename.

    The new file is made self-contained first (WAL folded in), the old file's WAL is folded
    into it and removed, so no stale WAL ever meets the new file. Until the rename, readers
    of `target` see the old state; after it, the new one. `target` must not be open in a
    running sandbox (stop it first).
    """
    target = Path(target)
    conn = built.conn
    conn.execute("PRAGMA journal_mode=DELETE")  # checkpoints and drops the -wal file
    built.close()
    if target.exists():
        old = sqlite3.connect(target, timeout=60)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            old.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(built.path, target)


def rebuild(target: str | Path, fill: Callable[[Store], T]) -> T:
    """Fill a new store beside `target` and swap it in only when `fill` returns.

    If `fill` raises (a refused data folder, an interrupted generation), the half-built
    file is removed and the store at `target` is exactly as it was.
    """
    side_path = building_path(target)
    discard(side_path)
    side = Store(side_path)
    side.conn.execute("PRAGMA synchronous=OFF")  # a crash only loses the side file
    try:
        result = fill(side)
    except BaseException:
        side.close()
        discard(side_path)
        raise
    swap_in(side, target)
    return result
