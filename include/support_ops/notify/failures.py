"""Failure notices: every DAG posts one Slack message per failed run (`slack_default`) with the
DAG, the failed task, the run and an absolute link to the task's log, through the outbound layer
(writer `failure_notice`, key per DAG run and per clearing of it: a run cleared and failing
again is a new failure).

`on_dag_failure` is the DAG-level `on_failure_callback` every DAG sets (dag_policy). It never
raises: a callback's exception is only logged by Airflow, and a notice must not hide the failure.
When the warehouse cannot record the notice, it is posted anyway (at least once) and the log
says it was not recorded.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

log = logging.getLogger(__name__)

KEY_PREFIX = "slack:failure-notice:"


def notice_key(dag_id: str, run_id: str, clear_number: int = 0) -> str:
    """The notice's idempotency key, readable when it fits in 255 characters."""
    key = f"{KEY_PREFIX}{dag_id}:{run_id}:{clear_number}"
    if len(key) <= 255:
        return key
    digest = hashlib.sha256(f"{dag_id}\n{run_id}\n{clear_number}".encode()).hexdigest()[:40]
    return f"{KEY_PREFIX}{dag_id[:150]}:{digest}"


def notice_text(context: Any) -> tuple[str, dict[str, Any]]:
    """The message and the facts it states (DAG, task, run, log link) from a callback context."""
    from .. import links
    from .slack import escape

    dag = context.get("dag")
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None) or "unknown DAG"
    run_id = context.get("run_id") or getattr(ti, "run_id", None) or "unknown run"
    task_id = getattr(ti, "task_id", None)
    reason = context.get("reason") or "failed"
    if task_id:
        url = links.task_log_url(dag_id, run_id, task_id, getattr(ti, "try_number", None),
                                 getattr(ti, "map_index", -1))
        where = f"task `{escape(task_id)}`"
    else:  # a run failed without a task to blame (e.g. timed out): link the run
        url = links.dag_run_url(dag_id, run_id)
        where = "no failed task named"
    text = (f":red_circle: DAG *{escape(dag_id)}* failed: {where}, run `{escape(run_id)}` "
            f"({escape(reason)}).\nLog: <{url}|{'task log' if task_id else 'run'}>")
    return text, {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "url": url}


def post_failure_notice(context: Any, *, engine: Any = None) -> str:
    """Post the notice once for this run; returns 'sent', 'skipped' or 'unrecorded'."""
    from ..outbound.actor import Actor
    from ..outbound.writers import FAILURE_NOTICE
    from .slack import notify

    text, facts = notice_text(context)
    dag_run = context.get("dag_run")
    key = notice_key(facts["dag_id"], facts["run_id"], int(getattr(dag_run, "clear_number", 0) or 0))
    try:
        if engine is None:
            from ..warehouse import get_engine, upgrade

            engine = get_engine()
            upgrade(engine)
    except Exception as exc:  # noqa: BLE001 - the warehouse may be what failed: still tell someone
        log.warning("failure notice for %s/%s not recorded (warehouse unavailable: %s); posting it "
                    "directly", facts["dag_id"], facts["run_id"], type(exc).__name__)
        from ..outbound.model import StoredWrite
        from ..outbound.slack import SlackWebhook

        SlackWebhook().send_one(StoredWrite("", key, 0, "post_message", "slack_default", text,
                                            {"conn_id": "slack_default", "text": text}, None, "pending"))
        return "unrecorded"
    actor = Actor.from_context(context)
    actor = Actor(f"failure notice of {actor.actor}", actor.dag_id, actor.run_id, actor.task_id)
    return notify(engine, key, text, writer=FAILURE_NOTICE, actor=actor)


def on_dag_failure(context: Any) -> None:
    """DAG-level on_failure_callback: one Slack message per failed run; never raises."""
    try:
        status = post_failure_notice(context)
        log.info("failure notice: %s", status)
    except Exception:  # noqa: BLE001 - a callback must not raise; the log keeps the reason
        log.exception("failure notice could not be posted")
