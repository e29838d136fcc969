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
  if ! pid_alive "$RUN/airflow.pid" && port_taken "$AIRFLOW_HOST" "$AIRFLOW_PORT"; then
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
  "$BIN/airflow" connections add support_warehouse --conn-type generic \
    --conn-extra "{\"sqlalchemy_url\": \"sqlite:///$SUPPORT_OPS_DATA_DIR/warehouse.db\"}" > /dev/null
  # The one-slot pool of the tasks that call Zendesk's incremental exports (support_ops.config).
  local pool
  pool="$("$BIN/python" -c 'from support_ops.config import ZENDESK_INCREMENTAL_POOL as p; print(p)')"
  "$BIN/airflow" pools set "$pool" 1 "Zendesk incremental exports: one at a time" > /dev/null
}
