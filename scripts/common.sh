# Sourced by the other scripts (run from the Makefile, which exports the Airflow settings).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.venv/bin"
export PATH="$BIN:$PATH"  # airflow standalone starts its components as `airflow ...`
RUN="$ROOT/.airflow/run"
LOGS="$ROOT/.airflow/logs-local"
mkdir -p "$RUN" "$LOGS"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Start the sandbox in its own process group unless it already runs. Prints "started" if it did.
start_sandbox() {
  if pid_alive "$RUN/sandbox.pid"; then return 0; fi
  local extra=()
  # A data folder replaces whatever the sandbox held before (its state is rebuilt from it).
  [ -n "${SANDBOX_DATA:-}" ] && extra+=(--reset --data "$SANDBOX_DATA")
  setsid "$BIN/sandbox" serve "${extra[@]}" ${SANDBOX_ARGS:-} > "$LOGS/sandbox.log" 2>&1 < /dev/null &
  echo $! > "$RUN/sandbox.pid"
  if ! "$BIN/sandbox" wait --timeout "${SANDBOX_START_TIMEOUT:-300}"; then
    echo "sandbox failed to start; last lines of $LOGS/sandbox.log:" >&2
    tail -20 "$LOGS/sandbox.log" >&2
    return 1
  fi
  echo started
}

# Import the sandbox connections (and the warehouse) into Airflow's metadata DB.
import_connections() {
  "$BIN/sandbox" connections --out "$AIRFLOW_HOME/connections.json"
  "$BIN/airflow" connections import --overwrite "$AIRFLOW_HOME/connections.json" > /dev/null
  "$BIN/airflow" connections delete support_warehouse > /dev/null 2>&1 || true
  "$BIN/airflow" connections add support_warehouse --conn-type generic \
    --conn-extra "{\"sqlalchemy_url\": \"sqlite:///$SUPPORT_OPS_DATA_DIR/warehouse.db\"}" > /dev/null
}
