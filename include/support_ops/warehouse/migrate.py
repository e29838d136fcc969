"""Applying the Alembic migrations programmatically (no alembic.ini needed), once, under a lock.

Every task brings the warehouse to head when it starts, so on a fresh warehouse several tasks
would otherwise create the same tables at once and all but one fail. Migrations therefore run
under a lock held for the whole upgrade: a PostgreSQL advisory lock (released by the server if
the process dies), or an exclusive file lock beside a SQLite database file. A task that finds
the lock taken waits, then sees the warehouse already at head and goes on. A warehouse already
at head is recognised without taking the lock.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# pg_advisory_lock key of the warehouse migrations (any fixed 64-bit number; "supp_ops").
ADVISORY_LOCK_KEY = 0x73757070_5F6F7073


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the warehouse's migration lock (waiting for it) for the duration of the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield  # one process owns an in-memory database; other dialects: no lock here
        return
    import fcntl

    path = Path(database).with_name(Path(database).name + ".migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released on close, or by the OS if the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the warehouse to `revision` (once, under the lock); returns the revision now applied."""
    target = head_revision() if revision == "head" else revision
    before = current_revision(engine)
    if before == target:
        return before
    with migration_lock(engine):
        before = current_revision(engine)  # another task may have migrated while we waited
        if before != target:
            command.upgrade(alembic_config(engine), revision)
    after = current_revision(engine)
    if before != after:
        log.info("warehouse migrated: %s -> %s", before or "empty", after)
    return after or ""


def downgrade(engine: Engine, revision: str = "base") -> None:
    with migration_lock(engine):
        command.downgrade(alembic_config(engine), revision)
