#!/usr/bin/env bash
# make test: lint (ruff with the AIR rules) then the whole pytest suite; any failure fails.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
say "ruff"
"$BIN/ruff" check .
say "pytest"
# Tests build their own Airflow home and sandbox; nothing here needs a running service
# except PostgreSQL for the warehouse variants.
"$BIN/pytest" ${PYTEST_ARGS:-}
