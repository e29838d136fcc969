"""The failure notice's text and key, from callback contexts as Airflow builds them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from support_ops import links
from support_ops.notify.failures import notice_key, notice_text


@pytest.fixture(autouse=True)
def base(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com")
    links.reset()
    yield
    links.reset()


def test_names_dag_task_run_and_links_the_task_log():
    ctx = {"dag": SimpleNamespace(dag_id="zendesk_extract"), "run_id": "scheduled__2026-12-02T06:00:00+00:00",
           "reason": "task_failure", "ti": SimpleNamespace(task_id="extract_tickets", try_number=3, map_index=-1)}
    text, facts = notice_text(ctx)
    assert "*zendesk_extract*" in text and "`extract_tickets`" in text and ctx["run_id"] in text
    assert facts["url"] == links.task_log_url("zendesk_extract", ctx["run_id"], "extract_tickets", 3)
    assert f"<{facts['url']}|task log>" in text and facts["url"].startswith("https://airflow.example.com/dags/")


def test_a_run_without_a_failed_task_links_the_run():
    text, facts = notice_text({"dag": SimpleNamespace(dag_id="d"), "run_id": "r", "reason": "timed_out"})
    assert facts["url"] == "https://airflow.example.com/dags/d/runs/r" and "timed_out" in text


def test_names_are_escaped_for_slack():
    text, _ = notice_text({"dag": SimpleNamespace(dag_id="d"), "run_id": "<!channel>", "reason": "<@U1>"})
    assert "<!channel>" not in text and "<@U1>" not in text


def test_keys_fit_and_differ_per_clearing():
    assert notice_key("d", "r") == "slack:failure-notice:d:r:0"
    assert notice_key("d", "r", 1) != notice_key("d", "r", 0)
    long = notice_key("d", "r" * 300)
    assert len(long) <= 255 and long != notice_key("d", "r" * 299)
