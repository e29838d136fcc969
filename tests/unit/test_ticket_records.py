"""Ticket records: the reconciliation's three findings and the Zendesk health checks, on
hand-built tickets, records, targets and triggers (docs/ticket-records.md)."""

from __future__ import annotations

import datetime as dt

from support_ops.ticket_records import health, reconcile
from support_ops.ticket_records.names import ACCOUNT, STATUS

ACC = "001000000000001AAA"
OTHER = "001000000000002AAA"
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def ticket(tid, status="open", account=ACC):
    return reconcile.Ticket(tid, status, 7, account, "s", NOW, NOW if status in ("solved", "closed") else None)


def test_missing_stale_and_wrong_account():
    tickets = [ticket(1), ticket(2, "solved"), ticket(3, "closed"), ticket(4), ticket(5, "solved", None)]
    records = {"2": {"Id": "a", STATUS: "Open", ACCOUNT: ACC}, "3": {"Id": "b", STATUS: "Closed", ACCOUNT: ACC[:15]},
               "4": {"Id": "c", STATUS: "New", ACCOUNT: OTHER}, "5": {"Id": "d", STATUS: "Solved", ACCOUNT: None}}
    found = [(f.check, f.ticket.id) for f in reconcile.compare(tickets, records)]
    assert found == [("missing_record", 1), ("stale_status", 2), ("wrong_account", 4)]


TARGET = {"id": 11, "title": "Salesforce", "type": "salesforce_target", "active": True}
TRIGGER = {"id": 21, "active": True, "actions": [{"field": "notification_target", "value": ["11", "{{ticket.id}}"]}]}


def test_healthy_target_and_trigger_pass():
    assert health.zendesk_checks([TARGET], [TRIGGER, {"id": 22, "active": True, "actions": []}]) == []


def test_each_broken_piece_is_named():
    assert [c[0] for c in health.zendesk_checks([], [TRIGGER])] == [health.TARGET_MISSING, health.TRIGGER_MISSING]
    assert [c[:3] for c in health.zendesk_checks([{**TARGET, "active": False}], [TRIGGER])] == [
        (health.TARGET_INACTIVE, "target", "11")]
    assert [c[0] for c in health.zendesk_checks([TARGET], [{**TRIGGER, "actions": []}])] == [health.TRIGGER_MISSING]
    assert [c[:3] for c in health.zendesk_checks([TARGET], [{**TRIGGER, "active": False}])] == [
        (health.TRIGGER_INACTIVE, "trigger", "21")]


class FakeSoql:
    """Stands in for the Salesforce client's query_all with fixed FieldPermissions rows."""

    def __init__(self, rows):
        self.rows, self.asked = rows, []

    def query_all(self, soql):
        self.asked.append(soql)
        return {"records": self.rows}


def test_field_security_needs_every_ticket_field_and_some_comment_field():
    from support_ops.ticket_records import names

    obj, com = names.ticket_object(), names.comment_object()
    good = [{"Field": f"{obj}.{f}", "PermissionsRead": True} for f in names.TICKET_FIELDS]
    good.append({"Field": f"{com}.Name", "PermissionsRead": True})
    sf = FakeSoql(good)
    assert health.field_checks(sf) == []
    assert "Parent.Profile.Name = 'System Administrator'" in sf.asked[0]
    bad = [{**r, "PermissionsRead": r["Field"] != f"{obj}.{names.STATUS}"} for r in good[:-1]]
    assert [(c[0], c[2]) for c in health.field_checks(FakeSoql(bad))] == [
        (health.FIELD_NOT_READABLE, f"{obj}.{names.STATUS}"), (health.FIELD_NOT_READABLE, com)]
