#!/usr/bin/env bash
# make check-up: `make up`, then prove it through the REST API (health, the project's DAGs,
# no import errors, the reports page) on AIRFLOW_PORT, that it listens on AIRFLOW_HOST only
# (loopback by default), then `make down` and check nothing of ours still runs.
# AIRFLOW_EXECUTOR=CeleryExecutor: the distributed mode, and scripts/check_celery.py on top
# (every DAG succeeds on the Celery workers, per the metadata database).
source "$(dirname "$0")/common.sh"
cd "$ROOT"
fail() { echo "check-up FAILED: $*" >&2; make -s down > /dev/null 2>&1 || true; exit 1; }

make -s up || fail "make up"
"$BIN/python" - <<'PY' || fail "REST API checks"
import json, os, pathlib, urllib.request

base = os.environ["AIRFLOW_URL"]
port, host = int(os.environ["AIRFLOW_PORT"]), os.environ["AIRFLOW_HOST"]
# Who listens on the port, from the kernel's socket table: the bound address, not a guess.
listening = set()
for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
    local, state = line.split()[1], line.split()[3]
    addr, hexport = local.split(":")
    if state == "0A" and int(hexport, 16) == port:  # 0A = LISTEN
        listening.add(".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0)))
want_addr = "0.0.0.0" if host in ("0.0.0.0", "") else host
assert want_addr in listening, f"nothing of ours listens on {host}:{port} (found {listening})"
if want_addr != "0.0.0.0":
    assert "0.0.0.0" not in listening, f"Airflow listens on every interface, not only {host}"
print(f"check-up: Airflow listens on {', '.join(sorted(listening))}:{port}")
home = pathlib.Path(os.environ["AIRFLOW_HOME"])
health = json.load(urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=60))
assert health["metadatabase"]["status"] == "healthy", health
users = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())
user, password = next(iter(users.items()))
req = urllib.request.Request(f"{base}/auth/token", method="POST",
                             data=json.dumps({"username": user, "password": password}).encode(),
                             headers={"Content-Type": "application/json"})
token = json.load(urllib.request.urlopen(req, timeout=10))["access_token"]
auth = {"Authorization": f"Bearer {token}"}
want = sorted(p.stem for p in pathlib.Path("dags").glob("*.py") if not p.name.startswith("_"))
import time
deadline = time.time() + 180
while True:  # the dag-processor parses the folder shortly after start
    got = json.load(urllib.request.urlopen(urllib.request.Request(f"{base}/api/v2/dags?limit=100", headers=auth)))
    ids = sorted(d["dag_id"] for d in got["dags"])
    if ids == want or time.time() > deadline:
        break
    time.sleep(3)
assert ids == want, f"DAGs listed {ids}, expected {want}"
errors = json.load(urllib.request.urlopen(urllib.request.Request(f"{base}/api/v2/importErrors", headers=auth)))
assert errors["total_entries"] == 0, errors
def latest_state(dag_id):
    url = f"{base}/api/v2/dags/{dag_id}/dagRuns?order_by=-run_after&limit=1"
    runs = json.load(urllib.request.urlopen(urllib.request.Request(url, headers=auth)))["dag_runs"]
    return runs[0]["state"] if runs else None

# Scheduled runs must reach success on their own (DAGs are unpaused on creation). Zendesk's
# takes a few minutes: the sandbox enforces the real 10 requests/minute incremental limit.
deadline = time.time() + 600
states = {}
for dag_id in ("warehouse_maintenance", "salesforce_extract", "zendesk_extract"):
    while (state := latest_state(dag_id)) not in ("success", "failed") and time.time() < deadline:
        time.sleep(5)
    states[dag_id] = state
assert all(s == "success" for s in states.values()), f"scheduled runs: {states}"
print(f"check-up: scheduled runs succeeded: {states}")
page = urllib.request.urlopen(urllib.request.Request(f"{base}/support-ops/", headers=auth),
                              timeout=10).read().decode()
assert "Support Ops" in page
print(f"check-up: healthy; DAGs listed: {', '.join(ids)}; reports page served")
PY
if [ "$AIRFLOW_MODE" = celery ]; then
  "$BIN/python" "$ROOT/scripts/check_celery.py" || fail "distributed mode checks"
fi
# The process groups make up recorded: nothing may be left in any of them after make down
# (task processes rename themselves, so a command-line match alone would miss them).
groups=$(cat "$RUN"/airflow*.pid "$RUN"/sandbox.pid 2> /dev/null || true)
make -s down
sleep 2
# Ours: this clone's programs running with this AIRFLOW_HOME (a test elsewhere may run its own
# `make up` from the same clone with another AIRFLOW_HOME), and anything in the recorded groups.
left=""
for pid in $(pgrep -f "$ROOT/.venv/bin/(airflow|sandbox)" || true); do
  tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | grep -qxF "AIRFLOW_HOME=$AIRFLOW_HOME" || continue
  left+="$(ps -o pid=,args= -p "$pid" || true)"$'\n'
done
for g in $groups; do left+=$(pgrep -ag "$g" || true); done
left="${left%$'\n'}"
[ -z "$left" ] || fail "processes still running after make down: $left"
echo "check-up: make down left no process of ours running"
