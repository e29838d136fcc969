#!/usr/bin/env bash
# make up: the sandbox and Airflow standalone in the background, each in its own process group.
# Airflow binds to AIRFLOW_HOST:AIRFLOW_PORT (default 127.0.0.1:8080; see scripts/settings.sh).
source "$(dirname "$0")/common.sh"
check_airflow_port up
start_sandbox > /dev/null
import_connections
eval "$("$BIN/sandbox" env | grep -v AIRFLOW_CONN_)"
health="$AIRFLOW_URL/api/v2/monitor/health"
if pid_alive "$RUN/airflow.pid"; then
  say "Airflow already running"
else
  setsid "$BIN/airflow" standalone > "$LOGS/airflow.log" 2>&1 < /dev/null &
  echo $! > "$RUN/airflow.pid"
  say "waiting for the Airflow API server on $AIRFLOW_HOST:$AIRFLOW_PORT (first start takes a minute) ..."
  healthy=""
  for _ in $(seq 1 240); do
    if "$BIN/python" -c "import urllib.request,sys; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)" "$health" 2>/dev/null; then
      healthy=1; break
    fi
    pid_alive "$RUN/airflow.pid" || break
    sleep 1
  done
  if [ -z "$healthy" ]; then
    echo "Airflow did not become healthy; last lines of $LOGS/airflow.log:" >&2
    tail -30 "$LOGS/airflow.log" >&2
    exit 1
  fi
fi
say "sandbox:"
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
pw_file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
say "Airflow UI: $AIRFLOW_URL  (listening on $AIRFLOW_HOST:$AIRFLOW_PORT; log: $LOGS/airflow.log)"
if [ -f "$pw_file" ]; then
  "$BIN/python" -c "import json,sys; [print(f'    login: {u} / {p}') for u, p in json.load(open(sys.argv[1])).items()]" "$pw_file"
fi
echo "    reports: $AIRFLOW_URL/support-ops/   stop everything: make down"
