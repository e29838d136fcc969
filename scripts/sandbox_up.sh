#!/usr/bin/env bash
# make sandbox: the sandbox in the background (PID file), unless ours already runs.
source "$(dirname "$0")/common.sh"
start_sandbox > /dev/null
say "sandbox running (log: $LOGS/sandbox.log)"
grep '^sandbox:' "$LOGS/sandbox.log" | sed 's/^/    /' || true
