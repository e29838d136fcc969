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
"$BIN/python" "$ROOT/scripts/demo_run.py" --logs "$LOGS" || status=$?
if [ "$status" -eq 0 ]; then
  "$BIN/support_ops" summary || status=$?
fi
if pid_alive "$RUN/airflow.pid"; then
  say "reports: $AIRFLOW_URL/support-ops/"
else
  say "reports: $AIRFLOW_URL/support-ops/  (served by Airflow: run 'make up' to open them)"
fi
exit "$status"
