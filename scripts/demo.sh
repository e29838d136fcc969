#!/usr/bin/env bash
# make demo: every pipeline once, in dependency order, against the embedded sandbox.
source "$(dirname "$0")/common.sh"
# Pipelines in dependency order; a DAG whose file is not there yet is skipped.
DEMO_DAGS=(warehouse_maintenance zendesk_extract salesforce_extract csat_kpis crm_integrity)

say "Support Ops Pipelines demo (Airflow home: $AIRFLOW_HOME)"
started="$(start_sandbox)"
if [ "$started" = "started" ]; then
  trap '"$ROOT/scripts/stop_pidfile.sh" "$RUN/sandbox.pid" sandbox > /dev/null' EXIT
  say "sandbox started for this demo (it stops at the end; 'make up' keeps one running)"
else
  say "using the sandbox that is already running"
fi
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
import_connections
say "Airflow connections imported ($AIRFLOW_HOME/connections.json, support_warehouse)"
# Client settings for the sandbox (CA bundle for the https services, zenpy's loopback netloc).
eval "$("$BIN/sandbox" env | grep -v AIRFLOW_CONN_)"

ran=()
for dag in "${DEMO_DAGS[@]}"; do
  [ -f "$ROOT/dags/$dag.py" ] || continue
  log="$LOGS/demo-$dag.log"
  say "running DAG $dag (log: $log)"
  if [ "$dag" = zendesk_extract ]; then
    echo "    the sandbox enforces Zendesk's 10 requests/minute limit on incremental exports:"
    echo "    expect about two minutes of 429s waited out (watch: tail -f $log)"
  fi
  start=$(date +%s)
  if "$BIN/airflow" dags test "$dag" > "$log" 2>&1 && ! grep -q "state=failed\|DagRunState.FAILED" "$log"; then
    echo "    ok in $(( $(date +%s) - start ))s"
    ran+=("$dag")
  else
    echo "    FAILED: last lines of $log:"; tail -30 "$log" | sed 's/^/    /'
    exit 1
  fi
done

say "demo finished: ran ${ran[*]}"
"$BIN/support_ops" summary
