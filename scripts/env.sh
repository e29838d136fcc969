#!/usr/bin/env bash
# Prints export lines: eval "$(make -s env)" prepares a shell for airflow, the hooks and the CLIs.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/settings.sh"
echo "export VIRTUAL_ENV='$ROOT/.venv'"
echo "export PATH='$ROOT/.venv/bin':\"\$PATH\""
for v in AIRFLOW_HOME AIRFLOW__CORE__DAGS_FOLDER AIRFLOW__CORE__PLUGINS_FOLDER AIRFLOW__CORE__LOAD_EXAMPLES \
         AIRFLOW__DATABASE__SQL_ALCHEMY_CONN AIRFLOW__CORE__EXECUTOR AIRFLOW__CORE__PARALLELISM \
         AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION SUPPORT_OPS_DATA_DIR SANDBOX_DIR \
         AIRFLOW_PORT AIRFLOW_HOST AIRFLOW__API__HOST AIRFLOW__API__PORT AIRFLOW__API__BASE_URL \
         AIRFLOW__CORE__EXECUTION_API_SERVER_URL; do
  printf "export %s='%s'\n" "$v" "${!v}"
done
if [ "$AIRFLOW_MODE" = celery ]; then  # AIRFLOW_EXECUTOR=CeleryExecutor: the distributed mode's
  for v in AIRFLOW_EXECUTOR AIRFLOW__CELERY__BROKER_URL AIRFLOW__CELERY__RESULT_BACKEND \
           AIRFLOW__CELERY__WORKER_CONCURRENCY AIRFLOW__CORE__HOSTNAME_CALLABLE; do
    printf "export %s='%s'\n" "$v" "${!v}"
  done
fi
if [ -x "$ROOT/.venv/bin/sandbox" ]; then
  "$ROOT/.venv/bin/sandbox" env
  echo "export AIRFLOW_CONN_SUPPORT_WAREHOUSE='$WAREHOUSE_URL'"
fi
