#!/usr/bin/env bash
# make up: the sandbox and Airflow standalone in the background, each in its own process group.
source "$(dirname "$0")/common.sh"
start_sandbox > /dev/null
import_connections
eval "$("$BIN/sandbox" env | grep -v AIRFLOW_CONN_)"
if pid_alive "$RUN/airflow.pid"; then
  say "Airflow already running"
else
  setsid "$BIN/airflow" standalone > "$LOGS/airflow.log" 2>&1 < /dev/null &
  echo $! > "$RUN/airflow.pid"
  say "waiting for the Airflow API server on :8080 ..."
  for _ in $(seq 1 180); do
    if "$BIN/python" - <<'PY' 2>/dev/null; then break; fi
import urllib.request, sys
with urllib.request.urlopen("http://127.0.0.1:8080/api/v2/monitor/health", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
    sleep 1
  done
fi
say "sandbox:"
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
pw_file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
say "Airflow UI: http://127.0.0.1:8080  (log: $LOGS/airflow.log)"
if [ -f "$pw_file" ]; then
  echo "    login: $(cat "$pw_file")"
fi
echo "    reports: http://127.0.0.1:8080/support-ops/   stop everything: make down"
