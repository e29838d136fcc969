"""Where the warehouse URL comes from: the standard Airflow connection variable, or the default."""

from __future__ import annotations

import json

import pytest

from support_ops.warehouse.engine import url_from_connection, warehouse_url


def test_airflow_uri_is_mapped_to_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", "postgres://ops:pw@db.example:5433/warehouse")
    assert warehouse_url() == "postgresql+psycopg://ops:pw@db.example:5433/warehouse"


def test_sqlalchemy_url_passes_through(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", "sqlite:////srv/wh.db")
    assert warehouse_url() == "sqlite:////srv/wh.db"


def test_json_connection(monkeypatch):
    conn = {"conn_type": "postgres", "host": "db", "login": "ops", "password": "p@ss", "schema": "wh", "port": 5432}
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", json.dumps(conn))
    assert warehouse_url() == "postgresql+psycopg://ops:p%40ss@db:5432/wh"


def test_extra_sqlalchemy_url_wins():
    assert url_from_connection("generic", extra={"sqlalchemy_url": "sqlite:///x.db"}) == "sqlite:///x.db"


def test_unknown_connection_type_is_a_clear_error():
    with pytest.raises(ValueError, match="sqlalchemy_url"):
        url_from_connection("mysql", host="h")


def test_default_is_a_sqlite_file_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", raising=False)
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    assert warehouse_url() == f"sqlite:///{tmp_path / 'warehouse.db'}"
