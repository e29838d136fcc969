#!/usr/bin/env bash
# Start the sandbox if needed and import its connections (+ the warehouse) into Airflow.
source "$(dirname "$0")/common.sh"
start_sandbox > /dev/null
import_connections
say "Airflow connections imported from $AIRFLOW_HOME/connections.json (+ support_warehouse)"
