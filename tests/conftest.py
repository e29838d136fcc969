"""Shared fixtures: a real sandbox on loopback, and warehouses on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import tempfile

# Airflow reads its settings at import: give the test session its own home and metadata DB,
# with the project's DAG and plugin folders, before anything imports airflow.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="support-ops-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(_ROOT, "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = os.path.join(_ROOT, "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ["SUPPORT_OPS_DATA_DIR"] = os.path.join(_AIRFLOW_HOME, "data")
os.environ.pop("AIRFLOW_CONN_SUPPORT_WAREHOUSE", None)

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.core.server import Sandbox
from sandbox.testing import SandboxFactory, use_sandbox

# Fixtures of the warehouse live in their own module to keep this one readable.
pytest_plugins = ["tests.fixtures_warehouse"]


# The sandbox fixtures, built from sandbox.testing (sandbox/tests/conftest.py uses the same).
@pytest.fixture(scope="session")
def sandbox_factory(tmp_path_factory) -> Iterator[SandboxFactory]:
    """Start sandboxes: `factory(populate=fn(store, cfg) | "generate" | None, **config)`.

    Each sandbox carries `.env`, the client environment (CA bundle, zenpy netloc,
    AIRFLOW_CONN_*) to apply with `use_sandbox(monkeypatch, sb)`.
    """
    factory = SandboxFactory(tmp_path_factory.mktemp)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def sandbox(sandbox_factory) -> Sandbox:
    """One shared sandbox with the generated organization at test scale. Do not write to it
    in ways other tests would notice; start your own with `sandbox_factory` for that."""
    return sandbox_factory(populate="generate")


@pytest.fixture
def sandbox_env(monkeypatch, sandbox) -> Sandbox:
    """The shared sandbox with this test's environment pointed at it."""
    return use_sandbox(monkeypatch, sandbox)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say plainly whether the warehouse tests ran on PostgreSQL."""
    passed = [r for r in terminalreporter.stats.get("passed", []) if "[postgres" in r.nodeid]
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "[postgres" in r.nodeid]
    terminalreporter.write_sep("-", "warehouse backends")
    terminalreporter.write_line(
        f"PostgreSQL variants: {len(passed)} passed, {len(skipped)} skipped"
        + ("  (NOTICE: no PostgreSQL server; run with one, as CI does)" if skipped and not passed else "")
    )


# -- the fast loop: `make test-fast` runs `pytest -m "not slow"` ------------------------------
# Slow by where they live: whole DAG runs, browsers, real client libraries against a sandbox.
SLOW_DIRS = frozenset({"e2e", "browser", "integration"})
# Slow by what they need: a running sandbox, a PostgreSQL database, Airflow's metadata DB.
# `org` is the sandbox generator's full-size organization (6,000 tickets, several seconds).
SLOW_FIXTURES = frozenset({"sandbox", "sandbox_factory", "sandbox_env", "pg_server", "airflow_db", "org"})
# Unit tests measured at several seconds each (node-id prefixes, relative to the project).
SLOW_NODES = (
    "tests/unit/test_kpis_properties.py",  # property checks over generated tickets
    "tests/unit/test_integrity_gx.py",  # imports and runs Great Expectations
    "tests/dags/test_dag_integrity.py::test_dag_file_parses_without_heavy_imports",  # a fresh interpreter each
    "tests/unit/test_cli.py::test_outside_the_project_environment_no_home_airflow_is_created",  # 4 CLI processes
    "tests/unit/test_schedules.py::test_the_dag_uses_it_and_it_survives_serialization",  # a DagBag
    "tests/unit/test_docker_compose.py::test_the_requirements_cover_what_the_code_imports",  # scans the venv
    "tests/unit/test_docker_compose.py::test_every_command_exists",  # runs the airflow CLI
)


def pytest_ignore_collect(collection_path, config):
    """With `-m "not slow"`, slow folders and wholly slow modules are not even imported (same
    result, faster: importing hypothesis alone takes seconds)."""
    if (config.option.markexpr or "").strip() == "not slow":
        tests_dir = Path(__file__).resolve().parent
        if collection_path.parent == tests_dir and collection_path.name in SLOW_DIRS:
            return True
        try:
            rel = Path(collection_path).resolve().relative_to(tests_dir.parent).as_posix()
        except ValueError:
            return None
        if rel in SLOW_NODES:
            return True
    return None


def pytest_collection_modifyitems(config, items):
    """Mark slow tests `slow` (see SLOW_*), so the fast loop can leave them out.

    The SQLite variant of a warehouse test stays in the fast loop; its PostgreSQL variant
    (marked `postgres`) is slow."""
    tests_dir = Path(__file__).resolve().parent
    slow = pytest.mark.slow
    for item in items:
        try:
            parts = Path(item.path).resolve().relative_to(tests_dir).parts
        except ValueError:
            parts = ()
        if (
            (parts and parts[0] in SLOW_DIRS)
            or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
            or item.get_closest_marker("postgres") is not None
            or item.nodeid.startswith(SLOW_NODES)
        ):
            item.add_marker(slow)
