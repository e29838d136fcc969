"""Building the warehouse engine from the Airflow connection `support_warehouse`.

Resolution order: the standard `AIRFLOW_CONN_SUPPORT_WAREHOUSE` variable (a
SQLAlchemy URL, an Airflow URI or Airflow's JSON form), then the connection in
Airflow's metadata database when Airflow is importable, then the embedded
default: a SQLite file in the project's data folder.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from ..config import WAREHOUSE_CONN_ID, settings

log = logging.getLogger(__name__)

_SCHEMES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "sqlite": "sqlite",
}


def url_from_connection(
    conn_type: str | None,
    host: str | None = None,
    login: str | None = None,
    password: str | None = None,
    schema: str | None = None,
    port: int | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """A SQLAlchemy URL from the fields of an Airflow connection."""
    extra = extra or {}
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    kind = (conn_type or "").lower()
    if kind == "sqlite":
        return f"sqlite:///{host or schema}"
    if kind in ("postgres", "postgresql"):
        return URL.create(
            "postgresql+psycopg", username=login, password=password, host=host or "127.0.0.1",
            port=port, database=schema or "postgres",
        ).render_as_string(hide_password=False)
    raise ValueError(
        f"Connection {WAREHOUSE_CONN_ID!r} has type {conn_type!r}: use 'postgres', 'sqlite', "
        "or put a SQLAlchemy URL in its extra as {\"sqlalchemy_url\": ...}"
    )


def _from_env(value: str) -> str:
    value = value.strip()
    if value.startswith("{"):
        d = json.loads(value)
        extra = d.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra else {}
        return url_from_connection(
            d.get("conn_type"), d.get("host"), d.get("login"), d.get("password"),
            d.get("schema"), d.get("port"), extra,
        )
    scheme, _, rest = value.partition("://")
    base, _, driver = scheme.partition("+")
    if driver:  # already a SQLAlchemy URL with a driver
        return value
    if base in _SCHEMES:
        return f"{_SCHEMES[base]}://{rest}"
    return value


def warehouse_url() -> str:
    """The warehouse's SQLAlchemy URL (see module docstring for the order)."""
    env = os.environ.get(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}")
    if env:
        return _from_env(env)
    try:
        from airflow.sdk import BaseHook
    except ImportError:  # plain Python use without Airflow
        BaseHook = None  # noqa: N806
    if BaseHook is not None:
        try:
            conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
        except Exception:  # noqa: BLE001 - not defined: fall back to the embedded default
            conn = None
        if conn is not None:
            return url_from_connection(
                conn.conn_type, conn.host, conn.login, conn.password, conn.schema, conn.port,
                conn.extra_dejson,
            )
    path = settings().warehouse_file
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _json_dumps(value: Any) -> str:
    """JSON columns (raw records) are written a lot: msgspec is several times faster than json."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec comes with Airflow
        return json.dumps(value)
    return msgspec.json.encode(value).decode()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    log.info("warehouse: %s", make_url(url).render_as_string(hide_password=True))
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The (cached) engine for `url`, or for the configured warehouse."""
    return _engine_for(url or warehouse_url())
