"""The sandbox's own test fixtures: real sandboxes on free loopback ports (sandbox.testing).

Some tests drive the sandbox through Airflow's provider hooks, the clients the product
uses; Airflow reads its settings at import, so a session run from here gets a throwaway
Airflow home first (a run of the whole suite has one already, from tests/conftest.py).
"""

from __future__ import annotations

import os
import tempfile

if "AIRFLOW_HOME" not in os.environ:
    _AIRFLOW_HOME = tempfile.mkdtemp(prefix="sandbox-tests-airflow-")
    os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from sandbox.core.server import Sandbox  # noqa: E402
from sandbox.testing import SandboxFactory, use_sandbox  # noqa: E402

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def sandbox_factory(tmp_path_factory) -> Iterator[SandboxFactory]:
    """Start sandboxes: `factory(populate=fn(store, cfg) | "generate" | None, **config)`."""
    factory = SandboxFactory(tmp_path_factory.mktemp)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def sandbox(sandbox_factory) -> Sandbox:
    """One shared sandbox with the generated organization at test scale; start your own with
    `sandbox_factory` to write to it."""
    return sandbox_factory(populate="generate")


@pytest.fixture
def sandbox_env(monkeypatch, sandbox) -> Sandbox:
    """The shared sandbox with this test's environment pointed at it."""
    return use_sandbox(monkeypatch, sandbox)


def pytest_ignore_collect(collection_path, config):
    """With `-m "not slow"` (`make test-fast`), the integration folder is not even imported."""
    if (config.option.markexpr or "").strip() == "not slow" and Path(collection_path) == HERE / "integration":
        return True
    return None


def pytest_collection_modifyitems(config, items):
    """Tests under integration/ (real servers, real client libraries) are `slow`."""
    for item in items:
        if (HERE / "integration") in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)
