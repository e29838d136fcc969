"""The on-call run with the real `pagerduty` client against the sandbox's seeded account, on
SQLite and PostgreSQL: the roster, the planted findings and nothing else, first_seen kept."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.pagerduty.seed import planted_oncall_findings, seed_pagerduty
from support_ops.clients.pagerduty import rest_client
from support_ops.oncall import store
from support_ops.oncall.runner import run_oncall
from tests.conftest import use_sandbox

SEED_NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pd_sandbox(sandbox_factory):
    return sandbox_factory(populate=lambda s, cfg: seed_pagerduty(s, SEED_NOW))


@pytest.fixture
def client(monkeypatch, pd_sandbox):
    use_sandbox(monkeypatch, pd_sandbox)
    return rest_client()


def test_the_seeded_account_has_the_planted_findings_and_no_other(client, warehouse):
    summary = run_oncall(warehouse, client, SEED_NOW)
    found = {(f["check_name"], f["entity_id"], f["item"])
             for f in store.load_findings(warehouse, SEED_NOW.date())}
    planted = {(p["check_name"], p["entity_id"], p["item"]) for p in planted_oncall_findings(SEED_NOW)}
    assert found == planted
    assert summary["findings"] == len(planted)
    assert summary["schedules"] >= 12 and summary["shifts"] > 0


def test_the_roster_and_who_is_on_call_now(client, warehouse):
    run_oncall(warehouse, client, SEED_NOW)
    shifts = store.load_shifts(warehouse, SEED_NOW, SEED_NOW + dt.timedelta(days=14))
    amer = [s for s in shifts if s["schedule_name"] == "Customer Emergencies - AMER"]
    # AMER's hours every day of the 14: 15:00-23:00 UTC, one person a week
    assert len(amer) == 14
    assert all(s["start"].hour == 15 and s["end"].hour == 23 for s in amer[1:])
    assert all(s["user_email"] and s["user_email"].endswith("@example.com") for s in shifts)
    run = store.load_run(warehouse)
    digest = {d["service"]: d for d in run["now_on_call"]}
    assert set(digest) == {"Customer Support", "Customer Support - US Federal", "Support Managers"}
    # 12:00 UTC is EMEA's hours: the Customer Support policy's first level is EMEA's engineer
    [person] = digest["Customer Support"]["people"]
    assert person["schedule"] == "Customer Emergencies - EMEA"
    emea_now = [s for s in shifts if s["schedule_name"] == "Customer Emergencies - EMEA"
                and s["start"] <= SEED_NOW < s["end"]]
    assert [person["user_id"]] == [s["user_id"] for s in emea_now]


def test_first_seen_is_carried_and_a_rerun_replaces_the_run(client, warehouse):
    day2 = SEED_NOW + dt.timedelta(days=1)
    run_oncall(warehouse, client, SEED_NOW)
    run_oncall(warehouse, client, day2)
    again = run_oncall(warehouse, client, day2)
    rows = store.load_findings(warehouse, day2.date())
    assert rows and all(r["first_seen"] == SEED_NOW.date() for r in rows if r["check_name"] != "coverage_gap"
                        or r["item"] > SEED_NOW.isoformat())
    assert again["new"] == 0 and again["resolved"] == 0
    assert len(rows) == again["findings"]


def test_the_command_line_audit_prints_findings_per_check_and_who_is_on_call(client, warehouse, capsys):
    from support_ops.cli import main

    assert main(["oncall", "audit", "--as-of", "2026-11-20T12:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "On-call audit 2026-11-20" in out
    assert "  policy_missing                1" in out and "Customer Support - FRT Hawk" in out
    assert "On call at 2026-11-20 12:00 UTC:" in out and "(Customer Emergencies - EMEA)" in out
    assert "/support-ops/reports/oncall/2026-11-20/index.html" in out
    assert main(["oncall", "show", "2026-11-20"]) == 0
    assert main(["oncall", "show", "2026-01-01"]) == 1
