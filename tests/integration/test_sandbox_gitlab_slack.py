"""The sandbox's GitLab through python-gitlab and its Slack webhooks through SlackWebhookHook."""

from __future__ import annotations

import base64
import json

import gitlab
import httpx
import pytest
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

from sandbox.seed_ops import seed_gitlab
from tests.conftest import use_sandbox

FEEDBACK = "gitlab-com/support/feedback"


@pytest.fixture(scope="module")
def ops_sandbox(sandbox_factory):
    return sandbox_factory(populate=lambda store, cfg: seed_gitlab(store))


@pytest.fixture
def gl(monkeypatch, ops_sandbox) -> gitlab.Gitlab:
    use_sandbox(monkeypatch, ops_sandbox)
    conn = json.loads(ops_sandbox.env["AIRFLOW_CONN_GITLAB_DEFAULT"])
    return gitlab.Gitlab(conn["host"], private_token=conn["password"], per_page=10)


def test_projects_by_path_and_auth(gl, ops_sandbox):
    project = gl.projects.get(FEEDBACK)
    assert project.path_with_namespace == FEEDBACK
    assert gl.projects.get(project.id).id == project.id
    ops = gl.projects.get("gitlab-com/support/support-ops/support-ops-project")
    assert ops.id != project.id
    assert "feedback::negative" in {lab.name for lab in project.labels.list(get_all=True)}
    assert {p.path for p in gl.projects.list(get_all=True)} == {"feedback", "support-ops-project"}
    bad = gitlab.Gitlab(gl.url, private_token="wrong")
    with pytest.raises(gitlab.GitlabAuthenticationError):
        bad.projects.get(FEEDBACK)
    r = httpx.get(f"{gl.url}/api/v4/projects", headers={"Authorization": f"Bearer {gl.private_token}"})
    assert r.status_code == 200


def test_issue_lifecycle_filters_and_pagination(gl):
    project = gl.projects.get(FEEDBACK)
    created = []
    for n in range(23):
        labels = ["feedback::negative", "route::support-managers" if n % 3 else "route::product"]
        created.append(project.issues.create({
            "title": f"Negative feedback on ticket {1000 + n}",
            "description": f"Rating {5000 + n}: the answer was not helpful",
            "labels": labels, "assignee_ids": [7], "confidential": True}))
    first = created[0]
    assert first.state == "opened" and first.iid >= 1 and first.project_id == project.id
    assert first.web_url.endswith(f"{FEEDBACK}/-/issues/{first.iid}")
    assert first.labels == ["feedback::negative", "route::product"]
    assert first.author["username"] and first.assignees[0]["id"] == 7

    everything = project.issues.list(iterator=True)
    assert everything.total == 23 and everything.total_pages == 3
    assert len(list(everything)) == 23
    product = project.issues.list(labels=["feedback::negative", "route::product"], get_all=True)
    assert sorted(i.iid for i in product) == sorted(c.iid for i, c in enumerate(created) if i % 3 == 0)
    assert [i.iid for i in project.issues.list(search="ticket 1007", get_all=True)] == [created[7].iid]
    assert [i.iid for i in project.issues.list(iids=[created[4].iid], get_all=True)] == [created[4].iid]
    page = project.issues.list(page=3, per_page=10, order_by="created_at", sort="asc")
    assert [i.iid for i in page] == [c.iid for c in created[20:]]

    issue = project.issues.get(first.iid)
    issue.labels = ["feedback::negative", "reason::not-helpful"]
    issue.save()
    assert project.issues.get(first.iid).labels == ["feedback::negative", "reason::not-helpful"]
    gl.http_put(f"/projects/{project.id}/issues/{first.iid}",
                post_data={"add_labels": "SSAT", "remove_labels": "reason::not-helpful"})
    assert project.issues.get(first.iid).labels == ["feedback::negative", "SSAT"]

    note = issue.notes.create({"body": "Manager follow-up: reviewed with the engineer."})
    assert note.body.startswith("Manager follow-up")
    assert [n.id for n in issue.notes.list(get_all=True)] == [note.id]
    issue = project.issues.get(first.iid)
    assert issue.user_notes_count == 1
    issue.state_event = "close"
    issue.save()
    assert project.issues.get(first.iid).state == "closed"
    assert len(project.issues.list(state="closed", get_all=True)) == 1
    assert len(project.issues.list(state="opened", get_all=True)) == 22
    with pytest.raises(gitlab.GitlabGetError):
        project.issues.get(9999)
    with pytest.raises(gitlab.GitlabCreateError):
        project.issues.create({"title": ""})


def test_commits_and_files(gl):
    project = gl.projects.get("gitlab-com/support/support-ops/support-ops-project")
    path = "reports/oncall-audit.md"
    commit = project.commits.create({
        "branch": "main", "commit_message": "Add the on-call audit",
        "actions": [{"action": "create", "file_path": path, "content": "# Audit\n"}]})
    assert len(commit.id) == 40 and commit.title == "Add the on-call audit"
    f = project.files.get(file_path=path, ref="main")
    assert f.decode() == b"# Audit\n"
    project.commits.create({
        "branch": "main", "commit_message": "Update the audit",
        "actions": [{"action": "update", "file_path": path,
                     "content": base64.b64encode(b"# Audit v2\n").decode(), "encoding": "base64"}]})
    assert project.files.get(file_path=path, ref="main").decode() == b"# Audit v2\n"
    with pytest.raises(gitlab.GitlabCreateError):
        project.commits.create({"branch": "main", "commit_message": "again", "actions": [
            {"action": "create", "file_path": path, "content": "x"}]})
    project.files.create({"file_path": "kpi/2026-11.json", "branch": "main",
                          "content": '{"csat": 0.96}', "commit_message": "KPI report"})
    kpi = project.files.get(file_path="kpi/2026-11.json", ref="main")
    kpi.content = '{"csat": 0.97}'
    kpi.encoding = "text"
    kpi.save(branch="main", commit_message="KPI report, revised")
    assert project.files.get(file_path="kpi/2026-11.json", ref="main").decode() == b'{"csat": 0.97}'
    titles = [c.title for c in project.commits.list(ref_name="main", get_all=True)]
    assert titles[:2] == ["KPI report, revised", "KPI report"] and len(titles) == 4
    with pytest.raises(gitlab.GitlabGetError):
        project.files.get(file_path="missing.md", ref="main")


def test_gitlab_429_is_waited_out(gl, ops_sandbox):
    base = ops_sandbox.config.base_url("gitlab")
    httpx.post(f"{base}/_sandbox/realism",
               json={"faults": {"seed": 1, "rate_429": 0.5, "burst_429": 2, "retry_after": 1}})
    try:
        project = gl.projects.get(FEEDBACK)
        stats = httpx.get(f"{base}/_sandbox/stats").json()
    finally:  # changing the realism resets the statistics, so they are read first
        httpx.post(f"{base}/_sandbox/realism", json={"faults": {"rate_429": 0.0}})
    assert project.path_with_namespace == FEEDBACK
    assert stats["faults"].get("429") == 2


def test_slack_webhook_via_hook(monkeypatch, ops_sandbox):
    use_sandbox(monkeypatch, ops_sandbox)
    base = ops_sandbox.config.base_url("slack")
    httpx.delete(f"{base}/_sandbox/messages")
    hook = SlackWebhookHook(slack_webhook_conn_id="slack_default")
    hook.send(text="Premium ticket 42 breaches SLA in 2h",
              blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*Ticket 42*"}}])
    hook.send_text("On-call roster updated")
    messages = httpx.get(f"{base}/_sandbox/messages").json()
    assert [m["text"] for m in messages] == ["Premium ticket 42 breaches SLA in 2h",
                                             "On-call roster updated"]
    assert messages[0]["blocks"][0]["type"] == "section"
    assert messages[0]["path"] == ops_sandbox.credentials["slack"]["webhook_path"]
    later = httpx.get(f"{base}/_sandbox/messages",
                      params={"since": messages[1]["received_at"]}).json()
    assert [m["text"] for m in later] == ["On-call roster updated"]

    from airflow.exceptions import AirflowException

    with pytest.raises(AirflowException, match="invalid_payload"):
        hook.send_dict({"unfurl_links": False})
    url = json.loads(ops_sandbox.env["AIRFLOW_CONN_SLACK_DEFAULT"])["password"]
    r = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.text) == (400, "invalid_payload")
    r = httpx.post(f"{base}/services/T000/B000/unknown", json={"text": "hi"})
    assert (r.status_code, r.text) == (404, "no_service")
    httpx.post(f"{base}/_sandbox/webhooks",
               json={"path": "/services/T0SANDBOX/B0FEED/abc123", "channel": "#zd-gitlab-com-feed"})
    r = httpx.post(f"{base}/services/T0SANDBOX/B0FEED/abc123", json={"text": "ticket updated"})
    assert (r.status_code, r.text) == (200, "ok")
    feed = httpx.get(f"{base}/_sandbox/messages", params={"channel": "#zd-gitlab-com-feed"}).json()
    assert [m["text"] for m in feed] == ["ticket updated"]
    httpx.delete(f"{base}/_sandbox/messages")
    assert httpx.get(f"{base}/_sandbox/messages").json() == []
