#!/usr/bin/env bash
# make conformance: point <subdomain>.zendesk.com at 127.0.0.1 for the run (a hosts entry that
# is always removed again, whatever way the run ends), then run the harness with the project venv.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${CONFORMANCE_ZENDESK_HOST:-sandbox.zendesk.com}"
HOSTS_FILE="${CONFORMANCE_HOSTS_FILE:-/etc/hosts}"
MARK="# support-ops-conformance"

if [ "$(id -u)" -ne 0 ]; then
  echo "conformance: needs root (a hosts entry for $HOST and port 443 on 127.0.0.1);" >&2
  echo "conformance: run 'sudo make conformance', or let CI run it (.ci/run runs as root)" >&2
  exit 2
fi

remove_entry() {
  # Rewritten in place (not replaced): /etc/hosts is often a bind mount in containers.
  local kept
  kept="$(grep -vF "$MARK" "$HOSTS_FILE" || true)"
  printf '%s\n' "$kept" > "$HOSTS_FILE"
}

remove_entry  # a run killed hard before its trap ran may have left one
trap remove_entry EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
printf '127.0.0.1 %s %s\n' "$HOST" "$MARK" >> "$HOSTS_FILE"
echo "conformance: $HOST -> 127.0.0.1 in $HOSTS_FILE for this run"

CONFORMANCE_ZENDESK_HOST="$HOST" .venv/bin/python conformance/run_conformance.py "$@"
