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
