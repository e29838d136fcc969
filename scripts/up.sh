#!/usr/bin/env bash
# make up: the sandbox and Airflow in the background, each in its own process group.
# Airflow binds to AIRFLOW_HOST:AIRFLOW_PORT (default 127.0.0.1:8080; see scripts/settings.sh).
# Standalone by default (`airflow standalone`, SQLite). AIRFLOW_EXECUTOR=CeleryExecutor is the
# distributed mode: PostgreSQL metadata DB and warehouse, Redis as the Celery broker, and the
# api-server, scheduler, dag-processor, triggerer and SUPPORT_OPS_CELERY_WORKERS (2) Celery
# workers as separate processes, one PID file each (`make down` stops them).
source "$(dirname "$0")/common.sh"
check_airflow_port up
health="$AIRFLOW_URL/api/v2/monitor/health"

# Starts `airflow ARGS...` as component NAME in its own process group: PID file, log file.
start_component() {
  local name="$1"; shift
  setsid "$BIN/airflow" "$@" > "$LOGS/airflow-$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/airflow-$name.pid"
}

wait_healthy() {  # $1: the PID file of the process serving the API
  say "waiting for the Airflow API server on $AIRFLOW_HOST:$AIRFLOW_PORT (first start takes a minute) ..."
  for _ in $(seq 1 240); do
    if "$BIN/python" -c "import urllib.request,sys; sys.exit(urllib.request.urlopen(sys.argv[1], timeout=2).status != 200)" "$health" 2>/dev/null; then
      return 0
    fi
    pid_alive "$1" || break
    sleep 1
  done
  return 1
}

if [ "$AIRFLOW_MODE" = celery ]; then
  if pid_alive "$RUN/airflow.pid"; then
    echo "Airflow standalone (make up without AIRFLOW_EXECUTOR) is running: 'make down' first" >&2
    exit 1
  fi
  ensure_postgres
  ensure_redis
  ensure_databases
elif pid_alive "$RUN/airflow-api-server.pid"; then
  echo "Airflow's distributed mode (AIRFLOW_EXECUTOR=CeleryExecutor make up) is running: 'make down' first" >&2
  exit 1
fi
start_sandbox > /dev/null
if [ "$AIRFLOW_MODE" = celery ]; then
  "$BIN/airflow" db migrate > "$LOGS/airflow-db-migrate.log" 2>&1 \
    || { tail -30 "$LOGS/airflow-db-migrate.log" >&2; exit 1; }
fi
import_connections
eval "$("$BIN/sandbox" env | grep -v AIRFLOW_CONN_)"

if [ "$AIRFLOW_MODE" = standalone ]; then
  if pid_alive "$RUN/airflow.pid"; then
    say "Airflow already running"
  else
    setsid "$BIN/airflow" standalone > "$LOGS/airflow.log" 2>&1 < /dev/null &
    echo $! > "$RUN/airflow.pid"
    if ! wait_healthy "$RUN/airflow.pid"; then
      echo "Airflow did not become healthy; last lines of $LOGS/airflow.log:" >&2
      tail -30 "$LOGS/airflow.log" >&2
      exit 1
    fi
  fi
  log_hint="log: $LOGS/airflow.log"
else
  node_host="$("$BIN/python" -c 'import socket; print(socket.gethostname())')"
  # The API server first: workers report every task to its execution API, and a task started
  # before it answers fails.
  if pid_alive "$RUN/airflow-api-server.pid"; then
    say "Airflow (distributed mode) already running"
  else
    start_component api-server api-server --workers 2
  fi
  if ! wait_healthy "$RUN/airflow-api-server.pid"; then
    echo "Airflow did not become healthy; last lines of $LOGS/airflow-api-server.log:" >&2
    tail -30 "$LOGS/airflow-api-server.log" >&2
    exit 1
  fi
  for c in $(celery_components); do
    pid_alive "$RUN/airflow-$c.pid" && continue
    case "$c" in
      scheduler | dag-processor) start_component "$c" "$c" ;;
      triggerer) start_component "$c" triggerer --skip-serve-logs ;;
      worker-*)
        # Logs are files in the shared AIRFLOW_HOME/logs here, so no log server per worker.
        SUPPORT_OPS_WORKER_HOSTNAME="$c@$node_host" start_component "$c" celery worker \
          --celery-hostname "$c@$node_host" --concurrency "$AIRFLOW__CELERY__WORKER_CONCURRENCY" \
          --skip-serve-logs ;;
    esac
  done
  say "waiting for the Celery workers ..."
  for c in $(celery_components | grep '^worker-'); do
    for _ in $(seq 1 180); do
      grep -q "$c@$node_host ready" "$LOGS/airflow-$c.log" 2> /dev/null && break
      pid_alive "$RUN/airflow-$c.pid" || break
      sleep 1
    done
    if ! grep -q "$c@$node_host ready" "$LOGS/airflow-$c.log" 2> /dev/null; then
      echo "Celery worker $c did not start; last lines of $LOGS/airflow-$c.log:" >&2
      tail -30 "$LOGS/airflow-$c.log" >&2
      exit 1
    fi
  done
  for c in $(celery_components); do
    pid_alive "$RUN/airflow-$c.pid" || { echo "Airflow $c exited; see $LOGS/airflow-$c.log" >&2; tail -30 "$LOGS/airflow-$c.log" >&2; exit 1; }
  done
  say "distributed mode: CeleryExecutor, broker $AIRFLOW__CELERY__BROKER_URL"
  echo "    metadata DB: $SUPPORT_OPS_AIRFLOW_DB, warehouse: $SUPPORT_OPS_WAREHOUSE_DB on $SUPPORT_OPS_PG_HOST:$SUPPORT_OPS_PG_PORT"
  for c in $(celery_components); do
    echo "    $c: process $(cat "$RUN/airflow-$c.pid"), log $LOGS/airflow-$c.log"
  done
  log_hint="logs: $LOGS/airflow-*.log"
fi
say "sandbox:"
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
pw_file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
say "Airflow UI: $AIRFLOW_URL  (listening on $AIRFLOW_HOST:$AIRFLOW_PORT; $log_hint)"
if [ -f "$pw_file" ]; then
  "$BIN/python" -c "import json,sys; [print(f'    login: {u} / {p}') for u, p in json.load(open(sys.argv[1])).items()]" "$pw_file"
fi
echo "    reports: $AIRFLOW_URL/support-ops/   stop everything: make down"
