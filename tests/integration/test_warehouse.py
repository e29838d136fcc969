"""The warehouse on SQLite and PostgreSQL: migrations, schema drift, upserts."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from support_ops.extract.tables import extract_state
from support_ops.kpis.tables import csat_kpis
from support_ops.warehouse import upsert
from support_ops.warehouse.migrate import current_revision, downgrade, head_revision, upgrade
from support_ops.warehouse.registry import load_all

metadata = load_all()  # every capability's tables, as Alembic sees them

CONTRACT = {
    "csat_kpis": {"period_type", "period_start", "segment_type", "segment_value", "solved", "surveyed",
                  "responded", "good", "bad", "csat", "response_rate", "coverage"},
    "csat_unsurveyed": {"period_type", "period_start", "reason", "tickets"},
    "csat_bad_reasons": {"period_type", "period_start", "reason", "route", "ratings"},
    "integrity_findings": {"run_date", "check_name", "entity_type", "entity_id", "details", "first_seen"},
}


def test_migrations_create_the_contract_tables(warehouse):
    insp = inspect(warehouse)
    tables = set(insp.get_table_names())
    assert {"extract_state", "quarantine", "warehouse_heartbeat", *CONTRACT} <= tables
    for table, columns in CONTRACT.items():
        assert {c["name"] for c in insp.get_columns(table)} == columns, table
    assert current_revision(warehouse) == head_revision()


def test_migrations_match_the_schema_module(warehouse):
    """No drift: the migrations build exactly what every capability's tables.py declares."""
    with warehouse.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(warehouse):
    downgrade(warehouse, "base")
    assert "csat_kpis" not in inspect(warehouse).get_table_names()
    upgrade(warehouse)
    assert "csat_kpis" in inspect(warehouse).get_table_names()


def _kpi(week: int, solved: int, csat: float | None) -> dict:
    return {
        "period_type": "week", "period_start": dt.date(2026, 1, 5) + dt.timedelta(weeks=week),
        "segment_type": "all", "segment_value": "all", "solved": solved, "surveyed": solved,
        "responded": 0, "good": 0, "bad": 0, "csat": csat, "response_rate": None, "coverage": 1.0,
    }


def test_upsert_inserts_then_updates_by_primary_key(warehouse):
    with warehouse.begin() as conn:
        assert upsert(conn, csat_kpis, [_kpi(0, 10, 0.9), _kpi(1, 20, None)]) == 2
    with warehouse.begin() as conn:
        upsert(conn, csat_kpis, [_kpi(1, 25, 0.5), _kpi(2, 30, 1.0)])
    with warehouse.connect() as conn:
        rows = conn.execute(select(csat_kpis.c.period_start, csat_kpis.c.solved, csat_kpis.c.csat)
                            .order_by(csat_kpis.c.period_start)).all()
    assert [(r.solved, r.csat) for r in rows] == [(10, 0.9), (25, 0.5), (30, 1.0)]


def test_upsert_is_idempotent_and_chunks_large_batches(warehouse):
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    rows = [{"stream": f"s{i}", "cursor": str(i), "records": i, "updated_at": now} for i in range(9000)]
    for _ in range(2):
        with warehouse.begin() as conn:
            upsert(conn, extract_state, rows)
    with warehouse.connect() as conn:
        assert conn.execute(select(func.count()).select_from(extract_state)).scalar() == 9000
        assert conn.execute(select(func.sum(extract_state.c.records))).scalar() == sum(range(9000))


def test_upsert_with_nothing_to_update_keeps_existing_rows(warehouse):
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with warehouse.begin() as conn:
        upsert(conn, extract_state, [{"stream": "a", "cursor": "1", "records": 1, "updated_at": now}])
        upsert(conn, extract_state, [{"stream": "a", "cursor": "2", "records": 2, "updated_at": now}], update=[])
    with warehouse.connect() as conn:
        assert conn.execute(select(extract_state.c.cursor)).scalar() == "1"


_TASK = """
import os, sys, time, datetime as dt
go = sys.argv[1]
from support_ops.extract.tasks import ready_warehouse
from support_ops.warehouse import upsert
from support_ops.extract.tables import extract_state
open(go + "." + sys.argv[2], "w").close()  # imported, ready
while not os.path.exists(go):  # every task starts at the same moment
    time.sleep(0.005)
engine = ready_warehouse()
with engine.begin() as conn:
    upsert(conn, extract_state, [{"stream": "task-" + sys.argv[2], "cursor": None, "records": 0,
                                  "updated_at": dt.datetime.now(dt.UTC)}])
print("ok")
"""


def test_tasks_starting_together_on_a_fresh_warehouse_all_succeed(warehouse_url, tmp_path):
    """Each task migrates the warehouse when it starts: on a fresh one, the migrations run once
    under a lock and the other tasks wait for them instead of racing (and failing)."""
    import os
    import subprocess
    import sys

    go = tmp_path / "go"
    env = {**os.environ, "AIRFLOW_CONN_SUPPORT_WAREHOUSE": warehouse_url}
    procs = [subprocess.Popen([sys.executable, "-c", _TASK, str(go), str(i)], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(3)]
    # Once every process has finished importing, release them all at once.
    import time

    while not all((tmp_path / f"go.{i}").exists() for i in range(3)) and all(p.poll() is None for p in procs):
        time.sleep(0.01)
    go.write_text("go")
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0 and out.strip().endswith("ok"), err[-2000:]
    from support_ops.warehouse import get_engine

    engine = get_engine(warehouse_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        streams = set(conn.execute(select(extract_state.c.stream)).scalars())
    assert streams == {"task-0", "task-1", "task-2"}
    engine.dispose()
