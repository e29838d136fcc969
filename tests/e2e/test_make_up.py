"""`make up` on a chosen port serves the UI with the project's DAGs (REST API), listens on
loopback only, scheduled runs succeed, and `make down` leaves no process of ours running
(scripts/check_up.sh does the checking) — while something else holds port 8080. `make up`
and `make demo` refuse, saying so, when the port they need is taken by something else.

The distributed mode (AIRFLOW_EXECUTOR=CeleryExecutor): `make check-up` on fresh PostgreSQL
databases of its own, every DAG's runs succeed on the two Celery workers — which the test reads
back from the metadata database — and `make down` leaves nothing running; `make up` says what
it needs when PostgreSQL or Redis does not answer.

It starts Airflow, so it runs under CI (CI=true) or when SUPPORT_OPS_TEST_UP=1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
WANTED = os.environ.get("CI", "").lower() == "true" or os.environ.get("SUPPORT_OPS_TEST_UP") == "1"
PORT = 8093
pytestmark = pytest.mark.skipif(
    not WANTED, reason="starts Airflow standalone; runs under CI or SUPPORT_OPS_TEST_UP=1")


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "SANDBOX_", "SUPPORT_OPS_", "ZENPY_"))
           and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    return {**env, **extra}


@pytest.fixture
def other_8080() -> Iterator[socket.socket]:
    """Something that is not Airflow listening on 127.0.0.1:8080."""
    if _port_busy(8080):
        pytest.fail("port 8080 is already in use: stop whatever runs there (make down) and rerun")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 8080))
        s.listen()
        yield s


def test_make_up_and_demo_refuse_a_port_taken_by_something_else(other_8080):
    for target in ("up", "demo"):
        out = subprocess.run(["make", "-s", target], cwd=ROOT, env=_env(), capture_output=True,
                             text=True, timeout=600)
        text = out.stdout + out.stderr
        assert out.returncode != 0, text[-3000:]
        assert "port 8080 (127.0.0.1) is already in use by a program this project did not start" \
            in text, text[-3000:]
        assert f"AIRFLOW_PORT=8093 make {target}" in text
        assert not (ROOT / ".airflow/run/airflow.pid").exists()
        assert not (ROOT / ".airflow/run/sandbox.pid").exists()  # nothing was started


def test_check_up_on_another_port_while_8080_is_taken(other_8080):
    if _port_busy(PORT):
        pytest.fail(f"port {PORT} is already in use: stop whatever runs there and rerun")
    out = subprocess.run(["make", "-s", "check-up"], cwd=ROOT, env=_env(AIRFLOW_PORT=str(PORT)),
                         capture_output=True, text=True, timeout=1200)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    assert f"check-up: Airflow listens on 127.0.0.1:{PORT}" in text  # loopback only
    assert f"http://127.0.0.1:{PORT}" in text
    assert "scheduled runs succeeded" in text
    assert "make down left no process of ours running" in text
    assert not _port_busy(PORT)


# The distributed mode, on databases and a Redis database number of its own.
CELERY_PORT = 8094
E2E_DBS = {"SUPPORT_OPS_AIRFLOW_DB": "support_ops_e2e_airflow",
           "SUPPORT_OPS_WAREHOUSE_DB": "support_ops_e2e_warehouse"}
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_DB = "3"


def _celery_env(**extra: str) -> dict[str, str]:
    return _env(AIRFLOW_EXECUTOR="CeleryExecutor", AIRFLOW_PORT=str(CELERY_PORT),
                SUPPORT_OPS_REDIS_DB=REDIS_DB, **E2E_DBS, **extra)


def _drop_e2e_databases() -> None:
    engine = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in E2E_DBS.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _empty_broker() -> None:
    """The test's Redis database: no task message left by an earlier, interrupted run."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=int(REDIS_DB), socket_timeout=10)
    client.flushdb()
    client.close()


@pytest.fixture
def fresh_databases() -> Iterator[None]:
    """The distributed mode's metadata DB and warehouse (created by `make up`) and its broker
    database start empty, and are dropped and emptied after."""
    _drop_e2e_databases()
    _empty_broker()
    yield
    _drop_e2e_databases()
    _empty_broker()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_distributed_mode_says_what_it_needs_when_postgres_or_redis_is_absent():
    port = _free_port()
    out = subprocess.run(["make", "-s", "up"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=_celery_env(SUPPORT_OPS_PG_PORT=str(port)))
    assert out.returncode != 0
    assert f"PostgreSQL does not answer on 127.0.0.1:{port}" in out.stderr, out.stderr[-2000:]
    out = subprocess.run(["make", "-s", "up"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=_celery_env(SUPPORT_OPS_REDIS_HOST="127.0.0.2", SUPPORT_OPS_REDIS_PORT=str(port)))
    assert out.returncode != 0
    assert f"Redis does not answer on 127.0.0.2:{port}" in out.stderr, out.stderr[-2000:]
    assert not list((ROOT / ".airflow/run").glob("*.pid"))  # nothing was started


def test_check_up_in_the_distributed_mode_runs_every_dag_on_the_celery_workers(fresh_databases):
    if _port_busy(CELERY_PORT):
        pytest.fail(f"port {CELERY_PORT} is already in use: stop whatever runs there and rerun")
    out = subprocess.run(["make", "-s", "check-up"], cwd=ROOT, env=_celery_env(),
                         capture_output=True, text=True, timeout=1200)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-6000:]
    assert "distributed mode: CeleryExecutor" in text
    assert f"check-up: Airflow listens on 127.0.0.1:{CELERY_PORT}" in text
    assert "scheduled runs succeeded on the Celery workers" in text
    assert "reports written on the workers are served" in text
    assert "make down left no process of ours running" in text
    assert not _port_busy(CELERY_PORT)

    # Read back from the metadata database which host ran each task: a Celery worker, always.
    engine = sa.create_engine(f"{PG}/{E2E_DBS['SUPPORT_OPS_AIRFLOW_DB']}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT dag_id, hostname, count(*) AS n FROM task_instance WHERE state = 'success' "
            "GROUP BY dag_id, hostname")).all()
    engine.dispose()
    node = socket.gethostname()
    hosts = {r.hostname for r in rows}
    assert hosts <= {f"worker-1@{node}", f"worker-2@{node}"}, hosts
    manual = re.search(r"manual-only DAGs \(no schedule, not run\): (.*)", text)
    manual_only = set(manual.group(1).split(", ")) if manual else set()
    dags = sorted(p.stem for p in (ROOT / "dags").glob("*.py")
                  if not p.name.startswith("_") and p.stem not in manual_only)
    assert sorted({r.dag_id for r in rows}) == dags  # every scheduled DAG ran, all on the workers
    per_worker = re.search(r"task instances per Celery worker \(metadata DB\): (.*)", text)
    assert per_worker, text[-3000:]
    print(f"tasks per Celery worker: {per_worker.group(1)}")
