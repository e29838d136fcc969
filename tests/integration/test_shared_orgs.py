"""Shared organizations against the sandbox with the real clients (zenpy's session through the
Zendesk hook, python-gitlab), warehouse on SQLite and PostgreSQL: the audit finds exactly the
planted cases; an approved request is applied, commented and closed; a dry run changes nothing;
a second apply changes nothing; refusals leave the reason on the issue."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from sandbox.collections import MANIFEST_KEY, ZD_ORGANIZATIONS
from support_ops.outbound.gitlab import gitlab_client
from support_ops.sharing import store
from support_ops.sharing.requests import support_ops_project
from support_ops.sharing.runner import audit_run
from support_ops.warehouse.schema import shared_org_findings
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
