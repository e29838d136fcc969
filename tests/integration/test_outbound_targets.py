"""The outbound layer's real targets against the sandbox, through the real client libraries
(Zendesk REST via the ZendeskHook session, python-gitlab, simple-salesforce, pagerduty).

Each test applies a write whose first attempt crashes right after the effect reached the system
(a BaseException raised after the target's send returned: what a killed worker leaves behind),
then reruns: targets that can be read back find the effect and record it as applied instead of
writing again; PagerDuty (at least once) sends again and its dedup_key keeps one incident.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from support_ops import outbound
from support_ops.outbound import Writer
from support_ops.outbound import gitlab as gl_writes
from support_ops.outbound import pagerduty as pd_writes
from support_ops.outbound import salesforce as sf_writes
from support_ops.outbound import targets as registry
from support_ops.outbound import zendesk as zd_writes
from tests.conftest import use_sandbox


class Crash(BaseException):
    pass


def crashing(base: type) -> type:
    """A subclass of a real target that dies after its effect, and counts sends and read-backs."""

    class Crashing(base):
        crash = False
        sends = 0
        reads = 0

        def send(self, writes):
            type(self).sends += 1
            out = super().send(writes)
            if type(self).crash:
                raise Crash()
            return out

        def reconcile(self, writes):
            type(self).reads += 1
            return super().reconcile(writes)

    return Crashing


@pytest.fixture
def swap_target():
    """Register a crashing copy of a real target under its name; put the real one back after."""
    swapped: list[registry.Target] = []

    def swap(base: type) -> type:
        cls = crashing(base)
        swapped.append(registry.get(base.name))
        registry.register(cls())
        return cls

    yield swap
    for original in swapped:
        registry.register(original)


def crash_then_rerun(engine, writer: Writer, make_writes, target_cls) -> outbound.ApplyResult:
    target_cls.crash = True
    with pytest.raises(Crash):
        outbound.execute(engine, writer, make_writes())
    target_cls.crash = False
    return outbound.execute(engine, writer, make_writes())


# -- Zendesk ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zd_sandbox(sandbox_factory):
    return sandbox_factory(populate="generate")


def zd_session():
    from support_ops.clients.zendesk import SupportZendeskHook

    return SupportZendeskHook().api_session()


def test_zendesk_update_many_crash_is_reconciled_not_resent(zd_sandbox, warehouse, monkeypatch, swap_target):
    use_sandbox(monkeypatch, zd_sandbox)
    session, api = zd_session()
    orgs = session.get(f"{api}/organizations.json", params={"per_page": 3}, timeout=30).json()["organizations"]
    ids = [o["id"] for o in orgs[:3]]
    writer = Writer("test_org_sync", "zendesk", default_cap=10)
    value = f"tam-{dt.datetime.now(dt.UTC).timestamp():.0f}"

    def make():
        return [zd_writes.organization_update(f"zendesk:org:{i}:tam:{value}", i, {"technical_account_manager": value},
                                              before={"technical_account_manager": None}) for i in ids[:2]]

    cls = swap_target(zd_writes.ZendeskOrganizations)
    result = crash_then_rerun(warehouse, writer, make, cls)
    assert cls.sends == 1 and cls.reads == 1  # one update_many; the rerun only read back
    assert set(result.statuses.values()) == {"applied"}
    rows = [r for r in outbound.audit(warehouse, writer="test_org_sync") if r["status"] == "applied"]
    assert len(rows) == 2 and all(r["reconciled"] for r in rows)
    shown = session.get(f"{api}/organizations/show_many.json", params={"ids": ",".join(map(str, ids[:2]))},
                        timeout=30).json()["organizations"]
    assert {o["organization_fields"]["technical_account_manager"] for o in shown} == {value}

    # A write not on Zendesk yet (its organization still holds the old value) is read back, then sent.
    cls.sends = cls.reads = 0
    late = [zd_writes.organization_update(f"zendesk:org:{ids[2]}:tam:{value}", ids[2],
                                          {"technical_account_manager": value})]
    cls.crash = True
    with pytest.raises(Crash):
        outbound.execute(warehouse, writer, late)
    cls.crash = False
    session.put(f"{api}/organizations/update_many.json", timeout=30, json={"organizations": [
        {"id": ids[2], "organization_fields": {"technical_account_manager": "someone else"}}]}).raise_for_status()
    result = outbound.execute(warehouse, writer, late)
    assert result.statuses == {late[0].key: "applied"} and cls.reads == 1 and cls.sends == 2


def test_zendesk_errors_per_organization_are_recorded(zd_sandbox, warehouse, monkeypatch):
    use_sandbox(monkeypatch, zd_sandbox)
    writer = Writer("test_org_sync", "zendesk", default_cap=10)
    bad = [zd_writes.organization_update("zendesk:org:999999999:x", 999999999, {"market_segment": "x"})]
    with pytest.raises(outbound.WritesFailed, match="RecordNotFound"):
        outbound.execute(warehouse, writer, bad)


# -- GitLab ----------------------------------------------------------------------------------
@pytest.fixture  # one per test: each warehouse variant starts from an empty system
def gl_sandbox(sandbox_factory):
    from sandbox.gitlab.seed import seed_gitlab

    return sandbox_factory(populate=lambda store, cfg: seed_gitlab(store))


FEEDBACK = "gitlab-com/support/feedback"


def test_gitlab_issue_note_and_commit_crashes_are_reconciled(gl_sandbox, warehouse, monkeypatch, swap_target):
    use_sandbox(monkeypatch, gl_sandbox)
    writer = Writer("test_feedback", "gitlab", default_cap=10)
    cls = swap_target(gl_writes.GitLabTarget)

    def make_issue():
        return [gl_writes.issue("gitlab:feedback:rating:77", FEEDBACK, "Feedback on ticket #1234 (bad)",
                                "A customer said: the answer was late.", labels=["satisfaction::bad"])]

    result = crash_then_rerun(warehouse, writer, make_issue, cls)
    assert result.statuses == {"gitlab:feedback:rating:77": "applied"} and cls.sends == 1
    client = gl_writes.gitlab_client()
    project = client.projects.get(FEEDBACK)
    found = project.issues.list(search="Feedback on ticket #1234", get_all=True)
    assert len(found) == 1  # not two issues
    (row,) = [r for r in outbound.audit(warehouse, writer="test_feedback") if r["status"] == "applied"]
    assert row["reconciled"] is True and row["result"]["iid"] == found[0].iid
    assert "<!-- support-ops:write:gitlab:feedback:rating:77 -->" in found[0].description

    iid = found[0].iid
    cls.sends = 0
    result = crash_then_rerun(warehouse, writer, lambda: [gl_writes.note(
        "gitlab:feedback:rating:77:note:1", FEEDBACK, iid, "The rating changed to good.")], cls)
    assert cls.sends == 1 and set(result.statuses.values()) == {"applied"}
    assert len(project.issues.get(iid).notes.list(get_all=True)) == 1

    cls.sends = 0
    files = {"feedback/2026-11.csv": "rating_id,ticket_id\n77,1234\n"}
    result = crash_then_rerun(warehouse, writer, lambda: [gl_writes.commit(
        "gitlab:feedback:export:2026-11:abc", FEEDBACK, "main", "Feedback export 2026-11", files)], cls)
    assert cls.sends == 1 and set(result.statuses.values()) == {"applied"}
    assert project.files.raw(file_path="feedback/2026-11.csv", ref="main").decode() == files["feedback/2026-11.csv"]

    cls.sends = 0
    result = crash_then_rerun(warehouse, writer, lambda: [gl_writes.issue_update(
        "gitlab:feedback:rating:77:close", FEEDBACK, iid, {"state_event": "close"}, {"state": "closed"})], cls)
    assert cls.sends == 1 and project.issues.get(iid).state == "closed"


def test_gitlab_markers_refuse_keys_that_could_break_the_comment():
    with pytest.raises(ValueError):
        gl_writes.marker_for("a--> <script>")


# -- Salesforce ------------------------------------------------------------------------------
@pytest.fixture  # one per test: each warehouse variant starts from an empty system
def sf_sandbox(sandbox_factory):
    return sandbox_factory(populate="generate")


def test_salesforce_upsert_crash_is_reconciled(sf_sandbox, warehouse, monkeypatch, swap_target):
    use_sandbox(monkeypatch, sf_sandbox)
    writer = Writer("test_ticket_records", "salesforce", default_cap=10)
    cls = swap_target(sf_writes.SalesforceUpsert)

    def make():
        return [sf_writes.upsert("salesforce:ticket:4343", "Zendesk_Ticket__c", "Zendesk_Ticket_ID__c", "4343",
                                 {"Subject__c": "Printer on fire"})]

    result = crash_then_rerun(warehouse, writer, make, cls)
    assert result.statuses == {"salesforce:ticket:4343": "applied"} and cls.sends == 1 and cls.reads == 1
    from support_ops.clients.salesforce import salesforce_client

    rec = salesforce_client().Zendesk_Ticket__c.get_by_custom_id("Zendesk_Ticket_ID__c", "4343")
    assert rec["Subject__c"] == "Printer on fire"


# -- PagerDuty -------------------------------------------------------------------------------
@pytest.fixture  # one per test: each warehouse variant starts from an empty system
def pd_sandbox(sandbox_factory):
    from sandbox.pagerduty.seed import seed_pagerduty

    return sandbox_factory(populate=lambda store, cfg: seed_pagerduty(store, dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)))


def test_pagerduty_event_is_at_least_once_and_deduplicated(pd_sandbox, warehouse, monkeypatch, swap_target):
    use_sandbox(monkeypatch, pd_sandbox)
    writer = Writer("test_breach_alerts", "pagerduty", default_cap=10)
    cls = swap_target(pd_writes.PagerDutyEvents)
    result = crash_then_rerun(warehouse, writer, lambda: [pd_writes.event(
        "pagerduty:sla:ticket:123:reply_time:1", "Premium ticket 123 breaches in 2h", severity="critical")], cls)
    assert cls.sends == 2 and set(result.statuses.values()) == {"applied"}  # sent again: at least once
    rest = json.loads(pd_sandbox.env["AIRFLOW_CONN_PAGERDUTY_DEFAULT"])
    r = requests.get(rest["extra"]["base_url"] + "/incidents", timeout=10,
                     headers={"Authorization": f"Token token={rest['password']}",
                              "Accept": "application/vnd.pagerduty+json;version=2"})
    r.raise_for_status()
    mine = [i for i in r.json()["incidents"] if i["incident_key"] == "pagerduty:sla:ticket:123:reply_time:1"]
    assert len(mine) == 1  # PagerDuty's dedup_key folded the second event into the same incident
