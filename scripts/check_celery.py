"""make check-up, distributed mode: every DAG's runs succeed on the Celery workers.

Run by scripts/check_up.sh after the common checks, with `make up` running in the distributed
mode. DAGs scheduled now or on Assets must reach success by themselves; a DAG whose first
scheduled slot is later than the check's deadline (the organization sync, Mon/Wed/Fri 06:00)
is triggered through the REST API once the others have succeeded. Then the metadata database
says which host ran each task: every successful task instance must name one of the Celery
workers (scripts/up.sh gives each its own name). The reports the workers wrote must be served
by the API server's plugin.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import socket
import sys
import time
import urllib.request
from collections import Counter

import sqlalchemy as sa

BASE = os.environ["AIRFLOW_URL"]
TIMEOUT = float(os.environ.get("SUPPORT_OPS_CHECK_TIMEOUT", "600"))
HOME = pathlib.Path(os.environ["AIRFLOW_HOME"])
NODE = socket.gethostname()
WORKERS = {f"worker-{i}@{NODE}" for i in range(1, int(os.environ["SUPPORT_OPS_CELERY_WORKERS"]) + 1)}


def _token() -> str:
    users = json.loads((HOME / "simple_auth_manager_passwords.json.generated").read_text())
    user, password = next(iter(users.items()))
    req = urllib.request.Request(f"{BASE}/auth/token", method="POST",
                                 data=json.dumps({"username": user, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))["access_token"]


AUTH = {"Authorization": f"Bearer {_token()}", "Content-Type": "application/json"}


def api(path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{BASE}/api/v2/{path}", data=data, headers=AUTH,
                                 method="POST" if body is not None else "GET")
    return json.load(urllib.request.urlopen(req, timeout=90))


def latest_run(dag_id: str) -> dict | None:
    runs = api(f"dags/{dag_id}/dagRuns?order_by=-run_after&limit=1")["dag_runs"]
    return runs[0] if runs else None


def failed_tasks(dag_id: str, run_id: str) -> list[str]:
    tis = api(f"dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
    return [f"{t['task_id']}={t['state']}" for t in tis if t["state"] not in ("success", "skipped")]


def wait_for_success(dag_ids: list[str], deadline: float) -> None:
    """Each DAG's latest run reaches success. A failed run is not the end: a DAG triggered
    by an Asset before all its inputs were there fails and runs again on the next event."""
    states: dict[str, str | None] = dict.fromkeys(dag_ids)
    runs: dict[str, dict | None] = dict.fromkeys(dag_ids)
    while True:
        for dag_id in dag_ids:
            if states[dag_id] != "success":
                runs[dag_id] = latest_run(dag_id)
                states[dag_id] = runs[dag_id]["state"] if runs[dag_id] else None
        if all(s == "success" for s in states.values()) or time.time() > deadline:
            break
        time.sleep(5)
    if not all(s == "success" for s in states.values()):
        detail = {d: failed_tasks(d, r["dag_run_id"]) for d, r in runs.items() if r and r["state"] == "failed"}
        sys.exit(f"check-up: runs did not succeed within {TIMEOUT:.0f} s: {states}; failed tasks: {detail}")


def main() -> None:
    deadline = time.time() + TIMEOUT
    dags = sorted(d["dag_id"] for d in api("dags?limit=100")["dags"])
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=TIMEOUT)
    scheduled, later, manual = [], [], []
    for dag_id in dags:
        details = api(f"dags/{dag_id}/details")
        next_run = details.get("next_dagrun_run_after")
        due = next_run is not None and dt.datetime.fromisoformat(next_run) <= soon
        if details.get("asset_expression") or due or latest_run(dag_id):
            scheduled.append(dag_id)
        elif next_run is None:  # no schedule: runs only when a person triggers it with its Params
            manual.append(dag_id)
        else:
            later.append((dag_id, next_run))
    if manual:
        print(f"check-up: manual-only DAGs (no schedule, not run): {', '.join(manual)}")
    wait_for_success(scheduled, deadline)
    print(f"check-up: scheduled runs succeeded on the Celery workers: {', '.join(scheduled)}")
    for dag_id, next_run in later:
        api(f"dags/{dag_id}/dagRuns", {"logical_date": None, "note": "make check-up"})
        print(f"check-up: {dag_id} triggered (its first scheduled slot is {next_run})")
    if later:
        wait_for_success([d for d, _ in later], deadline)
        print(f"check-up: triggered runs succeeded: {', '.join(d for d, _ in later)}")

    # Who ran what, from the metadata database itself.
    engine = sa.create_engine(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT ti.dag_id, ti.task_id, ti.hostname FROM task_instance ti "
            "JOIN dag_run dr ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            "WHERE dr.state = 'success' AND ti.state = 'success'")).all()
    engine.dispose()
    dags = [d for d in dags if d not in manual]
    by_dag = {dag_id: {r.hostname for r in rows if r.dag_id == dag_id} for dag_id in dags}
    missing = [d for d, hosts in by_dag.items() if not hosts]
    assert not missing, f"no successful task instance recorded for {missing}"
    strangers = sorted({f"{r.dag_id}.{r.task_id}@{r.hostname}" for r in rows if r.hostname not in WORKERS})
    assert not strangers, f"tasks not run by a Celery worker ({sorted(WORKERS)}): {strangers[:10]}"
    used = Counter(r.hostname for r in rows)
    print("check-up: task instances per Celery worker (metadata DB): "
          + ", ".join(f"{host}={used.get(host, 0)}" for host in sorted(WORKERS)))
    for dag_id in dags:
        print(f"    {dag_id}: {', '.join(sorted(by_dag[dag_id]))}")

    # The reports the workers wrote, served by the API server's plugin.
    for page in ("kpis/latest/", "integrity/latest/"):
        req = urllib.request.Request(f"{BASE}/support-ops/reports/{page}", headers=AUTH)
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and b"<html" in resp.read(2000).lower(), page
    print("check-up: reports written on the workers are served: kpis/latest/, integrity/latest/")


if __name__ == "__main__":
    main()
