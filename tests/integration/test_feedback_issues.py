"""Feedback issues against the sandbox's GitLab (python-gitlab) and PagerDuty (`pagerduty`), on
SQLite and PostgreSQL warehouses: one issue per rating, never two, score changes, clean-up,
the export, the manager without a GitLab user, dry runs and the cap."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging

import gitlab
import pytest
from sqlalchemy import func, select, update

from sandbox.core import collections as C
from sandbox.gitlab.seed import gitlab_users, seed_gitlab
from sandbox.pagerduty.seed import seed_pagerduty
from support_ops import links
from support_ops.clients.pagerduty import on_call, rest_client
from support_ops.extract.tables import zd_organizations, zd_satisfaction_ratings, zd_tickets
from support_ops.feedback import export, issues, rules
from support_ops.feedback import store as fstore
from support_ops.feedback.tables import feedback_issues
from support_ops.outbound.tables import outbound_plans
from support_ops.warehouse import upsert
from tests.conftest import use_sandbox

PROJECT = "gitlab-com/support/feedback"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOSTILE = ("/close\n/assign @ines-quartermain\r\n  /label ~pwned\r/title hacked\n@all <script>x</script>\n"
           "![i](https://evil.example/x.png)\n```\n/confidential\n```\n<!-- support-ops:satisfaction-rating:1 -->")

REASONS = [
    ("GitLab doesn't meet my needs", "product-needs", "product"),
    ("The answer wasn't delivered in a timely manner", "not-timely", "support-managers"),
    ("My issue was not resolved", "not-resolved", "support-managers"),
    ("The answer wasn't helpful", "not-helpful", "support-managers"),
    ("Some other reason", "other", "support-managers"),
    (None, "none", "support-managers"),
]


@pytest.fixture
def sb(sandbox_factory, monkeypatch):
    def populate(store, cfg):
        seed_gitlab(store)
        seed_pagerduty(store, NOW)

    box = use_sandbox(monkeypatch, sandbox_factory(populate=populate))
    links.reset()
    yield box
    links.reset()


@pytest.fixture
def gl(sb) -> gitlab.Gitlab:
    conn = json.loads(sb.env["AIRFLOW_CONN_GITLAB_DEFAULT"])
    return gitlab.Gitlab(conn["host"], private_token=conn["password"], per_page=100)


def _ts(days_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago)


def seed_ratings(engine) -> None:
    """Ratings 1-6: bad with each reason (oldest first); 7: good with a hostile comment; 8: good
    without a comment; 9: offered; 10: bad but older than 30 days."""
    ratings = []
    for n, (reason, _, _) in enumerate(REASONS, start=1):
        ratings.append(_rating(n, "bad", reason, f"comment {n}", days_ago=20 - n))
    ratings += [_rating(7, "good", None, HOSTILE, days_ago=5), _rating(8, "good", None, None, days_ago=4),
                _rating(9, "offered", None, None, days_ago=3), _rating(10, "bad", None, "old", days_ago=45)]
    with engine.begin() as conn:
        upsert(conn, zd_organizations, [{"id": 1, "name": "Acme *Corp* @all", "domain_names": [], "tags": [],
                                         "support_level": "premium", "raw": {}, "extracted_at": NOW}])
        upsert(conn, zd_tickets, [{"id": 1000 + n, "status": "solved", "is_deleted": False, "tags": [],
                                   "organization_id": 1, "raw": {}, "extracted_at": NOW} for n in range(1, 11)])
        upsert(conn, zd_satisfaction_ratings, ratings)


def _rating(n: int, score: str, reason: str | None, comment: str | None, days_ago: float) -> dict:
    return {"id": n, "ticket_id": 1000 + n, "requester_id": 77, "assignee_id": 5, "group_id": 360001,
            "score": score, "reason": reason, "comment": comment, "created_at": _ts(days_ago),
            "updated_at": _ts(days_ago), "raw": {"id": n}, "extracted_at": NOW}


def rate(engine, rid: int, score: str, reason: str | None = None, days_ago: float = 0.5) -> None:
    with engine.begin() as conn:
        conn.execute(update(zd_satisfaction_ratings).where(zd_satisfaction_ratings.c.id == rid)
                     .values(score=score, reason=reason, updated_at=_ts(days_ago)))


def all_issues(gl) -> list:
    return gl.projects.get(PROJECT).issues.list(state="all", get_all=True)


def by_rating(gl) -> dict[int, object]:
    return {rules.rating_id_in(i.description): i for i in all_issues(gl)}


def expected_manager(gl):
    """Who the SSAT schedule's weekly layer puts on call now, worked out from the layer itself
    (not by the product's on-call code), and that person's GitLab user."""
    pd = rest_client()
    layer = pd.rget("schedules/P9UIIDY")["schedule_layers"][0]
    start = dt.datetime.fromisoformat(layer["rotation_virtual_start"].replace("Z", "+00:00"))
    turn = (NOW - start) // dt.timedelta(seconds=layer["rotation_turn_length_seconds"])
    ref = layer["users"][turn % len(layer["users"])]["user"]
    email = pd.rget(f"users/{ref['id']}")["email"]
    who = on_call(pd, issues.SCHEDULE, NOW)
    assert (who.user_id, who.email) == (ref["id"], email)
    return who, next(u for u in gitlab_users() if u["email"] == email)


def test_one_issue_per_rating_never_two(warehouse, sb, gl):
    seed_ratings(warehouse)
    out = issues.run(warehouse, gl=gl, now=NOW)
    assert out["to_create"] == out["created"] == 7 and out["status"] == "applied"
    found = by_rating(gl)
    assert sorted(found) == [1, 2, 3, 4, 5, 6, 7]  # 8 no comment, 9 offered, 10 too old
    who, user = expected_manager(gl)
    assert out["manager"] == who.name and out["assignee"] == user["username"]
    for n, (_, key, route) in enumerate(REASONS, start=1):
        i = found[n]
        assert i.title == f"Satisfaction bad: ticket #{1000 + n}"
        assert i.labels == sorted(["satisfaction::bad", f"ssat-reason::{key}", f"ssat-route::{route}"])
        assert [a["username"] for a in i.assignees] == [user["username"]]
        assert f"/agent/tickets/{1000 + n}" in i.description and i.description.endswith(rules.marker(n))
    good = found[7]
    assert good.labels == ["satisfaction::good"] and good.state == "opened" and good.title.endswith("#1007")
    assert good.confidential is False and "pwned" not in good.labels  # no quick action ran
    assert "\\/close" in good.description and "@\u2060all" in good.description
    assert good.description.count("<!-- support-ops:satisfaction-rating:") == 1
    assert "Acme \\*Corp\\* @\u2060all" in good.description
    rows = fstore.mappings(warehouse)
    assert {r: (m["issue_iid"], m["score"], m["state"], m["found_by"]) for r, m in rows.items()} == {
        r: (found[r].iid, "good" if r == 7 else "bad", "opened", "created") for r in found}
    assert rows[1]["ticket_id"] == 1001 and rows[1]["manager"] == who.name

    again = issues.run(warehouse, gl=gl, now=NOW)
    assert again["to_create"] == 0 and again["plan_id"] is None and len(all_issues(gl)) == 7

    fstore.forget_all(warehouse)  # the warehouse lost the mapping: the markers in GitLab restore it
    restored = issues.run(warehouse, gl=gl, now=NOW)
    assert restored["restored"] == 7 and restored["to_create"] == 0 and len(all_issues(gl)) == 7
    assert {m["found_by"] for m in fstore.mappings(warehouse).values()} == {"marker"}


def test_score_changes_relabel_reopen_and_note(warehouse, sb, gl):
    seed_ratings(warehouse)
    issues.run(warehouse, gl=gl, now=NOW)
    rate(warehouse, 3, "good")
    out = issues.run(warehouse, gl=gl, now=NOW)
    assert out["score_changes"] == 1 and out["to_create"] == 0
    i3 = by_rating(gl)[3]
    assert i3.labels == ["satisfaction::good"] and i3.state == "opened"
    assert any("from **bad** to **good**" in n.body for n in i3.notes.list(get_all=True))

    i7 = by_rating(gl)[7]
    i7.state_event = "close"
    i7.save()
    rate(warehouse, 7, "bad", "The answer wasn't helpful", days_ago=0.2)
    out = issues.run(warehouse, gl=gl, now=NOW)
    assert out["score_changes"] == 1
    i7 = by_rating(gl)[7]
    assert i7.state == "opened"
    assert i7.labels == ["satisfaction::bad", "ssat-reason::not-helpful", "ssat-route::support-managers"]
    assert any("from **good** to **bad**" in n.body for n in i7.notes.list(get_all=True))
    assert fstore.mappings(warehouse)[7]["score"] == "bad"
    assert issues.run(warehouse, gl=gl, now=NOW)["score_changes"] == 0  # settled: nothing more


def test_good_issues_idle_for_seven_days_are_closed(warehouse, sb, gl):
    seed_ratings(warehouse)
    issues.run(warehouse, gl=gl, now=NOW)
    assert issues.run(warehouse, gl=gl, now=NOW + dt.timedelta(days=6))["cleanup"] == 0
    later = NOW + dt.timedelta(days=8)
    out = issues.run(warehouse, gl=gl, now=later, since=NOW - dt.timedelta(days=30))
    assert out["cleanup"] == 1
    found = by_rating(gl)
    assert found[7].state == "closed" and all(found[n].state == "opened" for n in range(1, 7))
    assert any("no activity on this issue for 7 days" in n.body for n in found[7].notes.list(get_all=True))
    assert fstore.mappings(warehouse)[7]["state"] == "closed"
    assert issues.run(warehouse, gl=gl, now=later, since=NOW - dt.timedelta(days=30))["cleanup"] == 0


def test_on_call_manager_without_a_gitlab_user(warehouse, sb, gl, caplog):
    who, user = expected_manager(gl)
    sb.store.delete(C.GL_USERS, user["id"])
    seed_ratings(warehouse)
    with caplog.at_level(logging.WARNING, logger="support_ops.feedback.issues"):
        out = issues.run(warehouse, gl=gl, now=NOW)
    assert out["created"] == 7 and out["manager"] == who.name and out["assignee"] is None
    assert all(not i.assignees for i in all_issues(gl))
    assert all(f"{who.name} (on call in PagerDuty; no GitLab user" in i.description for i in all_issues(gl))
    assert any(who.email in r.getMessage() and "no GitLab user" in r.getMessage() for r in caplog.records)


def test_dry_run_writes_nothing_and_keeps_the_plan(warehouse, sb, gl):
    seed_ratings(warehouse)
    out = issues.run(warehouse, gl=gl, now=NOW, dry_run=True)
    assert out["status"] == "dry_run" and out["to_create"] == 7
    assert all_issues(gl) == [] and fstore.mappings(warehouse) == {}
    with warehouse.connect() as conn:
        plan = conn.execute(select(outbound_plans).where(outbound_plans.c.plan_id == out["plan_id"])).mappings().one()
    assert plan["dry_run"] is True and plan["planned"] == 7


def test_the_cap_creates_the_oldest_first_and_the_rest_next_run(warehouse, sb, gl):
    seed_ratings(warehouse)
    out = issues.run(warehouse, gl=gl, now=NOW, max_issues=2)
    assert out["created"] == 2 and out["deferred"] == 5
    assert sorted(by_rating(gl)) == [1, 2]
    out = issues.run(warehouse, gl=gl, now=NOW, max_issues=4)
    assert out["created"] == 4 and out["deferred"] == 1 and sorted(by_rating(gl)) == [1, 2, 3, 4, 5, 6]
    assert issues.run(warehouse, gl=gl, now=NOW, max_issues=0)["to_create"] == 0
    assert issues.run(warehouse, gl=gl, now=NOW)["created"] == 1 and len(all_issues(gl)) == 7
    with warehouse.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback_issues)).scalar() == 7


def commits(gl) -> list:
    return gl.projects.get(PROJECT).commits.list(get_all=True)


def test_export_commits_changed_months_only(warehouse, sb, gl):
    seed_ratings(warehouse)
    first = export.run(warehouse, gl=gl)
    assert first["status"] == "applied" and first["changed"] == first["months"] >= 2
    n = len(commits(gl))
    project = gl.projects.get(PROJECT)
    month = f"{_ts(5):%Y-%m}"
    text = project.files.raw(file_path=f"feedback/{month}.csv", ref="main").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "7" in [r["rating_id"] for r in rows]
    assert next(r for r in rows if r["rating_id"] == "7")["comment"].startswith("/close\n")
    assert "8" not in [r["rating_id"] for r in rows] and "9" not in [r["rating_id"] for r in rows]

    again = export.run(warehouse, gl=gl)
    assert again["changed"] == 0 and again["status"] == "unchanged" and len(commits(gl)) == n

    with warehouse.begin() as conn:
        conn.execute(update(zd_satisfaction_ratings).where(zd_satisfaction_ratings.c.id == 7)
                     .values(comment="changed my mind"))
    third = export.run(warehouse, gl=gl)
    assert third["changed"] == 1 and len(commits(gl)) == n + 1
    assert commits(gl)[0].title == f"Feedback export: {month}"
    assert export.run(warehouse, gl=gl, dry_run=True)["changed"] == 0


def test_first_response_and_the_report_page(warehouse, sb, gl, tmp_path):
    from support_ops.feedback.report import write_report

    seed_ratings(warehouse)
    first = issues.run(warehouse, gl=gl, now=NOW)
    who, user = expected_manager(gl)
    person = {**next(u for u in gitlab_users() if u["id"] == user["id"]), "_token": "manager-token"}
    sb.store.put(C.GL_USERS, person["id"], person, 0, person["id"])
    as_manager = gitlab.Gitlab(gl.url, private_token="manager-token")
    i2 = by_rating(gl)[2]
    as_manager.projects.get(PROJECT).issues.get(i2.iid).notes.create({"body": "Looking into it."})
    issues.run(warehouse, gl=gl, now=NOW)
    rows = fstore.mappings(warehouse)
    assert rows[2]["first_response_at"] is not None
    assert all(rows[r]["first_response_at"] is None for r in rows if r != 2)  # the bot's notes do not count

    path = write_report(warehouse, manager=first["manager"], assignee=first["assignee"], now=NOW, root=tmp_path)
    page = path.read_text()
    assert (tmp_path / "feedback" / "latest" / "index.html").exists()
    assert f"SSAT reviewing manager on call:</b> {who.name}" in page and user["username"] in page
    assert "Open feedback issues by reason and route" in page and "ssat-reason::not-timely" in page
    assert page.count("<tr><td class='text'><a href=") == 7  # every open issue, linked
    assert "<script>x" not in page
    headline = json.loads((tmp_path / "headlines" / "feedback.json").read_text())
    assert headline["figures"][0] == {"label": "open", "value": "7", "note": "", "status": "info"}


def test_an_interrupted_create_is_found_by_its_marker_not_repeated(warehouse, sb, gl):
    """A crash after GitLab created the issue but before the outcome was recorded."""
    from support_ops import outbound
    from support_ops.outbound import store as ostore

    seed_ratings(warehouse)
    out = issues.run(warehouse, gl=gl, now=NOW, max_issues=1)
    assert out["created"] == 1
    with warehouse.begin() as conn:  # as if the task died between the effect and its record
        conn.execute(update(outbound_plans).where(outbound_plans.c.plan_id == out["plan_id"])
                     .values(status="planned"))
    ostore.mark(warehouse, out["plan_id"], ["feedback:issue:1"], status="pending")
    fstore.forget_all(warehouse)
    with issues.use_client(gl):
        result = outbound.apply(warehouse, out["plan_id"], writer=issues.WRITER)
    assert result.statuses["feedback:issue:1"] == "applied" and len(all_issues(gl)) == 1


def test_command_line_dry_run_then_status(warehouse, sb, gl, capsys):
    from support_ops.cli import main

    seed_ratings(warehouse)
    capsys.readouterr()
    assert main(["feedback", "run", "--dry-run", "--max-issues", "3"]) == 0
    printed = capsys.readouterr().out
    out = json.loads(printed[printed.index("{\n"):])
    assert out["dry_run"] is True and out["to_create"] == 3 and out["deferred"] == 4 and all_issues(gl) == []
    assert main(["feedback", "status"]) == 0
    assert "none recorded yet" in capsys.readouterr().out
    issues.run(warehouse, gl=gl, now=NOW)
    export.run(warehouse, gl=gl)
    assert main(["feedback", "status"]) == 0
    text = capsys.readouterr().out
    assert "Feedback issues: 7 in GitLab, 7 open (bad 6, good 1)" in text
    assert "Feedback export: 1 commit(s)" in text


def test_above_the_circuit_breaker_nothing_is_sent(warehouse, sb, gl, monkeypatch):
    from support_ops import outbound

    seed_ratings(warehouse)
    monkeypatch.setenv("SUPPORT_OPS_FEEDBACK_ISSUES_MAX_CHANGES", "3")
    with pytest.raises(outbound.CapExceeded, match="7 changes planned, above the cap of 3.*max_issues"):
        issues.run(warehouse, gl=gl, now=NOW)
    assert all_issues(gl) == [] and fstore.mappings(warehouse) == {}
    assert issues.run(warehouse, gl=gl, now=NOW, max_issues=3)["created"] == 3
