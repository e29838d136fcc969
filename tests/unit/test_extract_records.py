"""Record validation: what loads, what is quarantined and why."""

from __future__ import annotations

import datetime as dt

import pytest

from support_ops.extract import records as rec
from support_ops.extract.runner import split_valid


def ticket(**kw) -> dict:
    base = {"id": 1, "status": "solved", "via": {"channel": "email"}, "recipient": "support@example.com",
            "requester_id": 5, "organization_id": 9, "ticket_form_id": 3, "priority": "high",
            "tags": ["premium"], "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-02T10:00:00Z",
            "generated_timestamp": 1793872800, "satisfaction_rating": {"score": "good"}}
    return {**base, **kw}


def test_ticket_row_types_and_deleted_flag():
    row = rec.ticket_row(ticket(status="deleted"), {"solved_at": "2026-11-02T09:00:00Z"})
    assert row["is_deleted"] is True
    assert row["solved_at"] == dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    assert row["via_channel"] == "email" and row["satisfaction_score"] == "good"
    assert row["tags"] == ["premium"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": "abc"}, "id is not an integer"),
        ({"status": "escalated"}, "unknown status 'escalated'"),
        ({"created_at": "yesterday"}, "created_at is not a date-time"),
        ({"tags": "premium"}, "tags is not a list"),
        ({"generated_timestamp": "soon"}, "generated_timestamp is not an integer"),
        ({"requester_id": 1.5}, "requester_id is not an integer"),
    ],
)
def test_bad_tickets_are_rejected_with_a_reason(change, reason):
    with pytest.raises(rec.BadRecord, match=reason):
        rec.ticket_row(ticket(**change), None)


def test_split_valid_quarantines_bad_records_and_keeps_the_rest():
    docs = [ticket(id=1), ticket(id=2, status="weird"), "not a record", ticket(id=3), ticket(id=1, priority="low")]
    rows, bad = split_valid(docs, lambda d: rec.ticket_row(d, None), "zendesk.tickets")
    assert [r["id"] for r in rows] == [1, 3]
    assert rows[0]["priority"] == "low"  # the later copy of a repeated record wins
    assert [b["record_key"] for b in bad][0] == "2"
    assert bad[1]["record_key"].startswith("sha1:")
    assert {b["reason"] for b in bad} == {"unknown status 'weird'", "ticket is not a JSON object"}
    assert all(b["stream"] == "zendesk.tickets" for b in bad)


def test_salesforce_times_and_ids():
    assert rec.parse_time("2026-11-20T10:15:00.000+0000", "t") == dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)
    row = rec.account_row({"attributes": {"type": "Account"}, "Id": "001000000000001AAA", "Name": "Acme",
                           "IsDeleted": False, "SystemModstamp": "2026-11-20T10:15:00.000+0000",
                           "Owner": {"attributes": {}, "Name": "Pat"}, "CARR_This_Account__c": "1200.5"})
    assert row["id15"] == "001000000000001" and row["owner_name"] == "Pat" and row["carr"] == 1200.5
    assert "attributes" not in row["raw"] and "attributes" not in row["raw"]["Owner"]
    with pytest.raises(rec.BadRecord, match="Salesforce id"):
        rec.account_row({"Id": "short", "SystemModstamp": "2026-11-20T10:15:00Z"})
    with pytest.raises(rec.BadRecord, match="SystemModstamp is missing"):
        rec.account_row({"Id": "001000000000001AAA"})


def test_rating_and_organization_rows():
    r = rec.rating_row({"id": 7, "ticket_id": 1, "score": "bad", "reason": "My issue was not resolved",
                        "reason_id": 3, "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-03T00:00:00Z"})
    assert r["score"] == "bad" and r["reason_id"] == 3
    with pytest.raises(rec.BadRecord, match="unknown score"):
        rec.rating_row({"id": 7, "score": "meh"})
    o = rec.organization_row({"id": 4, "name": "Acme", "domain_names": ["acme.com"],
                              "organization_fields": {"salesforce_id": "001000000000001", "aar": "100",
                                                      "support_level": "premium", "number_of_seats": 50}})
    assert o["salesforce_id"] == "001000000000001" and o["aar"] == 100.0 and o["number_of_seats"] == 50
    with pytest.raises(rec.BadRecord, match="organization_fields is not an object"):
        rec.organization_row({"id": 4, "name": "Acme", "organization_fields": "x"})


@pytest.mark.parametrize(
    ("row", "doc", "reason"),
    [
        (lambda d: rec.ticket_row(d, None), ticket(id=2**63), "id is out of range for a 64-bit integer"),
        (lambda d: rec.ticket_row(d, None), ticket(requester_id=-(2**63) - 1), "requester_id is out of range"),
        (lambda d: rec.ticket_row(d, None), ticket(generated_timestamp=2**64), "generated_timestamp is out of range"),
        (lambda d: rec.ticket_row(d, None), ticket(priority={"level": "high"}), "priority is not a string"),
        (rec.ticket_metric_row, {"ticket_id": 1, "reopens": "inf"}, "reopens is not a finite number"),
        (rec.ticket_metric_row, {"ticket_id": 1, "replies": float("nan")}, "replies is not a finite number"),
        (rec.ticket_metric_row, {"ticket_id": 1, "reply_time_in_minutes": {"calendar": 2**40}},
         "reply_time_in_minutes is out of range for a 32-bit integer"),
        (rec.rating_row, {"id": 7, "score": "bad", "comment": {"body": "x"}}, "comment is not a string"),
        (rec.organization_row, {"id": 4, "name": "A", "organization_fields": {"aar": "-Infinity"}},
         "aar is not a finite number"),
        (rec.organization_row, {"id": 4, "name": "A", "organization_fields": {"aar": float("inf")}},
         "aar is not a finite number"),
        (rec.account_row, {"Id": "001000000000001AA!", "SystemModstamp": "2026-11-20T10:15:00Z"},
         "Id is not a Salesforce id"),
    ],
)
def test_values_no_column_can_hold_are_rejected(row, doc, reason):
    with pytest.raises(rec.BadRecord, match=reason):
        row(doc)


def test_any_error_while_reading_a_record_quarantines_it():
    def fragile(doc):
        return {"id": doc["id"], "x": 1 / doc["divisor"]}

    rows, bad = split_valid([{"id": 1, "divisor": 1}, {"id": 2, "divisor": 0}], fragile, "s")
    assert [r["id"] for r in rows] == [1]
    assert bad[0]["record_key"] == "2" and "ZeroDivisionError" in bad[0]["reason"]


def test_a_json_number_beyond_a_double_is_read_not_retried():
    from support_ops.extract.fetch import _decode

    body = _decode(b'{"organizations": [{"id": 1, "aar": 1e400}, {"id": 18446744073709551616}]}')
    assert body["organizations"][0]["aar"] == float("inf")
    assert body["organizations"][1]["id"] == 2**64
    with pytest.raises(ValueError):
        _decode(b'{"organizations": [{"id": 1')  # a cut body is still a retryable error


def test_salesforce_ids_are_stored_in_their_18_character_form():
    from support_ops.clients.salesforce_ids import same_record, to18

    assert to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # a commonly quoted example pair
    assert to18("001A0000006Vm9rIAC") == to18("001a0000006vm9riac") == "001A0000006Vm9rIAC"
    assert to18("001A0000006Vm9") is None and to18(None) is None and to18("001A0000006Vm9r!AC") is None
    assert same_record("001A0000006Vm9r", "001A0000006Vm9rIAC")
    assert not same_record("001A0000006Vm9r", "001a0000006Vm9r")  # 15-character ids are case-sensitive
    short = rec.account_row({"Id": "001A0000006Vm9r", "SystemModstamp": "2026-11-20T10:15:00Z"})
    assert short["id"] == "001A0000006Vm9rIAC" and short["id15"] == "001A0000006Vm9r"
