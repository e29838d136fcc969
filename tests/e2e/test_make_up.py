"""`make up` serves the UI with the project's DAGs (REST API), scheduled runs succeed, and
`make down` leaves no process of ours running (scripts/check_up.sh does the checking).

It starts Airflow standalone on :8080, so it runs under CI (CI=true) or when
SUPPORT_OPS_TEST_UP=1, and never on top of an Airflow the developer already runs.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WANTED = os.environ.get("CI", "").lower() == "true" or os.environ.get("SUPPORT_OPS_TEST_UP") == "1"


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not WANTED, reason="starts Airflow on :8080; runs under CI or SUPPORT_OPS_TEST_UP=1")
def test_make_up_then_make_down():
    if _port_busy(8080):
        pytest.fail("port 8080 is already in use: stop that Airflow (make down) and rerun")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "SANDBOX_", "SUPPORT_OPS_", "ZENPY_"))
           and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    out = subprocess.run(["make", "-s", "check-up"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=900)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    assert "scheduled runs succeeded" in text
    assert "make down left no process of ours running" in text
    assert not _port_busy(8080)
