"""The ssat_feedback_issues DAG for real, on the sandbox's generated organization: extraction, then
two DAG runs (issues, export, report). The first creates one issue per feedback rating and
commits the months; the second creates nothing and commits nothing."""

from __future__ import annotations

import datetime as dt
import json

import gitlab
import pytest
from sqlalchemy import select

from support_ops.feedback import rules
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag

SINCE = "2026-10-21T12:00:00Z"  # 30 days before the generated organization's "now"
PROJECT = "gitlab-com/support/feedback"


@pytest.fixture(scope="module")
def e2e(sandbox_factory, airflow_db, tmp_path_factory):
    from support_ops import links
    from support_ops.clients.zendesk import SupportZendeskHook
    from support_ops.extract.zendesk import extract_all
    from support_ops.warehouse import get_engine, upgrade

    folder = tmp_path_factory.mktemp("feedback_e2e")
    sb = sandbox_factory(populate="generate")
    with pytest.MonkeyPatch.context() as mp:
        use_sandbox(mp, sb)
        links.reset()
        url = f"sqlite:///{folder / 'warehouse.db'}"
        mp.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
        mp.setenv("SUPPORT_OPS_DATA_DIR", str(folder / "data"))
        engine = get_engine(url)
        upgrade(engine)
        extract_all(engine, SupportZendeskHook(), start_time=0)
        conn = json.loads(sb.env["AIRFLOW_CONN_GITLAB_DEFAULT"])
        gl = gitlab.Gitlab(conn["host"], private_token=conn["password"], per_page=100)
        first = run_dag("ssat_feedback_issues", since=SINCE)
        after_first = {"issues": gl.projects.get(PROJECT).issues.list(state="all", get_all=True),
                       "commits": gl.projects.get(PROJECT).commits.list(get_all=True)}
        second = run_dag("ssat_feedback_issues", since=SINCE)
        yield {"runs": (first, second), "engine": engine, "gl": gl, "first": after_first,
               "reports": folder / "data" / "reports"}
        links.reset()


def _expected(engine) -> set[int]:
    from support_ops.extract.tables import zd_satisfaction_ratings as r

    since = dt.datetime.fromisoformat(SINCE.replace("Z", "+00:00"))
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.id, r.c.score, r.c.comment, r.c.updated_at)).all()
    out = set()
    for rid, score, comment, updated in rows:
        updated = updated.replace(tzinfo=dt.UTC) if updated.tzinfo is None else updated
        if updated >= since and rules.is_feedback(score, comment):
            out.add(int(rid))
    return out


def test_first_run_makes_one_issue_per_feedback_rating_and_the_export(e2e):
    from support_ops.feedback import store

    first, second = e2e["runs"]
    assert str(first.state).endswith("success") and str(second.state).endswith("success")
    issues = e2e["first"]["issues"]
    expected = _expected(e2e["engine"])
    assert expected, "the generated organization has feedback ratings in the window"
    made = [rules.rating_id_in(i.description) for i in issues]
    assert len(made) == len(set(made)) == min(len(expected), 200)  # one issue per rating
    assert set(made) <= expected and set(store.mappings(e2e["engine"])) == set(made)
    assert all(rules.score_of(i.labels) for i in issues)
    assert all(i.assignees for i in issues)  # the on-call manager has a GitLab user in the sandbox
    assert len(e2e["first"]["commits"]) == 1  # one export commit with every month
    month = e2e["gl"].projects.get(PROJECT).files.raw(file_path=rules.month_file("2026-11"), ref="main").decode()
    assert month.startswith("rating_id,ticket_id,score,reason,comment,organization,support_level,")


def test_second_run_creates_nothing_and_commits_nothing(e2e):
    gl = e2e["gl"]
    assert len(gl.projects.get(PROJECT).issues.list(state="all", get_all=True)) == len(e2e["first"]["issues"])
    assert len(gl.projects.get(PROJECT).commits.list(get_all=True)) == len(e2e["first"]["commits"])


def test_report_page_and_headline(e2e):
    page = (e2e["reports"] / "feedback" / "latest" / "index.html").read_text()
    assert "Open feedback issues by reason and route" in page and "SSAT reviewing manager on call" in page
    assert (e2e["reports"] / "headlines" / "feedback.json").exists()


def test_the_kpi_reports_bad_reason_table_links_to_the_feedback_page(e2e):
    import re

    from support_ops.kpis.compute import refresh
    from support_ops.kpis.report import write_report

    refresh(e2e["engine"])
    kpi_page = write_report(e2e["engine"], dt.date(2026, 11, 20), root=e2e["reports"])
    text = kpi_page.read_text()
    href = re.search(r"href='([^']*feedback/latest/index\.html)#by-reason'", text)
    assert href, "no link to the feedback issues from the negative-feedback table"
    target = (kpi_page.parent / href.group(1)).resolve()
    assert target == (e2e["reports"] / "feedback" / "latest" / "index.html").resolve() and target.exists()
    assert "id='by-reason'" in target.read_text()
