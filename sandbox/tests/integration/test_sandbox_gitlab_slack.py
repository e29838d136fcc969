"""The sandbox's GitLab through python-gitlab and its Slack webhooks through SlackWebhookHook."""

from __future__ import annotations

import base64
import json

import gitlab
import httpx
import pytest
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

from sandbox.gitlab.seed import seed_gitlab
from sandbox.testing import use_sandbox

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


# -- quick actions, scoped labels, user search (what the feedback issues rely on) ------------
def test_quick_actions_in_a_description_run_and_are_removed(gl):
    project = gl.projects.get(FEEDBACK)
    manager = gl.users.list(search="ines")[0]  # a seeded manager
    made = project.issues.create({
        "title": "t", "labels": "satisfaction::bad",
        "description": f"hello\n/label ~\"ssat-route::product\" ~x\n  /assign @{manager.username}\n"
                       "> /confidential\n```\n/close\n```\n/title Renamed\n/close\n/notacommand"})
    issue = project.issues.get(made.iid)
    assert issue.state == "closed" and issue.title == "Renamed" and issue.confidential is True
    assert issue.labels == ["satisfaction::bad", "ssat-route::product", "x"]
    assert [a["username"] for a in issue.assignees] == [manager.username]
    assert issue.description == "hello\n```\n/close\n```\n/notacommand"  # commands gone, code kept

    note = issue.notes.create({"body": "thanks\n/reopen\n/unlabel ~x\n/label ~satisfaction::good"})
    issue = project.issues.get(made.iid)
    assert note.body == "thanks" and issue.state == "opened"
    assert issue.labels == ["satisfaction::good", "ssat-route::product"]  # scoped: bad replaced by good
    issue.description = "edited\n/close"
    issue.save()
    assert project.issues.get(made.iid).state == "closed"


def test_escaped_commands_do_not_run(gl):
    from support_ops.outbound.gitlab import escape_markdown

    project = gl.projects.get(FEEDBACK)
    hostile = "/close\n  /assign @ines-quartermain\n> /label ~pwned\r\n/title x\r/confidential"
    made = project.issues.create({"title": "safe", "description": escape_markdown(hostile.replace("\r\n", "\n")
                                                                                  .replace("\r", "\n"))})
    issue = project.issues.get(made.iid)
    assert issue.state == "opened" and issue.title == "safe" and not issue.assignees
    assert issue.labels == [] and issue.confidential is False
    assert "\\/close" in issue.description


def test_user_search_by_public_email_only_for_a_non_admin(gl, ops_sandbox):
    from sandbox.gitlab.seed import gitlab_users

    seeded = gitlab_users()[0]
    found = gl.users.list(search=seeded["email"].upper())
    assert [u.id for u in found] == [seeded["id"]]
    assert "email" not in found[0].attributes  # a non-admin never sees private e-mail
    assert gl.users.get(seeded["id"]).public_email == seeded["email"]
    private = {"id": 3999, "username": "private-pat", "name": "Pat Private", "state": "active",
               "email": "pat@example.com", "public_email": ""}
    ops_sandbox.store.put("gl_users", 3999, private, 0, 3999)
    assert gl.users.list(search="pat@example.com") == []  # private e-mail: not found
    assert [u.id for u in gl.users.list(search="private-pat")] == [3999]
    assert gl.users.list(search="example.com") == []  # e-mail matches exactly, not in part


def test_user_lists_page_with_link_headers(gl):
    listed = gl.users.list(per_page=2, iterator=True)
    ids = [u.id for u in listed]
    assert len(ids) == len(set(ids)) >= 9 and listed.total_pages >= 5


def test_issue_search_in_title_or_description(gl):
    project = gl.projects.get(FEEDBACK)
    a = project.issues.create({"title": "needle in title", "description": "plain"})
    b = project.issues.create({"title": "plain", "description": "a needle in the description"})
    iids = lambda **kw: sorted(i.iid for i in project.issues.list(search="needle", get_all=True, **kw))  # noqa: E731
    assert iids() == sorted([a.iid, b.iid])
    assert iids(**{"in": "title"}) == [a.iid] and iids(**{"in": "description"}) == [b.iid]
    with pytest.raises(gitlab.GitlabListError):
        project.issues.list(search="needle", **{"in": "body"})


def test_quick_actions_only_at_line_start_and_outside_code(gl):
    project = gl.projects.get(FEEDBACK)
    made = project.issues.create({"title": "t", "description": "please /close this\n~~~\n/close\n~~~\n\\/close"})
    issue = project.issues.get(made.iid)
    assert issue.state == "opened"
    assert issue.description == "please /close this\n~~~\n/close\n~~~\n\\/close"
