"""The host name a process reports to Airflow as the one running a task.

Airflow records it on each task instance (`[core] hostname_callable`). Several Celery workers
on one machine would all report the same machine name; the distributed mode of `make up`
(scripts/up.sh) gives each worker its own name in `SUPPORT_OPS_WORKER_HOSTNAME`, the same as
its Celery node name, so the task history shows which worker ran what.
"""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """`SUPPORT_OPS_WORKER_HOSTNAME` when set, else the machine's FQDN (Airflow's default)."""
    return os.environ.get("SUPPORT_OPS_WORKER_HOSTNAME", "").strip() or socket.getfqdn()
