"""Who is writing: the Airflow task (and the user who triggered its run), or a command-line user."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    actor: str
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None

    @classmethod
    def from_context(cls, context: Any) -> Actor:
        """From an Airflow task or callback context (a mapping with dag, run_id, ti, dag_run)."""
        dag = context.get("dag")
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None)
        run_id = context.get("run_id") or getattr(ti, "run_id", None)
        task_id = getattr(ti, "task_id", None)
        dag_run = context.get("dag_run")
        user = getattr(dag_run, "triggering_user_name", None)
        who = "/".join(str(p) for p in (dag_id, run_id, task_id) if p) or "airflow"
        return cls(f"{who} by {user}" if user else who, dag_id, run_id, task_id)


def current_actor() -> Actor:
    """The running Airflow task if there is one, else `cli:<login name>`."""
    try:
        from airflow.sdk import get_current_context

        return Actor.from_context(get_current_context())
    except Exception:  # noqa: BLE001 - outside a task (CLI, tests): no context
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            user = "unknown"
        return Actor(f"cli:{user}")
