# Sourced by the other scripts (run from the Makefile, which exports the Airflow settings).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
export PATH="$BIN:$PATH"  # airflow standalone starts its components as `airflow ...`
# PID files and local logs (overridable so tests can run these functions in a folder of their own).
RUN="${SUPPORT_OPS_RUN_DIR:-$ROOT/.airflow/run}"
LOGS="${SUPPORT_OPS_LOG_DIR:-$ROOT/.airflow/logs-local}"
mkdir -p "$RUN" "$LOGS"
source "$ROOT/scripts/settings.sh"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Is something listening on host:port? (bound as servers bind: SO_REUSEADDR, so a closed
# server's TIME_WAIT does not count).
port_taken() {
  "$BIN/python" - "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError:
        sys.exit(0)
sys.exit(1)
PY
}

# Refuse to go on when AIRFLOW_PORT is taken by something that is not our Airflow.
check_airflow_port() {
  if ! pid_alive "$RUN/airflow.pid" && ! pid_alive "$RUN/airflow-api-server.pid" \
     && port_taken "$AIRFLOW_HOST" "$AIRFLOW_PORT"; then
    echo "port $AIRFLOW_PORT ($AIRFLOW_HOST) is already in use by a program this project did" \
         "not start (not the Airflow of 'make up'). Stop it, or choose another port:" \
         "AIRFLOW_PORT=8093 make ${1:-up}" >&2
    return 1
  fi
}

# Start the sandbox in its own process group unless ours already runs. Prints "started" if it
# started one, "running" if it found the one `make up` / `make sandbox` started.
start_sandbox() {
  if pid_alive "$RUN/sandbox.pid"; then
    if [ -n "${SANDBOX_DATA:-}" ]; then
      echo "SANDBOX_DATA=$SANDBOX_DATA is set, but a sandbox started earlier (by 'make up' or" \
           "'make sandbox', process $(cat "$RUN/sandbox.pid")) is running and would not load" \
           "that folder. Stop it first (make down, or make sandbox-stop) and rerun." >&2
      return 1
    fi
    echo running
    return 0
  fi
  # Something else on the sandbox ports (another clone's sandbox, a test run, any program):
  # refuse rather than talk to a sandbox this project did not start.
  "$BIN/sandbox" check-ports >&2 || return 1
  local extra=()
  # A data folder replaces whatever the sandbox held before (its state is rebuilt from it,
  # beside the old one: a refused folder leaves the old state). SANDBOX_DATA_LENIENT passes.
  [ -n "${SANDBOX_DATA:-}" ] && extra+=(--data "$SANDBOX_DATA")
  setsid "$BIN/sandbox" serve "${extra[@]}" ${SANDBOX_ARGS:-} > "$LOGS/sandbox.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$RUN/sandbox.pid"
  # Fails at once when the sandbox exits (a refused data folder, a taken port), not at the timeout.
  if ! "$BIN/sandbox" wait --pid "$pid" --timeout "${SANDBOX_START_TIMEOUT:-900}" 2> /dev/null; then
    echo "sandbox failed to start; last lines of $LOGS/sandbox.log:" >&2
    tail -25 "$LOGS/sandbox.log" | sed 's/^/    /' >&2
    "$ROOT/scripts/stop_pidfile.sh" "$RUN/sandbox.pid" sandbox > /dev/null 2>&1 || true
    return 1
  fi
  echo started
}

# Import the sandbox connections (and the warehouse) into Airflow's metadata DB.
import_connections() {
  mkdir -p "$SUPPORT_OPS_DATA_DIR"  # the SQLite warehouse's folder
  "$BIN/sandbox" connections --out "$AIRFLOW_HOME/connections.json"
  "$BIN/airflow" connections import --overwrite "$AIRFLOW_HOME/connections.json" > /dev/null
  "$BIN/airflow" connections delete support_warehouse > /dev/null 2>&1 || true
  # The warehouse: SQLite in data/ (standalone) or the PostgreSQL database (distributed mode).
  "$BIN/airflow" connections add support_warehouse --conn-type generic \
    --conn-extra "{\"sqlalchemy_url\": \"$WAREHOUSE_URL\"}" > /dev/null
  # The one-slot pool of the tasks that call Zendesk's incremental exports (support_ops.config).
  local pool
  pool="$("$BIN/python" -c 'from support_ops.config import ZENDESK_INCREMENTAL_POOL as p; print(p)')"
  "$BIN/airflow" pools set "$pool" 1 "Zendesk incremental exports: one at a time" > /dev/null
}

## Distributed mode (AIRFLOW_EXECUTOR=CeleryExecutor): the servers it needs, started if absent.

# PostgreSQL on SUPPORT_OPS_PG_HOST:PORT; a local Debian cluster is started when it is down.
ensure_postgres() {
  local host="$SUPPORT_OPS_PG_HOST" port="$SUPPORT_OPS_PG_PORT"
  if ! command -v pg_isready > /dev/null; then
    echo "the distributed mode needs PostgreSQL on $host:$port and its client tools (pg_isready," \
         "psql): on Debian/Ubuntu 'apt-get install postgresql', or point SUPPORT_OPS_PG_HOST/PORT/USER" \
         "at a server" >&2
    return 1
  fi
  pg_isready -h "$host" -p "$port" -q && return 0
  local cluster=""
  [ -d /etc/postgresql ] && cluster="$(ls /etc/postgresql | head -1)"
  if command -v pg_ctlcluster > /dev/null && [ -n "$cluster" ]; then
    case "$host" in 127.0.0.1|localhost|::1)
      say "starting PostgreSQL (cluster $cluster/main)"
      if pg_ctlcluster --skip-systemctl-redirect "$cluster" main start; then
        for _ in $(seq 1 30); do pg_isready -h "$host" -p "$port" -q && return 0; sleep 1; done
      fi ;;
    esac
  fi
  echo "PostgreSQL does not answer on $host:$port: start it (Debian: pg_ctlcluster <version> main" \
       "start), or set SUPPORT_OPS_PG_HOST/PORT/USER to a server that does" >&2
  return 1
}

# Redis on SUPPORT_OPS_REDIS_HOST:PORT; started (loopback only, no persistence) when absent.
ensure_redis() {
  local host="$SUPPORT_OPS_REDIS_HOST" port="$SUPPORT_OPS_REDIS_PORT"
  redis_up() { "$BIN/python" -c "import redis,sys; sys.exit(not redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), socket_timeout=2).ping())" "$host" "$port" 2> /dev/null; }
  redis_up && return 0
  case "$host" in 127.0.0.1|localhost|::1) ;; *)
    echo "Redis does not answer on $host:$port (SUPPORT_OPS_REDIS_HOST/PORT): start it there" >&2
    return 1 ;;
  esac
  if ! command -v redis-server > /dev/null; then
    echo "the distributed mode needs Redis on $host:$port as the Celery broker: on Debian/Ubuntu" \
         "'apt-get install redis-server', or set SUPPORT_OPS_REDIS_HOST/PORT to a running one" >&2
    return 1
  fi
  say "starting Redis on 127.0.0.1:$port (log: /var/log/redis/ci.log)"
  mkdir -p /var/lib/redis /var/log/redis 2> /dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log \
    || { echo "could not start Redis (redis-server): start it on $host:$port yourself" >&2; return 1; }
  for _ in $(seq 1 30); do redis_up && return 0; sleep 0.5; done
  echo "Redis started but does not answer on $host:$port; see /var/log/redis/ci.log" >&2
  return 1
}

# The metadata and warehouse databases, created once (they persist like .airflow/airflow.db).
ensure_databases() {
  local db
  for db in "$SUPPORT_OPS_AIRFLOW_DB" "$SUPPORT_OPS_WAREHOUSE_DB"; do
    [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] \
      || { echo "database name '$db': use lower-case letters, digits and _" >&2; return 1; }
    if ! psql -h "$SUPPORT_OPS_PG_HOST" -p "$SUPPORT_OPS_PG_PORT" -U "$SUPPORT_OPS_PG_USER" -d postgres \
         -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      psql -h "$SUPPORT_OPS_PG_HOST" -p "$SUPPORT_OPS_PG_PORT" -U "$SUPPORT_OPS_PG_USER" -d postgres \
        -q -c "CREATE DATABASE \"$db\"" || { echo "could not create the database $db" >&2; return 1; }
      say "created the PostgreSQL database $db"
    fi
  done
}

# The distributed components, in the order `make down` stops them (workers first).
celery_components() {
  local i
  for i in $(seq 1 "$SUPPORT_OPS_CELERY_WORKERS"); do echo "worker-$i"; done
  echo triggerer scheduler dag-processor api-server
}
