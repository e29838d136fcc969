"""How make demo / make up start the sandbox (scripts/common.sh `start_sandbox`): a refused
data folder is reported as soon as the sandbox exits, a port held by something else is
refused, and SANDBOX_DATA is refused while a sandbox started earlier is running."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from sandbox.core.config import SERVICES
from sandbox.core.server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shell(tmp_path):
    """Run `start_sandbox` (or any common.sh function) with its own folders and free ports."""
    ports = {svc: free_port() for svc in SERVICES}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "AIRFLOW_"))}
    env.update({f"SANDBOX_{svc.upper()}_PORT": str(port) for svc, port in ports.items()})
    env.update(SANDBOX_DIR=str(tmp_path / "sb"), SUPPORT_OPS_RUN_DIR=str(tmp_path / "run"),
               SUPPORT_OPS_LOG_DIR=str(tmp_path / "logs"), SANDBOX_START_TIMEOUT="3600",
               SANDBOX_ARGS="--scale 0.02 --now 2026-11-20T12:00:00Z")

    def run(script: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", f"source scripts/common.sh; {script}"], cwd=ROOT,
                              env={**env, **extra}, capture_output=True, text=True,
                              timeout=timeout)

    run.ports = ports
    yield run
    run("scripts/stop_pidfile.sh \"$RUN/sandbox.pid\" sandbox")


def test_a_refused_folder_is_reported_when_the_sandbox_exits(shell, tmp_path):
    bad = tmp_path / "bad" / "zendesk"
    bad.mkdir(parents=True)
    (bad / "tickets.json").write_text('[{"id": 9223372036854775808, "status": "open"}]')
    # The wait allows an hour; the subprocess timeout is far shorter, so only an early exit passes.
    out = shell("start_sandbox", timeout=240, SANDBOX_DATA=str(bad.parent))
    assert out.returncode != 0
    assert "sandbox failed to start" in out.stderr
    assert "zendesk/tickets.json: record 0: field 'id'" in out.stderr and "2^63" in out.stderr
    assert not (tmp_path / "run" / "sandbox.pid").exists()


def test_a_port_held_by_something_else_is_refused(shell):
    with socket.socket() as s:
        s.bind(("127.0.0.1", shell.ports["gitlab"]))
        s.listen()
        out = shell("start_sandbox")
    assert out.returncode != 0
    assert f"gitlab (127.0.0.1:{shell.ports['gitlab']})" in out.stderr
    assert "already in use" in out.stderr


def test_sandbox_data_is_refused_while_an_earlier_sandbox_runs(shell, tmp_path):
    first = shell("start_sandbox")
    assert first.returncode == 0 and first.stdout.strip() == "started", first.stderr
    again = shell("start_sandbox")
    assert again.returncode == 0 and again.stdout.strip() == "running"
    folder = tmp_path / "data"
    folder.mkdir()
    refused = shell("start_sandbox", SANDBOX_DATA=str(folder))
    assert refused.returncode != 0
    assert f"SANDBOX_DATA={folder} is set, but a sandbox started earlier" in refused.stderr
    state = json.loads(shell("\"$BIN/sandbox\" stats").stdout)
    assert all("error" not in state[svc] for svc in SERVICES)  # the first one still serves
