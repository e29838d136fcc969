#!/usr/bin/env bash
# make demo: every pipeline in dags/ once, in data order, against a sandbox this demo starts
# (or, said so, the one `make up` started); a table of results; the reports' address last.
source "$(dirname "$0")/common.sh"
cd "$ROOT"

say "Support Ops Pipelines demo (Airflow home: $AIRFLOW_HOME)"
check_airflow_port demo
started="$(start_sandbox)"
if [ "$started" = "started" ]; then
  trap '"$ROOT/scripts/stop_pidfile.sh" "$RUN/sandbox.pid" sandbox > /dev/null' EXIT
  trap 'exit 130' INT TERM  # interrupted: still stop the sandbox (through the EXIT trap)
  say "sandbox started for this demo (it stops at the end; 'make up' keeps one running)"
  if [ -n "${SANDBOX_DATA:-}" ]; then echo "    loaded from SANDBOX_DATA=$SANDBOX_DATA"; fi
else
  say "using the sandbox 'make up' started (process $(cat "$RUN/sandbox.pid")): its current" \
      "state, not a fresh one ('make down' first for a fresh sandbox)"
fi
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
import_connections
say "Airflow connections imported ($AIRFLOW_HOME/connections.json, support_warehouse)"
# Client settings for the sandbox (CA bundle for the https services, zenpy's loopback netloc).
eval "$("$BIN/sandbox" env | grep -v AIRFLOW_CONN_)"
echo "    Zendesk exports run at the sandbox's real limit of 10 requests/minute: expect a"
echo "    couple of minutes of 429s waited out in zendesk_extract (tail -f its log to watch)"

status=0
rm -f "$LOGS/demo-results.txt"
"$BIN/python" "$ROOT/scripts/demo_run.py" --logs "$LOGS" --table "$LOGS/demo-results.txt" || status=$?
echo  # what the warehouse holds now, whichever DAGs failed
if ! "$BIN/support_ops" summary; then [ "$status" -ne 0 ] || status=1; fi
echo; cat "$LOGS/demo-results.txt" 2> /dev/null || echo "the pipeline runner failed before running any DAG" >&2
if pid_alive "$RUN/airflow.pid"; then
  say "reports: $AIRFLOW_URL/support-ops/"
else
  say "reports: $AIRFLOW_URL/support-ops/  (served by Airflow: run 'make up' to open them)"
fi
exit "$status"
