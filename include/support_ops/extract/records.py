"""Turning API records into warehouse rows; a record that does not fit is a `BadRecord`.

Each `*_row` function checks what the pipelines rely on (id, types, known status,
parseable dates) and raises `BadRecord` with a reason; the runner quarantines those
and loads the rest. Numbers must fit the column they go to (64-bit ids, 32-bit counts,
finite floats: no `inf`/`nan`, as strings or from a JSON `1e400`); text columns take
strings (or plain numbers), never objects or lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

from ..clients.salesforce_ids import to18

TICKET_STATUSES = {"new", "open", "pending", "hold", "solved", "closed", "deleted"}
RATING_SCORES = {"offered", "unoffered", "good", "bad"}
INT64 = 2**63  # BIGINT columns (ids, timestamps): -2^63 <= value < 2^63
INT32 = 2**31  # INTEGER columns (counts, minutes)


class BadRecord(ValueError):
    """A record that cannot be loaded; the message is the quarantine reason."""


def record_key(doc: Any, id_field: str = "id") -> str:
    """The record's id, or a stable hash of it when it has none."""
    if isinstance(doc, dict) and doc.get(id_field) not in (None, ""):
        return str(doc[id_field])[:128]
    raw = json.dumps(doc, sort_keys=True, default=str)
    return "sha1:" + hashlib.sha1(raw.encode()).hexdigest()


def parse_time(value: Any, field: str, required: bool = False) -> dt.datetime | None:
    """ISO 8601 (Zendesk 'Z' or Salesforce '+0000') to an aware UTC datetime."""
    if value in (None, ""):
        if required:
            raise BadRecord(f"{field} is missing")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{field} is not a date-time string: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 -> +00:00
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"{field} is not a date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _in_range(value: int, field: str, bound: int) -> int:
    if not -bound <= value < bound:
        raise BadRecord(f"{field} is out of range for a {bound.bit_length()}-bit integer: {_show(value)}")
    return value


def _id(doc: dict, field: str = "id", required: bool = True) -> int | None:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadRecord(f"{field} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return _in_range(int(value), field, INT64)
        raise BadRecord(f"{field} is not an integer: {_show(value)}")
    return _in_range(value, field, INT64)


def _number(value: Any, field: str) -> float | None:
    """A number, or a numeric string (Salesforce and custom fields send both); empty is None."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadRecord(f"{field} is not a number: {_show(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise BadRecord(f"{field} is not a number: {_show(value)}") from None
    if not math.isfinite(number):
        raise BadRecord(f"{field} is not a finite number: {_show(value)}")
    return number


def _float(doc: dict, field: str) -> float | None:
    return _number(doc.get(field), field)


def _int(doc: dict, field: str) -> int | None:
    return _count(doc.get(field), field)


def _count(value: Any, field: str) -> int | None:
    """A number for an INTEGER column (fractions are cut, as before)."""
    number = _number(value, field)
    return None if number is None else _in_range(int(number), field, INT32)


def _str(value: Any, limit: int = 255, field: str = "a text field") -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dict, list)):
        raise BadRecord(f"{field} is not a string: {_show(value)}")
    return str(value)[:limit]


def _list(doc: dict, field: str) -> list:
    value = doc.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"{field} is not a list: {value!r}")
    return value


def _text(doc: dict, field: str) -> str | None:
    """A free-text field (a rating comment): a string or nothing, kept whole."""
    value = doc.get(field)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{field} is not a string: {_show(value)}")
    return value


def _dict(doc: dict, field: str) -> dict:
    value = doc.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"{field} is not an object: {value!r}")
    return value


def _times(doc: dict, *fields: str) -> dict[str, dt.datetime | None]:
    """Parsed date-time fields, each under its own name."""
    return {f: parse_time(doc.get(f), f) for f in fields}


def _object(doc: Any, what: str) -> dict:
    if not isinstance(doc, dict):
        raise BadRecord(f"{what} is not a JSON object")
    return doc


def _minutes(metric: dict, field: str) -> int | None:
    value = metric.get(field)
    if isinstance(value, dict):
        value = value.get("calendar")
    return _count(value, field)


def ticket_row(doc: Any, metric: dict | None) -> dict:
    doc = _object(doc, "ticket")
    tid = _id(doc)
    status = doc.get("status")
    if status not in TICKET_STATUSES:
        raise BadRecord(f"unknown status {status!r}")
    via = _dict(doc, "via")
    rating = _dict(doc, "satisfaction_rating")
    gen = doc.get("generated_timestamp")
    if gen is not None and (isinstance(gen, bool) or not isinstance(gen, int)):
        raise BadRecord(f"generated_timestamp is not an integer: {_show(gen)}")
    if gen is not None:
        _in_range(gen, "generated_timestamp", INT64)
    return {
        "id": tid,
        "status": status,
        "is_deleted": status == "deleted",
        "via_channel": _str(via.get("channel"), 32, "via.channel"),
        "recipient": _str(doc.get("recipient"), field="recipient"),
        "requester_id": _id(doc, "requester_id", required=False),
        "organization_id": _id(doc, "organization_id", required=False),
        "ticket_form_id": _id(doc, "ticket_form_id", required=False),
        "priority": _str(doc.get("priority"), 16, "priority"),
        "tags": [str(t) for t in _list(doc, "tags")],
        **_times(doc, "created_at", "updated_at"),
        "generated_timestamp": gen,
        "solved_at": parse_time((metric or {}).get("solved_at"), "metric_set.solved_at"),
        "satisfaction_score": _str(rating.get("score"), 16, "satisfaction_rating.score"),
        "raw": doc,
    }


def ticket_metric_row(doc: Any) -> dict:
    doc = _object(doc, "metric set")
    return {
        "ticket_id": _id(doc, "ticket_id"),
        "id": _id(doc, "id", required=False),
        "solved_at": parse_time(doc.get("solved_at"), "solved_at"),
        "reopens": _int(doc, "reopens"),
        "replies": _int(doc, "replies"),
        "reply_time_minutes": _minutes(doc, "reply_time_in_minutes"),
        "full_resolution_time_minutes": _minutes(doc, "full_resolution_time_in_minutes"),
        "updated_at": parse_time(doc.get("updated_at"), "updated_at"),
        "raw": doc,
    }


def rating_row(doc: Any) -> dict:
    doc = _object(doc, "rating")
    score = doc.get("score")
    if score not in RATING_SCORES:
        raise BadRecord(f"unknown score {score!r}")
    return {
        "id": _id(doc),
        "ticket_id": _id(doc, "ticket_id", required=False),
        "requester_id": _id(doc, "requester_id", required=False),
        "assignee_id": _id(doc, "assignee_id", required=False),
        "group_id": _id(doc, "group_id", required=False),
        "score": score,
        "comment": _text(doc, "comment"),
        "reason": _str(doc.get("reason"), field="reason"),
        "reason_id": _id(doc, "reason_id", required=False),
        **_times(doc, "created_at", "updated_at"),
        "raw": doc,
    }


def organization_row(doc: Any) -> dict:
    doc = _object(doc, "organization")
    fields = _dict(doc, "organization_fields")
    name = doc.get("name")
    if not isinstance(name, str):
        raise BadRecord(f"name is not a string: {name!r}")
    return {
        "id": _id(doc),
        "name": name[:255],
        "domain_names": [str(d) for d in _list(doc, "domain_names")],
        "external_id": _str(doc.get("external_id"), 255, "external_id"),
        "tags": [str(t) for t in _list(doc, "tags")],
        "salesforce_id": _str(fields.get("salesforce_id"), 32, "organization_fields.salesforce_id"),
        "support_level": _str(fields.get("support_level"), 64, "organization_fields.support_level"),
        "aar": _float(fields, "aar"),
        "account_owner": _str(fields.get("account_owner"), 255, "organization_fields.account_owner"),
        "number_of_seats": _int(fields, "number_of_seats"),
        "market_segment": _str(fields.get("market_segment"), 64, "organization_fields.market_segment"),
        "sales_segmentation": _str(fields.get("sales_segmentation"), 64, "organization_fields.sales_segmentation"),
        "technical_account_manager": _str(fields.get("technical_account_manager"), 255, "organization_fields.technical_account_manager"),
        "account_type": _str(fields.get("account_type"), 64, "organization_fields.account_type"),
        **_times(doc, "created_at", "updated_at"),
        "deleted_at": parse_time(doc.get("deleted_at"), "deleted_at"),
        "raw": doc,
    }


def user_row(doc: Any) -> dict:
    doc = _object(doc, "user")
    return {
        "id": _id(doc),
        "name": _str(doc.get("name"), field="name"),
        "email": _str(doc.get("email"), field="email"),
        "role": _str(doc.get("role"), 32, "role"),
        "organization_id": _id(doc, "organization_id", required=False),
        "active": bool(doc.get("active", True)),
        **_times(doc, "created_at", "updated_at"),
        "raw": doc,
    }


def ticket_form_row(doc: Any) -> dict:
    doc = _object(doc, "ticket form")
    name = doc.get("name") or doc.get("display_name")
    if not isinstance(name, str):
        raise BadRecord(f"name is not a string: {name!r}")
    return {
        "id": _id(doc),
        "name": name[:255],
        "active": bool(doc.get("active", True)),
        **_times(doc, "created_at", "updated_at"),
        "raw": doc,
    }


def metric_event_row(doc: Any) -> dict:
    doc = _object(doc, "metric event")
    for field in ("metric", "type"):
        if not isinstance(doc.get(field), str):
            raise BadRecord(f"{field} is missing or not a string")
    sla = _dict(doc, "sla")
    policy = sla.get("policy") if isinstance(sla.get("policy"), dict) else {}
    target = sla.get("target")
    if isinstance(target, dict):
        target = target.get("calendar") or target.get("business")
    return {
        "id": _id(doc),
        "ticket_id": _id(doc, "ticket_id"),
        "metric": doc["metric"][:64],
        "instance_id": _int(doc, "instance_id"),
        "type": doc["type"][:32],
        "time": parse_time(doc.get("time"), "time", required=True),
        "sla_target": _int({"sla.target": target}, "sla.target"),
        "sla_business_hours": None if "business_hours" not in sla else bool(sla["business_hours"]),
        "sla_policy_id": _id(policy, "id", required=False) if policy else None,
        "sla_policy_title": _str(policy.get("title"), field="sla.policy.title") if policy else None,
        "raw": doc,
    }


ACCOUNT_FIELDS = [
    "Id", "Name", "Type", "Owner.Name", "Website", "IsDeleted", "CreatedDate", "LastModifiedDate",
    "SystemModstamp", "Support_Level__c", "CARR_This_Account__c", "Number_of_Licenses_This_Account__c",
    "Market_Segment__c", "Sales_Segmentation__c", "Technical_Account_Manager_Name__c",
    "Zendesk_Organization_ID__c", "Zendesk_Organization_Name__c", "GitLab_Deployment__c",
]


def account_row(doc: Any) -> dict:
    doc = _object(doc, "account")
    sfid = to18(doc.get("Id"))  # a 15-character id and its 18-character form are one account
    if sfid is None:
        raise BadRecord(f"Id is not a Salesforce id: {_show(doc.get('Id'))}")
    owner = doc.get("Owner") if isinstance(doc.get("Owner"), dict) else {}
    raw = {k: v for k, v in doc.items() if k != "attributes"}
    if isinstance(raw.get("Owner"), dict):
        raw["Owner"] = {k: v for k, v in raw["Owner"].items() if k != "attributes"}
    return {
        "id": sfid,
        "id15": sfid[:15],
        "name": _str(doc.get("Name"), 255, "Name"),
        "type": _str(doc.get("Type"), 64, "Type"),
        "owner_name": _str(owner.get("Name"), field="Owner.Name"),
        "website": _str(doc.get("Website"), 255, "Website"),
        "is_deleted": bool(doc.get("IsDeleted")),
        "created_date": parse_time(doc.get("CreatedDate"), "CreatedDate"),
        "last_modified_date": parse_time(doc.get("LastModifiedDate"), "LastModifiedDate"),
        "system_modstamp": parse_time(doc.get("SystemModstamp"), "SystemModstamp", required=True),
        "support_level": _str(doc.get("Support_Level__c"), 64, "Support_Level__c"),
        "carr": _float(doc, "CARR_This_Account__c"),
        "licenses": _int(doc, "Number_of_Licenses_This_Account__c"),
        "market_segment": _str(doc.get("Market_Segment__c"), 64, "Market_Segment__c"),
        "sales_segmentation": _str(doc.get("Sales_Segmentation__c"), 64, "Sales_Segmentation__c"),
        "technical_account_manager": _str(doc.get("Technical_Account_Manager_Name__c"), 255, "Technical_Account_Manager_Name__c"),
        "zendesk_organization_id": _str(doc.get("Zendesk_Organization_ID__c"), 32, "Zendesk_Organization_ID__c"),
        "zendesk_organization_name": _str(doc.get("Zendesk_Organization_Name__c"), 255, "Zendesk_Organization_Name__c"),
        "deployment": _str(doc.get("GitLab_Deployment__c"), 255, "GitLab_Deployment__c"),
        "raw": raw,
    }
