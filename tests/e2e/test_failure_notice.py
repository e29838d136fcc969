"""A failed DAG run posts exactly one Slack message, with an absolute link to the failed task's
log, through the outbound layer: a real `dag.test()` run against the sandbox's Slack."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from tests.conftest import use_sandbox

PROBE_DIR = Path(__file__).with_name("dags")
BASE_URL = "http://airflow.example.test:8093"


def slack_messages(sb) -> list[dict]:
    r = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=5)
    r.raise_for_status()
    body = r.json()
    return body["messages"] if isinstance(body, dict) else body


@pytest.fixture
def probe_run(airflow_db, sandbox_factory, tmp_path, monkeypatch):
    from airflow.models import DagBag

    from support_ops import links
    from support_ops.warehouse import get_engine, upgrade

    sb = use_sandbox(monkeypatch, sandbox_factory())
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", BASE_URL)
    # dag.test() runs only DAGs of a configured bundle: add the probe's folder as one.
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps([{
        "name": "failure-notice-probe", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
        "kwargs": {"path": str(PROBE_DIR), "refresh_interval": 0}}]))
    links.reset()
    engine = get_engine(url)
    upgrade(engine)
    bag = DagBag(dag_folder=str(PROBE_DIR / "failure_notice_probe.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["failure_notice_probe"]
    yield dag, engine, sb
    links.reset()


def test_a_failed_run_posts_one_message_with_an_absolute_log_link(probe_run):
    from support_ops import links
    from support_ops.outbound.tables import outbound_writes

    dag, engine, sb = probe_run
    run = dag.test()
    assert str(run.state).endswith("failed")
    sent = slack_messages(sb)
    assert len(sent) == 1, sent
    text = sent[0]["text"]
    assert "failure_notice_probe" in text and "breaks" in text and run.run_id in text
    expected = links.task_log_url("failure_notice_probe", run.run_id, "breaks", try_number=1)
    assert f"<{expected}|" in text
    parts = urlsplit(expected)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL and "/tasks/breaks" in parts.path

    with engine.connect() as conn:
        rows = conn.execute(select(outbound_writes.c.writer, outbound_writes.c.status,
                                   outbound_writes.c.idempotency_key)).all()
    assert [(w, s) for w, s, _ in rows] == [("failure_notice", "applied")]
    assert rows[0][2].startswith("slack:failure-notice:failure_notice_probe:")


def test_the_same_failure_is_not_posted_twice(probe_run):
    """The callback running again for the same run (a second processor, a retry) posts nothing."""
    from support_ops.notify.failures import post_failure_notice

    dag, engine, sb = probe_run
    run = dag.test()
    assert len(slack_messages(sb)) == 1
    context = {"dag": dag, "run_id": run.run_id, "reason": "task_failure"}
    assert post_failure_notice(context, engine=engine) == "skipped"
    assert len(slack_messages(sb)) == 1
