"""docker-compose.yaml is valid against the compose-spec JSON schema (no Docker engine here)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yaml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init"}


def _schema() -> dict:
    ref = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(ref.read_text())


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_spec():
    jsonschema.validate(_compose(), _schema())


def test_schema_catches_a_broken_file():
    broken = _compose()
    broken["services"]["postgres"]["ports"] = {"5432": 5432}  # ports is a list
    broken["volumes"] = ["postgres-db-volume"]  # volumes is a mapping
    errors = list(jsonschema.Draft7Validator(_schema()).iter_errors(broken))
    assert sorted(e.json_path for e in errors) == ["$.services.postgres.ports", "$.volumes"]


def test_airflow3_shape_with_celery_postgres_and_redis():
    services = _compose()["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis"} <= set(services)
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        mounts = {v.split(":")[1] for v in services[name]["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/project/include"} <= mounts
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-dag-processor"]["command"] == "dag-processor"
