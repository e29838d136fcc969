"""Shared organizations against the sandbox with the real clients (zenpy's session through the
Zendesk hook, python-gitlab), warehouse on SQLite and PostgreSQL: the audit finds exactly the
planted cases; an approved request is applied, commented and closed; a dry run changes nothing;
a second apply changes nothing; refusals leave the reason on the issue."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sandbox.core.collections import MANIFEST_KEY, ZD_ORGANIZATIONS
from support_ops.outbound.gitlab import gitlab_client
from support_ops.sharing import store
from support_ops.sharing.requests import support_ops_project
from support_ops.sharing.runner import audit_run
from support_ops.sharing.tables import shared_org_findings
from tests.conftest import use_sandbox

DAY1, DAY2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


@pytest.fixture
def sb(sandbox_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path))
    return use_sandbox(monkeypatch, sandbox_factory(populate="generate"))


def found(engine, day):
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for r in conn.execute(shared_org_findings.select().where(shared_org_findings.c.run_date == day)):
            out.setdefault(r.check_name, []).append(r.entity_id)
    return {k: sorted(v, key=int) for k, v in out.items()}


def test_the_audit_finds_exactly_the_planted_cases_and_keeps_first_seen(sb, warehouse):
    expected = {k: v for k, v in sb.store.get_meta(MANIFEST_KEY)["shared_orgs"]["findings"].items() if v}
    gl, project = gitlab_client(), support_ops_project()
    result = audit_run(warehouse, gl=gl, project=project, run_date=DAY1)
    assert found(warehouse, DAY1) == expected
    assert result["slack"] == "sent"
    slack = [m for m in sb.store.all("slack_messages")]
    assert len(slack) == 1
    text = slack[0].get("text") or str(slack[0])
    planted = sb.store.get_meta(MANIFEST_KEY)["shared_orgs"]["planted"]
    # the organization where everyone sees and comments comes before single users
    widest = text.find(str(planted["without_request"]["organization_id"]))
    user = text.find(str(planted["user_without_request"]["organization_id"]))
    assert 0 < widest < user
    # a second day: same findings, first_seen stays the first day; a fixed one is gone
    org = sb.store.get(ZD_ORGANIZATIONS, planted["without_request"]["organization_id"])
    changed = int(time.time()) - 300  # after the first audit, and older than the export's last minute
    org.update(shared_tickets=False, shared_comments=False,
               updated_at=dt.datetime.fromtimestamp(changed, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    sb.store.put(ZD_ORGANIZATIONS, org["id"], org, ts=changed, seq=org["id"])
    audit_run(warehouse, gl=gl, project=project, run_date=DAY2, notify=False)
    day2 = found(warehouse, DAY2)
    assert str(org["id"]) not in day2.get("shared_org_without_request", [])
    rows = store.findings_of(warehouse, DAY2)
    assert rows and all(r["first_seen"] == DAY1 for r in rows)
    run = store.run_of(warehouse, DAY2)
    assert run["changes"]["checks"]["shared_org_without_request"]["resolved"] == 1


# -- the manual apply ----------------------------------------------------------------------------
from sandbox.core.collections import GL_ISSUES, GL_NOTES, ZD_USERS  # noqa: E402
from support_ops.clients.zendesk import SupportZendeskHook  # noqa: E402
from support_ops.sharing.apply import Refused, apply_request  # noqa: E402
from support_ops.sharing.runner import refresh  # noqa: E402


def apply(sb, engine, iid, **kw):
    refresh(engine)
    session, api = SupportZendeskHook().api_session()
    return apply_request(engine, gl=gitlab_client(), project=support_ops_project(), iid=iid,
                         members=store.load_users(engine), session=session, api=api, **kw)


def notes(sb, iid):
    return [n["body"] for n in sb.store.all(GL_NOTES) if n.get("project_id") == 1002 and n.get("noteable_iid") == iid]


def issue(sb, iid):
    return sb.store.get(GL_ISSUES, f"1002:{iid}")


def access(sb, emails):
    users = {u["email"]: u for u in sb.store.all(ZD_USERS)}
    return {e: users[e]["ticket_restriction"] for e in emails}


def test_an_approved_request_is_applied_commented_and_closed_once(sb, warehouse):
    case = sb.store.get_meta(MANIFEST_KEY)["shared_orgs"]["planted"]["not_applied_selected_view"]
    iid, emails = case["issue"], case["users"]
    dry = apply(sb, warehouse, iid, dry_run=True)
    assert dry["outcome"] == "dry_run" and len(dry["changes"]) == 2
    assert access(sb, emails) == {e: "requested" for e in emails}
    assert notes(sb, iid) == [] and issue(sb, iid)["state"] == "opened"
    done = apply(sb, warehouse, iid)
    assert done["outcome"] == "applied"
    assert access(sb, emails) == {e: "organization" for e in emails}
    [body] = notes(sb, iid)
    assert "before" in body and "after" in body and emails[0].split("@")[0] in body.replace("\\", "")
    assert issue(sb, iid)["state"] == "closed"
    again = apply(sb, warehouse, iid)
    assert again == {"issue": iid, "outcome": "unchanged", "changes": []}
    assert len(notes(sb, iid)) == 1
    audit_run(warehouse, gl=gitlab_client(), project=support_ops_project(), run_date=DAY1, notify=False)
    assert str(case["organization_id"]) not in found(warehouse, DAY1).get("shared_org_request_not_applied", [])


def new_request(org_id, ticket_id, option="view_all", users="", labels=("shared-org::approved",)):
    from support_ops.sharing.requests import TEMPLATE

    text = f"```shared-org\nzendesk_ticket: {ticket_id}\norganization_id: {org_id}\noption: {option}\nusers: {users}\n```\n"
    made = gitlab_client().projects.get(support_ops_project()).issues.create(
        {"title": "Shared organization request", "description": text, "labels": ",".join([TEMPLATE, *labels])})
    return made.iid


def test_refusals_leave_the_reason_on_the_issue_and_change_nothing(sb, warehouse):
    planted = sb.store.get_meta(MANIFEST_KEY)["shared_orgs"]["planted"]
    before = {o["id"]: (o["shared_tickets"], o["shared_comments"]) for o in sb.store.all(ZD_ORGANIZATIONS)}
    tickets = {t["id"]: t for t in sb.store.all("zd_tickets") if t.get("organization_id")}
    ticket_of = {t["organization_id"]: t["id"] for t in sorted(tickets.values(), key=lambda t: t["id"])}
    org_a = planted["applied_ok"]["organization_id"]
    other = next(o for o in ticket_of if o != org_a)
    cases = [
        (planted["not_approved"]["issue"], "not approved"),
        (new_request(999_999, ticket_of[org_a]), "organization 999999 does not exist"),
        (new_request(org_a, ticket_of[other]), f"is not from organization {org_a}"),
        (new_request(org_a, ticket_of[org_a], "selected_view", "nobody@nowhere.example"), "no end user"),
    ]
    for iid, reason in cases:
        with pytest.raises(Refused, match=reason):
            apply(sb, warehouse, iid)
        assert any(reason in n for n in notes(sb, iid)), iid
        assert issue(sb, iid)["state"] == "opened"
    assert {o["id"]: (o["shared_tickets"], o["shared_comments"]) for o in sb.store.all(ZD_ORGANIZATIONS)} == before


def test_the_support_ops_project_serves_the_shipped_issue_template(sb):
    from pathlib import Path
    from urllib.parse import quote

    import support_ops.sharing as sharing
    from support_ops.sharing.requests import TEMPLATE, parse_block

    shipped = (Path(sharing.__file__).parent / "templates" / f"{TEMPLATE}.md").read_text()
    gl = gitlab_client()
    pid = gl.projects.get(support_ops_project()).id
    assert {"key": TEMPLATE, "name": TEMPLATE} in gl.http_get(f"/projects/{pid}/templates/issues")
    served = gl.http_get(f"/projects/{pid}/templates/issues/{quote(TEMPLATE)}")["content"]
    assert served == shipped
    filled = served.replace("zendesk_ticket:", "zendesk_ticket: 1").replace("organization_id:", "organization_id: 2") \
        .replace("option:\n", "option: view_all\n")
    assert parse_block(filled) == {"ticket_id": 1, "organization_id": 2, "option": "view_all", "users": ()}
