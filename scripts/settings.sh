# Sourced by common.sh and env.sh: the address settings of `make up` / `make demo`.
#   AIRFLOW_PORT  the Airflow API server and UI port (default 8080)
#   AIRFLOW_HOST  the address it binds to (default 127.0.0.1; AIRFLOW_HOST=0.0.0.0 opens it)
# Airflow's own settings follow them unless set explicitly: AIRFLOW__API__HOST/PORT, the base
# URL links are built from, and the execution API URL task processes report to.
AIRFLOW_PORT="${AIRFLOW_PORT:-8080}"
AIRFLOW_HOST="${AIRFLOW_HOST:-127.0.0.1}"
case "$AIRFLOW_HOST" in
  0.0.0.0|::|"") AIRFLOW_LOCAL_HOST=127.0.0.1 ;;  # every interface: reach it on loopback
  *) AIRFLOW_LOCAL_HOST="$AIRFLOW_HOST" ;;
esac
AIRFLOW_URL="http://$AIRFLOW_LOCAL_HOST:$AIRFLOW_PORT"
export AIRFLOW_PORT AIRFLOW_HOST AIRFLOW_URL
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-$AIRFLOW_HOST}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-$AIRFLOW_PORT}"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-$AIRFLOW_URL}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-$AIRFLOW_URL/execution/}"

# The mode: AIRFLOW_EXECUTOR unset (or LocalExecutor) is `airflow standalone`, one process
# tree with SQLite; AIRFLOW_EXECUTOR=CeleryExecutor is the distributed mode (scripts/up.sh):
# PostgreSQL metadata database and warehouse, Redis broker, each Airflow component and every
# Celery worker a process of its own.
case "${AIRFLOW_EXECUTOR:-}" in
  ""|standalone|LocalExecutor) AIRFLOW_MODE=standalone ;;
  CeleryExecutor) AIRFLOW_MODE=celery ;;
  *) echo "AIRFLOW_EXECUTOR=$AIRFLOW_EXECUTOR is not a mode of this project: leave it unset" \
          "(standalone) or use AIRFLOW_EXECUTOR=CeleryExecutor (distributed mode)" >&2
     exit 1 ;;
esac
export AIRFLOW_MODE
if [ "$AIRFLOW_MODE" = celery ]; then
  # The PostgreSQL server (libpq's PGPASSWORD is honoured) and the two databases the scripts
  # create on it: Airflow's metadata and the warehouse (the support_warehouse connection).
  SUPPORT_OPS_PG_HOST="${SUPPORT_OPS_PG_HOST:-127.0.0.1}"
  SUPPORT_OPS_PG_PORT="${SUPPORT_OPS_PG_PORT:-5432}"
  SUPPORT_OPS_PG_USER="${SUPPORT_OPS_PG_USER:-postgres}"
  SUPPORT_OPS_AIRFLOW_DB="${SUPPORT_OPS_AIRFLOW_DB:-support_ops_airflow}"
  SUPPORT_OPS_WAREHOUSE_DB="${SUPPORT_OPS_WAREHOUSE_DB:-support_ops_warehouse}"
  # Redis, the Celery broker (database number SUPPORT_OPS_REDIS_DB).
  SUPPORT_OPS_REDIS_HOST="${SUPPORT_OPS_REDIS_HOST:-127.0.0.1}"
  SUPPORT_OPS_REDIS_PORT="${SUPPORT_OPS_REDIS_PORT:-6379}"
  SUPPORT_OPS_REDIS_DB="${SUPPORT_OPS_REDIS_DB:-0}"
  SUPPORT_OPS_CELERY_WORKERS="${SUPPORT_OPS_CELERY_WORKERS:-2}"
  export SUPPORT_OPS_PG_HOST SUPPORT_OPS_PG_PORT SUPPORT_OPS_PG_USER SUPPORT_OPS_AIRFLOW_DB \
    SUPPORT_OPS_WAREHOUSE_DB SUPPORT_OPS_REDIS_HOST SUPPORT_OPS_REDIS_PORT SUPPORT_OPS_REDIS_DB \
    SUPPORT_OPS_CELERY_WORKERS
  _pg="$SUPPORT_OPS_PG_USER@$SUPPORT_OPS_PG_HOST:$SUPPORT_OPS_PG_PORT"
  export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://$_pg/$SUPPORT_OPS_AIRFLOW_DB"
  export AIRFLOW__CELERY__BROKER_URL="${AIRFLOW__CELERY__BROKER_URL:-redis://$SUPPORT_OPS_REDIS_HOST:$SUPPORT_OPS_REDIS_PORT/$SUPPORT_OPS_REDIS_DB}"
  export AIRFLOW__CELERY__RESULT_BACKEND="${AIRFLOW__CELERY__RESULT_BACKEND:-db+postgresql://$_pg/$SUPPORT_OPS_AIRFLOW_DB}"
  export AIRFLOW__CELERY__WORKER_CONCURRENCY="${AIRFLOW__CELERY__WORKER_CONCURRENCY:-2}"
  # A loaded machine answers the execution API slower than Airflow's 5 s default allows.
  export AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT="${AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT:-30}"
  # Each worker reports its own name on the task instances it runs (support_ops/hostname.py).
  export AIRFLOW__CORE__HOSTNAME_CALLABLE="${AIRFLOW__CORE__HOSTNAME_CALLABLE:-support_ops.hostname.worker_hostname}"
  WAREHOUSE_URL="postgresql+psycopg://$_pg/$SUPPORT_OPS_WAREHOUSE_DB"
  unset _pg
else
  WAREHOUSE_URL="sqlite:///${SUPPORT_OPS_DATA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/data}/warehouse.db"
fi
export WAREHOUSE_URL
