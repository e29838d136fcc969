"""The organization sync against the sandbox with the real client session (the Zendesk hook's),
warehouse on SQLite and PostgreSQL: drift fixed, reruns write nothing, dry runs and the cap
write nothing, and job errors, 429s, 5xx, expired job statuses and a crash between
`update_many` and the job poll leave the audit true while a rerun completes the work once."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import func, select

from sandbox.core.collections import MANIFEST_KEY, SF_ACCOUNT, ZD_ORGANIZATIONS
from support_ops.clients.salesforce import salesforce_client
from support_ops.clients.salesforce_ids import to18
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.extract.salesforce import extract_accounts
from support_ops.extract.zendesk import extract_all
from support_ops.org_sync import (
    SyncCapped,
    SyncFailed,
    apply_run,
    plan_run,
    rules,
    runs,
    verify_run,
)
from support_ops.org_sync.tables import org_sync_changes
from support_ops.org_sync.target import SyncZendeskOrganizations, install
from support_ops.outbound.tables import outbound_writes
from tests.conftest import use_sandbox

UPDATE_MANY = "PUT /api/v2/organizations/update_many.json"


class SimulatedCrash(BaseException):
    """Stands for the worker dying: not an Exception, so nothing on the way catches it."""


@pytest.fixture
def sb(sandbox_factory, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    install()  # the default target (tests may install a configured one)
    yield sb
    install()


def refresh(engine) -> None:
    extract_all(engine, SupportZendeskHook(), names=["organizations"], start_time=0)
    extract_accounts(engine, salesforce_client())


def zd(sb, path: str, **body) -> dict:
    url = sb.config.base_url("zendesk") + path
    resp = requests.post(url, json=body, timeout=10) if body else requests.get(url, timeout=10)
    resp.raise_for_status()
    return resp.json()


def calls(sb) -> dict[str, int]:
    return zd(sb, "/_sandbox/stats")["calls"]


def org_docs(sb) -> dict[int, dict]:
    return {int(o["id"]): o for o in sb.store.all(ZD_ORGANIZATIONS)}


def expected_fields(sb) -> dict[int, dict]:
    """What every synced organization must hold after a run, computed here from the sandbox's
    own documents with the rules written out again (not the sync's code)."""
    accounts = [a for a in sb.store.all(SF_ACCOUNT) if a.get("Type") == "Customer" and not a.get("IsDeleted")]
    names: dict[str, int] = {}
    for a in accounts:
        key = " ".join(a["Name"].casefold().split())
        names[key] = names.get(key, 0) + 1
    live = [o for o in sb.store.all(ZD_ORGANIZATIONS) if not o.get("deleted_at")]
    out = {}
    for a in accounts:
        if names[" ".join(a["Name"].casefold().split())] > 1:
            continue
        linked = [o for o in live if ((o["organization_fields"] or {}).get("salesforce_id") or "")[:15] == a["Id"][:15]]
        if len(linked) != 1 or str(a.get("Zendesk_Organization_ID__c")) != str(linked[0]["id"]):
            continue
        o = linked[0]
        if " ".join((a.get("Zendesk_Organization_Name__c") or "").casefold().split()) != \
                " ".join(o["name"].casefold().split()):
            continue
        if any(not rules.valid_host(d) for d in o.get("domain_names") or []):
            continue
        want = {"salesforce_id": a["Id"], "account_type": a["Type"].lower()}
        if a.get("Support_Level__c"):
            want["support_level"] = a["Support_Level__c"].lower()
        for zf, sf in (("aar", "CARR_This_Account__c"), ("number_of_seats", "Number_of_Licenses_This_Account__c"),
                       ("market_segment", "Market_Segment__c"), ("sales_segmentation", "Sales_Segmentation__c"),
                       ("technical_account_manager", "Technical_Account_Manager_Name__c")):
            if a.get(sf) not in (None, ""):
                want[zf] = a[sf]
        want["account_owner"] = a["Owner"]["Name"]
        out[int(o["id"])] = want
    return out


def holds(org: dict, want: dict) -> bool:
    have = org.get("organization_fields") or {}
    return all(rules.same_value(rules.BY_FIELD[f], have.get(f), v) for f, v in want.items())


def writes(engine, **where) -> int:
    q = select(func.count()).select_from(outbound_writes).where(outbound_writes.c.writer == "org_sync")
    for k, v in where.items():
        q = q.where(outbound_writes.c[k] == v)
    with engine.connect() as conn:
        return conn.execute(q).scalar_one()


def test_a_run_fixes_the_planted_drift_and_a_second_run_writes_nothing(sb, warehouse):
    notes = sb.store.get_meta(MANIFEST_KEY)["notes"]
    before = org_docs(sb)
    refresh(warehouse)
    planned = plan_run(warehouse)
    counts = planned["counts"]
    assert counts["changed_organizations"] > 0
    assert counts["changes_per_field"]["salesforce_id"] == len(notes["short_salesforce_id_orgs"])
    assert counts["skipped_by_reason"]["duplicate_account"] >= 2 and counts["skipped_by_reason"]["invalid_org_domain"] > 0
    expected = expected_fields(sb)
    drifted = {oid for oid, want in expected.items() if not holds(before[oid], want)}
    assert drifted and {c["organization_id"] for c in runs.changes(warehouse, planned["run_id"])} == drifted

    stats0 = calls(sb)
    applied = apply_run(warehouse, planned["run_id"])
    assert applied["status"] == "applied" and applied["organizations"]["applied"] == len(drifted)
    assert calls(sb).get(UPDATE_MANY, 0) - stats0.get(UPDATE_MANY, 0) == -(-len(drifted) // 100)
    assert verify_run(warehouse, planned["run_id"]) == {"run_id": planned["run_id"], "verified": len(drifted),
                                                        "mismatches": 0}
    after = org_docs(sb)
    assert all(holds(after[oid], want) for oid, want in expected.items())
    for oid in notes["short_salesforce_id_orgs"]:  # 15 characters rewritten to 18
        sfid = after[oid]["organization_fields"]["salesforce_id"]
        assert len(sfid) == 18 and sfid == to18(before[oid]["organization_fields"]["salesforce_id"])
    untouched = set(before) - drifted  # skipped, out of scope, deleted, already right: byte for byte
    assert all(after[o] == before[o] for o in untouched)
    assert set(notes["deleted_orgs"]) <= untouched
    for oid in drifted:  # only organization_fields were written
        assert {k: v for k, v in after[oid].items() if k not in ("organization_fields", "updated_at")} == \
               {k: v for k, v in before[oid].items() if k not in ("organization_fields", "updated_at")}
    with warehouse.connect() as conn:
        statuses = set(conn.execute(select(org_sync_changes.c.status).where(
            org_sync_changes.c.run_id == planned["run_id"])).scalars())
    assert statuses == {"applied"}

    # Second run on unchanged data: plans nothing, writes nothing.
    n_writes = writes(warehouse)
    refresh(warehouse)
    second = plan_run(warehouse)
    assert second["counts"]["changed_organizations"] == 0
    stats1 = calls(sb)
    assert apply_run(warehouse, second["run_id"])["organizations"]["applied"] == 0
    assert calls(sb).get(UPDATE_MANY, 0) == stats1.get(UPDATE_MANY, 0)
    assert writes(warehouse) == n_writes and org_docs(sb) == after


def test_a_dry_run_writes_nothing_and_records_the_plan(sb, warehouse):
    before = org_docs(sb)
    refresh(warehouse)
    planned = plan_run(warehouse, dry_run=True)
    assert planned["dry_run"] and planned["counts"]["changed_organizations"] > 0
    assert apply_run(warehouse, planned["run_id"])["status"] == "dry_run"
    assert org_docs(sb) == before and calls(sb).get(UPDATE_MANY, 0) == 0
    rows = runs.changes(warehouse, planned["run_id"])
    assert rows and {r["status"] for r in rows} == {"dry_run"}
    assert runs.load_run(warehouse, planned["run_id"])["status"] == "dry_run"
    assert writes(warehouse, status="dry_run") == planned["counts"]["changed_organizations"]
    assert len(runs.skips(warehouse, planned["run_id"])) == planned["counts"]["skipped"]


def test_a_run_over_the_cap_writes_nothing_until_approved(sb, warehouse):
    before = org_docs(sb)
    refresh(warehouse)
    planned = plan_run(warehouse, max_changes=1)
    n = planned["counts"]["changed_organizations"]
    assert n > 1 and planned["counts"]["over_cap"]
    with pytest.raises(SyncCapped, match=rf"{n} organizations to change, above the cap of 1; nothing was written"
                                         r".*max_changes.*at least " + str(n)):
        apply_run(warehouse, planned["run_id"])
    assert org_docs(sb) == before and calls(sb).get(UPDATE_MANY, 0) == 0
    run = runs.load_run(warehouse, planned["run_id"])
    assert run["status"] == "capped" and "SUPPORT_OPS_SYNC_MAX_CHANGES" in run["error"]
    assert {r["status"] for r in runs.changes(warehouse, planned["run_id"])} == {"planned"}  # the plan is kept
    # approving: the same plan, applied with a cap that covers it
    assert apply_run(warehouse, planned["run_id"], max_changes=n)["organizations"]["applied"] == n


def test_setting_caps_the_sync(sb, warehouse, monkeypatch):
    monkeypatch.setenv("SUPPORT_OPS_SYNC_MAX_CHANGES", "2")
    refresh(warehouse)
    planned = plan_run(warehouse)
    with pytest.raises(SyncCapped, match="above the cap of 2"):
        apply_run(warehouse, planned["run_id"])


def test_job_errors_429s_5xx_expired_jobs_and_a_crash_leave_the_audit_true(sb, warehouse, monkeypatch):
    refresh(warehouse)
    planned = plan_run(warehouse)
    run_id = planned["run_id"]
    orgs = sorted({c["organization_id"] for c in runs.changes(warehouse, run_id)})
    assert len(orgs) >= 3
    fail_once, fail_twice = orgs[0], orgs[1]
    sb.store.set_meta("zendesk.jobs", {"fail": {str(fail_once): 1, str(fail_twice): 2}})
    zd(sb, "/_sandbox/realism", faults={"seed": 3, "rate_429": 0.15, "burst_429": 3, "rate_5xx": 0.15,
                                        "retry_after": 0})

    # 1. The worker dies between update_many and the job poll: intents stay pending.
    def crash(job: dict) -> None:
        raise SimulatedCrash(job["id"])

    install(SyncZendeskOrganizations(after_submit=crash, poll_interval=0.01))
    with pytest.raises(SimulatedCrash):
        apply_run(warehouse, run_id)
    assert writes(warehouse, status="pending") == len(orgs)  # the audit says: sent, outcome unknown
    puts = calls(sb).get(UPDATE_MANY, 0)
    assert puts >= 1

    # 2. Rerun: reads Zendesk back (after the job finished), records what landed, resends only
    #    the organizations whose update failed in the job.
    install(SyncZendeskOrganizations(poll_interval=0.01))
    with pytest.raises(SyncFailed, match=f"organization {fail_twice}"):
        apply_run(warehouse, run_id)
    with warehouse.connect() as conn:
        reconciled = conn.execute(select(func.count()).select_from(outbound_writes).where(
            outbound_writes.c.writer == "org_sync", outbound_writes.c.reconciled.is_(True))).scalar_one()
    assert reconciled == len(orgs) - 2  # found applied by reading back: not sent again
    per = runs.status_counts(warehouse, run_id)
    assert per["failed"] == 1 and per["applied"] == len(orgs) - 1
    failed = runs.changes(warehouse, run_id, statuses=["failed"])
    assert {r["organization_id"] for r in failed} == {fail_twice}
    assert all("sandbox injected failure" in r["error"] for r in failed)

    faults = zd(sb, "/_sandbox/stats")["faults"]  # (reconfiguring realism below resets the counters)
    assert faults.get("429", 0) > 0 and sum(faults.get(c, 0) for c in ("500", "502", "503")) > 0

    # 3. Job statuses expire: the result is settled by reading the organization back.
    sb.store.set_meta("zendesk.jobs", {"ttl": -1})
    zd(sb, "/_sandbox/realism", faults={"rate_429": 0.0, "rate_5xx": 0.0})
    before_puts = calls(sb).get(UPDATE_MANY, 0)
    assert apply_run(warehouse, run_id)["status"] == "applied"
    assert calls(sb).get(UPDATE_MANY, 0) == before_puts + 1  # only the one still failed
    assert runs.status_counts(warehouse, run_id)["applied"] == len(orgs)
    assert verify_run(warehouse, run_id)["mismatches"] == 0
    # nothing written twice: every organization applied exactly once across the attempts
    with warehouse.connect() as conn:
        rows = conn.execute(select(outbound_writes.c.status, outbound_writes.c.attempts).where(
            outbound_writes.c.writer == "org_sync")).all()
    assert {s for s, _ in rows} == {"applied"} and len(rows) == len(orgs)
    # a third apply and a fresh run write nothing
    sb.store.set_meta("zendesk.jobs", {})
    final = calls(sb).get(UPDATE_MANY, 0)
    apply_run(warehouse, run_id)
    refresh(warehouse)
    assert plan_run(warehouse)["counts"]["changed_organizations"] == 0
    assert calls(sb).get(UPDATE_MANY, 0) == final


def test_report_page_slack_summary_and_cli(sb, warehouse, capsys):
    from support_ops.cli import main
    from support_ops.config import settings
    from support_ops.org_sync.report import summary_text, write_report
    from support_ops.reports import registry

    refresh(warehouse)
    planned = plan_run(warehouse, max_changes=1)
    with pytest.raises(SyncCapped):
        apply_run(warehouse, planned["run_id"])
    # an organization name written by a customer is text, never markup
    victim = {"id": runs.changes(warehouse, planned["run_id"])[0]["organization_id"]}
    from sqlalchemy import update

    from support_ops.extract.tables import zd_organizations
    with warehouse.begin() as conn:
        conn.execute(update(zd_organizations).where(zd_organizations.c.id == victim["id"])
                     .values(name="<script>alert(1)</script> @here"))
    out = write_report(warehouse, planned["run_id"])
    text = open(out["path"], encoding="utf-8").read()
    assert out["url"].endswith(f"/support-ops/reports/org_sync/{planned['run_id']}/index.html")
    assert "capped" in text and "Nothing was written" in text and "max_changes" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; @here" in text
    for c in runs.changes(warehouse, planned["run_id"]):
        assert f"/agent/organizations/{c['organization_id']}" in text
        assert f"/lightning/r/Account/{c['account_id']}/view" in text
    assert (settings().reports_dir / "org_sync" / "latest" / "index.html").exists()
    cards = {k: h for k, _, h in registry.read_all(settings().reports_dir)}
    assert cards["org_sync"] is not None and cards["org_sync"].status == "bad"
    slack = summary_text(warehouse, planned["run_id"], out["url"])
    assert slack.startswith(f"*Organization sync {planned['run_id']}*: capped") and out["url"] in slack

    assert main(["org-sync", "plan", "--json", "--limit", "0"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["run"]["dry_run"] is True
    assert len({c["organization_id"] for c in body["changes"]}) == planned["counts"]["changed_organizations"]
    assert main(["org-sync", "show", planned["run_id"]]) == 0
    shown = capsys.readouterr().out
    assert f"Organization sync {planned['run_id']}: capped" in shown and "skipped duplicate_account" in shown
    assert main(["org-sync", "runs"]) == 0 and planned["run_id"] in capsys.readouterr().out


def test_create_missing_creates_each_organization_once(sb, warehouse):
    refresh(warehouse)
    plain = plan_run(warehouse, dry_run=True)
    assert plain["counts"]["to_create"] == 0  # off by default: "create new records in None"
    planned = plan_run(warehouse, create_missing=True)
    missing = [s for s in runs.skips(warehouse, planned["run_id"]) if s["reason"] == "no_organization"]
    assert missing and planned["counts"]["to_create"] == len(missing)
    n_orgs = len(org_docs(sb))
    accounts = {a["Id"]: a for a in sb.store.all(SF_ACCOUNT)}
    taken = {o["name"] for o in org_docs(sb).values()}
    creatable = [s for s in missing if accounts[s["account_id"]]["Name"].strip() not in taken]
    result = apply_run(warehouse, planned["run_id"], raise_on_failure=False)
    run = runs.load_run(warehouse, planned["run_id"])
    assert run["counts"]["created"] == len(creatable) > 0
    assert run["counts"]["create_failed"] == len(missing) - len(creatable)
    assert result["status"] == ("applied" if len(creatable) == len(missing) else "failed")
    if len(creatable) < len(missing):
        assert "has already been taken" in run["error"]  # Zendesk's per-item error, recorded
    after = org_docs(sb)
    assert len(after) == n_orgs + len(creatable)
    skips = {s["account_id"]: s for s in runs.skips(warehouse, planned["run_id"])}
    for s in creatable:
        org = after[skips[s["account_id"]]["organization_id"]]
        acc = accounts[s["account_id"]]
        assert org["name"] == acc["Name"].strip() and org["external_id"] == acc["Id"]
        assert org["organization_fields"]["salesforce_id"] == acc["Id"]
        assert org["organization_fields"]["account_type"] == "customer"
    assert verify_run(warehouse, planned["run_id"])["mismatches"] == 0
    apply_run(warehouse, planned["run_id"], raise_on_failure=False)  # a rerun of the task creates nothing twice
    assert len(org_docs(sb)) == n_orgs + len(creatable)
    again = plan_run(warehouse, create_missing=True)  # now linked: only the refused ones are left
    assert again["counts"]["to_create"] == len(missing) - len(creatable)
