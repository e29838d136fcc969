"""scripts/settings.sh: the mode AIRFLOW_EXECUTOR picks, and the settings each mode derives;
support_ops.hostname: the host name each Celery worker reports on its task instances."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from support_ops.hostname import worker_hostname

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("AIRFLOW_MODE", "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
         "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND", "WAREHOUSE_URL",
         "AIRFLOW__CORE__HOSTNAME_CALLABLE")


def _settings(**env: str) -> tuple[int, dict[str, str], str]:
    script = "source scripts/settings.sh && " + " && ".join(f'echo "{n}=${{{n}:-}}"' for n in NAMES)
    base = {"PATH": "/usr/bin:/bin", "SUPPORT_OPS_DATA_DIR": "/srv/data",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:////srv/airflow.db"}
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return out.returncode, values, out.stderr


def test_standalone_by_default_keeps_sqlite():
    rc, v, _ = _settings()
    assert rc == 0 and v["AIRFLOW_MODE"] == "standalone"
    assert v["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "sqlite:////srv/airflow.db"  # untouched
    assert v["WAREHOUSE_URL"] == "sqlite:////srv/data/warehouse.db"
    assert v["AIRFLOW__CELERY__BROKER_URL"] == "" and v["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == ""


def test_celery_mode_uses_postgres_and_redis_databases_of_its_own():
    rc, v, _ = _settings(AIRFLOW_EXECUTOR="CeleryExecutor", SUPPORT_OPS_AIRFLOW_DB="meta_x",
                         SUPPORT_OPS_WAREHOUSE_DB="wh_x", SUPPORT_OPS_REDIS_DB="3")
    assert rc == 0 and v["AIRFLOW_MODE"] == "celery"
    assert v["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert v["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://postgres@127.0.0.1:5432/meta_x"
    assert v["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://postgres@127.0.0.1:5432/meta_x"
    assert v["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert v["WAREHOUSE_URL"] == "postgresql+psycopg://postgres@127.0.0.1:5432/wh_x"
    assert v["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "support_ops.hostname.worker_hostname"


def test_an_explicit_broker_wins():
    _, v, _ = _settings(AIRFLOW_EXECUTOR="CeleryExecutor", AIRFLOW__CELERY__BROKER_URL="redis://r:1/0")
    assert v["AIRFLOW__CELERY__BROKER_URL"] == "redis://r:1/0"


def test_an_unknown_executor_is_refused_saying_what_to_use():
    rc, _, err = _settings(AIRFLOW_EXECUTOR="KubernetesExecutor")
    assert rc == 1
    assert "AIRFLOW_EXECUTOR=KubernetesExecutor is not a mode of this project" in err
    assert "AIRFLOW_EXECUTOR=CeleryExecutor" in err


def test_the_hostname_callable_is_what_the_task_runner_reports(monkeypatch: pytest.MonkeyPatch):
    from airflow.sdk.api.client import get_hostname  # what a task reports as its host

    _, v, _ = _settings(AIRFLOW_EXECUTOR="CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__CORE__HOSTNAME_CALLABLE", v["AIRFLOW__CORE__HOSTNAME_CALLABLE"])
    monkeypatch.setenv("SUPPORT_OPS_WORKER_HOSTNAME", "worker-2@box")
    assert get_hostname() == "worker-2@box"
    monkeypatch.setenv("SUPPORT_OPS_WORKER_HOSTNAME", " ")
    assert worker_hostname() == socket.getfqdn()  # Airflow's default when unnamed
