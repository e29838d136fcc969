#!/usr/bin/env bash
# Stop exactly the process group recorded in a PID file (and nothing else).
set -uo pipefail
pidfile="$1"; name="$2"
if [ ! -f "$pidfile" ]; then echo "$name: not running"; exit 0; fi
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  # Children that outlived the leader still carry its process-group id.
  if pgrep -g "$pid" > /dev/null 2>&1; then
    sleep 2; kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  echo "$name: stopped (process group $pid)"
else
  echo "$name: was not running"
fi
rm -f "$pidfile"
