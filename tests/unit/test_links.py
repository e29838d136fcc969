"""Absolute links: Airflow's base URL and the record URLs the connections describe."""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest

from support_ops import links


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    for conn in ("ZENDESK_DEFAULT", "SALESFORCE_DEFAULT", "GITLAB_DEFAULT"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{conn}", raising=False)
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    links.reset()
    yield
    links.reset()


def conn(monkeypatch, conn_id: str, **fields) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


def test_airflow_base_url_default_and_configured(monkeypatch):
    assert links.airflow_base_url() == "http://localhost:8080"
    links.reset()
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/ops/")
    assert links.airflow_base_url() == "https://airflow.example.com/ops"
    assert links.dag_run_url("csat_kpis", "r1") == "https://airflow.example.com/ops/dags/csat_kpis/runs/r1"


def test_base_url_is_read_lazily(monkeypatch):
    """Importing the module reads nothing: a setting made after import is honoured."""
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://late.example:8093")
    assert links.airflow_base_url() == "http://late.example:8093"


def test_task_log_url_follows_airflow_ui_routes(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:8093")
    run_id = "scheduled__2026-11-20T06:00:00+00:00"
    url = links.task_log_url("crm_integrity", run_id, "run_checks")
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "127.0.0.1:8093"
    assert unquote(parts.path) == f"/dags/crm_integrity/runs/{run_id}/tasks/run_checks"
    assert "+" not in parts.path and ":" not in parts.path  # a '+' would be read as a space
    assert links.task_log_url("d", "r", "t", try_number=2).endswith("/tasks/t?try_number=2")
    assert links.task_log_url("d", "r", "t", try_number=1, map_index=3).endswith("/tasks/t/mapped/3?try_number=1")
    assert links.task_log_url("d", "r", "t", try_number=0, map_index=-1).endswith("/tasks/t")


def test_task_log_url_matches_airflow_own_log_url(monkeypatch):
    """The same shape Airflow's TaskInstance.log_url builds (checked against the installed Airflow)."""
    from types import SimpleNamespace

    from airflow.models.taskinstance import TaskInstance

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://localhost:8080")
    ti = SimpleNamespace(dag_id="d", run_id="manual__2026-11-20T06:00:00+00:00", task_id="t",
                         map_index=2, try_number=3)
    theirs = TaskInstance.log_url.fget(ti)
    ours = links.task_log_url(ti.dag_id, ti.run_id, ti.task_id, ti.try_number, ti.map_index)
    assert unquote(ours) == unquote(theirs)


def test_report_url(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://af.example.com")
    assert links.report_url("kpis/2026-11-20/index.html") == (
        "https://af.example.com/support-ops/reports/kpis/2026-11-20/index.html")
    assert links.report_url("") == "https://af.example.com/support-ops/"
    from support_ops.config import settings

    inside = settings().reports_dir / "integrity" / "latest" / "index.html"
    assert links.report_url(inside).endswith("/support-ops/reports/integrity/latest/index.html")
    with pytest.raises(ValueError, match="reports folder"):
        links.report_url(tmp_path / "elsewhere.html")
    with pytest.raises(ValueError, match="leaves the reports folder"):
        links.report_url("../secrets.txt")


def test_zendesk_links_real_and_sandbox(monkeypatch):
    conn(monkeypatch, "zendesk_default", conn_type="zendesk", host="acme.zendesk.com", password="s3cret")
    assert links.zendesk_ticket_url(42) == "https://acme.zendesk.com/agent/tickets/42"
    assert links.zendesk_org_url(7) == "https://acme.zendesk.com/agent/organizations/7"
    links.reset()
    conn(monkeypatch, "zendesk_default", conn_type="zendesk", host="acme.zendesk.com",
         extra={"base_url": "https://127.0.0.1:8701/"})
    assert links.zendesk_ticket_url(42) == "https://127.0.0.1:8701/agent/tickets/42"


def test_salesforce_links(monkeypatch):
    conn(monkeypatch, "salesforce_default", conn_type="salesforce",
         extra={"instance_url": "https://acme.my.salesforce.com"})
    assert links.salesforce_record_url("001000000000001AAA") == (
        "https://acme.my.salesforce.com/lightning/r/Account/001000000000001AAA/view")
    assert links.salesforce_record_url("a0B000000000001", sobject="Zendesk_Support_Ticket__c").endswith(
        "/lightning/r/Zendesk_Support_Ticket__c/a0B000000000001/view")
    links.reset()
    conn(monkeypatch, "salesforce_default", conn_type="salesforce", extra={"domain": "acme.my"})
    assert links.salesforce_record_url("001x").startswith("https://acme.my.salesforce.com/lightning/r/")


def test_gitlab_issue_url(monkeypatch):
    conn(monkeypatch, "gitlab_default", conn_type="http", host="https://gitlab.example.com/", password="t")
    assert links.gitlab_issue_url("gitlab-com/support/feedback", 12) == (
        "https://gitlab.example.com/gitlab-com/support/feedback/-/issues/12")
    links.reset()
    conn(monkeypatch, "gitlab_default", conn_type="http", host="gitlab.com")
    assert links.gitlab_issue_url("/g/p/", 1) == "https://gitlab.com/g/p/-/issues/1"
    with pytest.raises(ValueError):
        links.gitlab_issue_url("", 1)


def test_missing_connection_is_a_clear_error():
    with pytest.raises(links.LinkConfigError, match="zendesk_default"):
        links.zendesk_ticket_url(1)
    with pytest.raises(links.LinkConfigError, match="gitlab_default"):
        links.gitlab_issue_url("g/p", 1)


def test_record_ids_cannot_break_out_of_their_segment(monkeypatch):
    conn(monkeypatch, "zendesk_default", conn_type="zendesk", host="acme.zendesk.com")
    url = links.zendesk_ticket_url("1/../../admin?x=1")
    assert urlsplit(url).path.count("/") == 3 and "?" not in url
