"""Warehouse fixtures: every warehouse test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from SUPPORT_OPS_TEST_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
each test session creates a throwaway database and drops it afterwards. Without a server the
PostgreSQL variants are skipped with a visible notice, except under CI (CI=true), where a missing
server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "SUPPORT_OPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin URL of a reachable PostgreSQL server (skip, or fail under CI, if none)."""
    problem = _pg_available()
    if problem:
        msg = f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires the PostgreSQL warehouse tests: " + msg)
        pytest.skip("NOTICE: PostgreSQL warehouse tests skipped: " + msg)
    yield PG_ADMIN_URL


def _throwaway_pg(admin_url: str) -> tuple[str, callable]:
    name = f"support_ops_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> Iterator[str]:
    """An empty warehouse: a SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.db'}"
        return
    admin = request.getfixturevalue("pg_server")
    url, drop = _throwaway_pg(admin)
    try:
        yield url
    finally:
        from support_ops.warehouse.engine import _engine_for

        _engine_for.cache_clear()
        drop()


@pytest.fixture
def warehouse(warehouse_url, monkeypatch) -> Iterator[Engine]:
    """A migrated warehouse engine, also set as AIRFLOW_CONN_SUPPORT_WAREHOUSE for the test."""
    from support_ops.warehouse import get_engine, upgrade

    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", warehouse_url)
    engine = get_engine(warehouse_url)
    upgrade(engine)
    yield engine
    engine.dispose()
