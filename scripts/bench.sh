#!/usr/bin/env bash
# make bench: every benchmark under bench/, each printing its figures and ratios.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
for b in bench/bench_*.py; do
  [ -f "$b" ] || continue
  say "$b"
  "$BIN/python" "$b"
done
