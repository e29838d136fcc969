"""The project started by `make up` in one mode, in folders, ports and databases of its own.

Why its own: a developer's `make up` (repo `.airflow/` and `data/`, port 8080, sandbox ports
8701-8705) may be running, and so may another test. The Makefile fixes `AIRFLOW_HOME`, the
SQLite metadata DB and the PID folder with `:=`, so those are given on make's command line
(which wins over the Makefile); everything else the scripts read from the environment
(`SANDBOX_DIR`, `SUPPORT_OPS_DATA_DIR`, `SUPPORT_OPS_RUN_DIR`, `SUPPORT_OPS_LOG_DIR`, the
ports, and in the distributed mode the PostgreSQL database names and the Redis database).
`make down` with the same overrides stops exactly what was started.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sandbox.core.config import SERVICES
from sandbox.core.server import free_port

ROOT = Path(__file__).resolve().parents[2]
MODES = {"standalone": None, "celery": "CeleryExecutor"}
# A small generated account keeps the Zendesk extraction (the sandbox enforces the real
# incremental-export rate limit) within the per-mode budget.
SANDBOX_ARGS = "--scale 0.05"
ENV_DROPPED = ("AIRFLOW", "SANDBOX_", "SUPPORT_OPS_", "ZENPY_")


def celery_mode_available() -> bool:
    """The distributed mode exists once scripts/up.sh knows AIRFLOW_EXECUTOR=CeleryExecutor."""
    return "CeleryExecutor" in (ROOT / "scripts/settings.sh").read_text() \
        and "celery worker" in (ROOT / "scripts/up.sh").read_text()


@dataclass
class Project:
    """One `make up`: where it lives and how to reach it."""

    mode: str
    folder: Path
    port: int
    env: dict[str, str]
    make_overrides: list[str]
    databases: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return self.folder / "airflow"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    def make(self, target: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(["make", "-s", target, *self.make_overrides], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def login(self) -> tuple[str, str]:
        """The admin login the simple auth manager generated in this AIRFLOW_HOME."""
        users = json.loads((self.home / "simple_auth_manager_passwords.json.generated").read_text())
        return next(iter(users.items()))

    def token(self) -> str:
        user, password = self.login()
        resp = requests.post(f"{self.base_url}/auth/token", json={"username": user, "password": password},
                             timeout=30)
        resp.raise_for_status()
        return resp.json()["access_token"]

    def logs_tail(self, lines: int = 40) -> str:
        out = []
        for log in sorted(self.log_dir.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)


def prepare(mode: str, folder: Path) -> Project:
    """Folders, free ports and (distributed mode) database names for one run."""
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "airflow"
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(ENV_DROPPED) and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    env.update({
        "AIRFLOW_PORT": str(port),
        "SANDBOX_DIR": str(folder / "sandbox"),
        "SUPPORT_OPS_DATA_DIR": str(folder / "data"),
        "SUPPORT_OPS_RUN_DIR": str(home / "run"),
        "SUPPORT_OPS_LOG_DIR": str(folder / "logs"),
        "SANDBOX_ARGS": SANDBOX_ARGS,
        "SANDBOX_START_TIMEOUT": "300",
        # The log servers of standalone's scheduler and triggerer: not the fixed 8793/8794.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        **{f"SANDBOX_{svc.upper()}_PORT": str(free_port()) for svc in SERVICES},
    })
    databases: list[str] = []
    if MODES[mode]:
        env["AIRFLOW_EXECUTOR"] = MODES[mode]
        tag = secrets.token_hex(3)
        env["SUPPORT_OPS_AIRFLOW_DB"] = f"support_ops_ui_{tag}_airflow"
        env["SUPPORT_OPS_WAREHOUSE_DB"] = f"support_ops_ui_{tag}_warehouse"
        env["SUPPORT_OPS_REDIS_DB"] = str(8 + int(tag, 16) % 8)  # not make up's database 0
        databases = [env["SUPPORT_OPS_AIRFLOW_DB"], env["SUPPORT_OPS_WAREHOUSE_DB"]]
    overrides = [f"AIRFLOW_HOME={home}", f"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///{home}/airflow.db",
                 f"RUN={home / 'run'}"]
    return Project(mode, folder, port, env, overrides, databases)


def _groups(project: Project) -> list[int]:
    groups = []
    for pidfile in project.run_dir.glob("*.pid"):
        try:
            groups.append(int(pidfile.read_text().strip()))
        except ValueError:
            pass
    return groups


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(project: Project) -> list[int]:
    """`make down`; returns the recorded process groups still alive after it (then killed)."""
    groups = _groups(project)
    project.make("down", timeout=180)
    deadline = time.monotonic() + 15
    while any(_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = [g for g in groups if _alive(g)]
    for group in left:  # never leave anything of ours behind, whatever make down did
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for db in project.databases:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c",
                        f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'], capture_output=True, timeout=60)
    return left
