"""Dialect-aware upserts (SQLite and PostgreSQL `INSERT ... ON CONFLICT DO UPDATE`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

# Rows per executemany call: bounds memory of one call, whatever the caller sends.
_BATCH = 5000


def upsert(
    conn: Connection,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
    update: Sequence[str] | None = None,
) -> int:
    """Insert rows, updating the non-key columns of rows whose key exists. Returns rows sent.

    `keys` default to the primary key; `update` defaults to every other column present
    in the rows. With nothing to update the statement becomes `DO NOTHING`.
    """
    rows = [dict(r) for r in rows]
    if not rows:
        return 0
    keys = list(keys or [c.name for c in table.primary_key.columns])
    columns = list(rows[0].keys())
    update = list(update if update is not None else [c for c in columns if c not in keys])
    dialect = conn.dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - only the two supported warehouses
        raise NotImplementedError(f"upsert: unsupported dialect {dialect!r}")
    stmt = insert(table)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    # executemany: SQLAlchemy batches it ("insertmanyvalues") within each driver's limits.
    for start in range(0, len(rows), _BATCH):
        conn.execute(stmt, rows[start : start + _BATCH])
    return len(rows)
