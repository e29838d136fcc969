"""`make up` on a chosen port serves the UI with the project's DAGs (REST API), listens on
loopback only, scheduled runs succeed, and `make down` leaves no process of ours running
(scripts/check_up.sh does the checking) — while something else holds port 8080. `make up`
and `make demo` refuse, saying so, when the port they need is taken by something else.

It starts Airflow standalone, so it runs under CI (CI=true) or when SUPPORT_OPS_TEST_UP=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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
