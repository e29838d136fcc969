"""Ticket records against the sandbox with the real clients (simple-salesforce, the Zendesk
hook's session), warehouse on SQLite and PostgreSQL: the planted missing and stale records are
found, the backfill upserts exactly the missing ones (and a dry run none), and the health checks
fail when the trigger is switched off."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core.collections import MANIFEST_KEY
from support_ops.clients.salesforce import salesforce_client
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.ticket_records import runner
from support_ops.ticket_records.tables import ticket_record_findings
from tests.conftest import use_sandbox

AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def sb(sandbox_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path))
    return use_sandbox(monkeypatch, sandbox_factory(populate="generate"))


def findings(engine, day) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for r in conn.execute(ticket_record_findings.select().where(ticket_record_findings.c.run_date == day)):
            out.setdefault(r.check_name, []).append(r.entity_id)
    return {k: sorted(v) for k, v in out.items()}


def go(engine, day, **kw):
    return runner.run(engine, sf=salesforce_client(), zendesk=SupportZendeskHook().api_session(), as_of=AS_OF,
                      run_date=day, **kw)


def test_planted_problems_found_backfill_fixes_exactly_the_missing(sb, warehouse):
    planted = sb.store.get_meta(MANIFEST_KEY)["ticket_records"]
    go(warehouse, dt.date(2026, 11, 20))
    got = findings(warehouse, dt.date(2026, 11, 20))
    assert got.get("missing_record") == sorted(map(str, planted["missing"]))
    assert got.get("stale_status") == sorted(map(str, planted["stale"]))
    assert got.get("wrong_account") == sorted(map(str, planted["wrong_account"]))
    assert not {k for k in got if k.startswith("salesforce_") or k == "field_not_readable"}
    before = sb.store.count("sf_Zendesk__Zendesk_Ticket__c")
    dry = go(warehouse, dt.date(2026, 11, 21), backfill=True, dry_run=True, do_refresh=False)
    assert dry["backfill"]["status"] == "dry_run"
    assert sb.store.count("sf_Zendesk__Zendesk_Ticket__c") == before
    done = go(warehouse, dt.date(2026, 11, 22), backfill=True, do_refresh=False)
    assert done["backfill"]["counts"] == {"applied": len(planted["missing"])}
    assert sb.store.count("sf_Zendesk__Zendesk_Ticket__c") == before + len(planted["missing"])
    go(warehouse, dt.date(2026, 11, 23), do_refresh=False)
    after = findings(warehouse, dt.date(2026, 11, 23))
    assert "missing_record" not in after
    assert after.get("stale_status") == sorted(map(str, planted["stale"]))  # a backfill adds, never rewrites


def test_health_checks_fail_when_the_trigger_is_switched_off(sb, warehouse):
    planted = sb.store.get_meta(MANIFEST_KEY)["ticket_records"]
    session, api = SupportZendeskHook().api_session()
    resp = session.put(f"{api}/triggers/{planted['trigger_id']}.json", json={"trigger": {"active": False}}, timeout=30)
    resp.raise_for_status()
    result = go(warehouse, dt.date(2026, 11, 20))
    assert result["health"]["salesforce_trigger_inactive"] is False
    assert findings(warehouse, dt.date(2026, 11, 20))["salesforce_trigger_inactive"] == [str(planted["trigger_id"])]
