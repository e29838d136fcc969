#!/usr/bin/env bash
# docker-compose.yaml's airflow-init: runs once, as root, before every other Airflow service.
# As in Airflow's own compose file: the folders the services write to are created and handed
# to AIRFLOW_UID (bind mounts would otherwise be root's), and the metadata database is
# migrated. Then the warehouse database is created on the PostgreSQL service if missing and
# its migrations applied (support_ops migrate), and the project's pool set.
set -euo pipefail
: "${AIRFLOW_UID:?set AIRFLOW_UID in .env (the output of id -u)}"
: "${SUPPORT_OPS_WAREHOUSE_DB:?}"
mkdir -p /opt/airflow/logs /opt/airflow/data /opt/airflow/dags /opt/airflow/plugins
chown -R "$AIRFLOW_UID:0" /opt/airflow/logs /opt/airflow/data
echo "airflow-init: /opt/airflow/logs and /opt/airflow/data belong to $AIRFLOW_UID:0"

# The metadata database (the image's entrypoint migrates it with _AIRFLOW_DB_MIGRATE=true).
/entrypoint airflow version

python - <<'PY'
"""Create the warehouse database beside Airflow's (same server, same role) when missing."""
import os

import sqlalchemy as sa

name = os.environ["SUPPORT_OPS_WAREHOUSE_DB"]
server = sa.make_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        print(f"airflow-init: created the warehouse database {name}")
PY
support_ops migrate
echo "airflow-init: warehouse migrated"
# The one-slot pool of the tasks that call Zendesk's incremental exports (support_ops.config).
pool="$(python -c 'from support_ops.config import ZENDESK_INCREMENTAL_POOL as p; print(p)')"
airflow pools set "$pool" 1 "Zendesk incremental exports: one at a time" > /dev/null
echo "airflow-init: pool $pool (1 slot)"
