"""Zendesk configuration objects: ticket forms, satisfaction reasons, SLA policies,
organization fields and views."""

from __future__ import annotations

from sandbox.core.collections import (
    ZD_ORGANIZATION_FIELDS,
    ZD_SATISFACTION_REASONS,
    ZD_SLA_POLICIES,
    ZD_TICKET_FORMS,
    ZD_VIEWS,
)
from sandbox.core.store import Store
from sandbox.generate.util import (
    DAY,
    FIELD_BASE,
    FORM_BASE,
    REASON_BASE,
    SLA_BASE,
    VIEW_BASE,
    ZD_API,
    zd_time,
)

FORMS = {
    "SaaS": FORM_BASE + 1,
    "Self-Managed": FORM_BASE + 2,
    "SaaS Account": FORM_BASE + 3,
    "L&R": FORM_BASE + 4,
    "Other": FORM_BASE + 5,
}
FORM_TAGS = {"SaaS": "saas", "Self-Managed": "self_managed", "SaaS Account": "saas_account",
             "L&R": "l_r", "Other": "other_form"}

# The seed's dropdown options (since 2019-07-09), with Zendesk-style reason codes.
REASONS = [
    (REASON_BASE + 1, 1001, "GitLab doesn't meet my needs"),
    (REASON_BASE + 2, 1002, "The answer wasn't delivered in a timely manner"),
    (REASON_BASE + 3, 1003, "My issue was not resolved"),
    (REASON_BASE + 4, 1004, "The answer wasn't helpful"),
    (REASON_BASE + 5, 100, "Some other reason"),
]
REASONS_SINCE = "2019-07-09T00:00:00Z"

# First-reply targets in minutes by priority (calendar hours).
SLA_POLICIES = [
    (SLA_BASE + 1, "Ultimate and Premium", ("ultimate", "premium"),
     {"urgent": 30, "high": 240, "normal": 480, "low": 1440}),
    (SLA_BASE + 2, "Starter and legacy plans", ("starter", "basic", "bronze", "silver", "gold"),
     {"urgent": 480, "high": 1440, "normal": 1440, "low": 2880}),
]
PRIORITY_SLA = {tag: (pid, title, targets) for pid, title, tags, targets in SLA_POLICIES
                for tag in tags}

ORG_FIELDS = [
    ("salesforce_id", "Salesforce ID", "text"),
    ("support_level", "GitLab Plan", "dropdown"),
    ("aar", "ARR", "decimal"),
    ("account_owner", "Account Owner", "text"),
    ("number_of_seats", "Number of Seats", "integer"),
    ("market_segment", "Market Segment", "text"),
    ("sales_segmentation", "Sales Segmentation", "text"),
    ("technical_account_manager", "Technical Account Manager", "text"),
    ("account_type", "Account Type", "dropdown"),
]
PLAN_OPTIONS = ["ultimate", "premium", "starter", "basic", "gold", "silver", "bronze", "custom",
                "community", "expired", "hold"]
ACCOUNT_TYPES = ["customer", "former_customer", "prospect", "partner"]


def write_catalog(store: Store, now: int) -> dict[str, int]:
    """Write forms, reasons, SLA policies and organization fields (views come after tickets)."""
    made = zd_time(now - 900 * DAY)
    changed = zd_time(now - 30 * DAY)
    counts = {}
    forms = []
    for pos, (name, fid) in enumerate(FORMS.items()):
        forms.append((fid, {
            "id": fid, "url": f"{ZD_API}/ticket_forms/{fid}.json", "name": name,
            "raw_name": name, "display_name": name, "raw_display_name": name,
            "end_user_visible": name != "Other", "position": pos, "ticket_field_ids": [],
            "active": True, "default": pos == 0, "in_all_brands": True,
            "restricted_brand_ids": [], "end_user_conditions": [], "agent_conditions": [],
            "created_at": made, "updated_at": changed,
        }, now - 30 * DAY, fid))
    counts[ZD_TICKET_FORMS] = store.put_many(ZD_TICKET_FORMS, forms)
    reasons = []
    for rid, code, text in REASONS:
        reasons.append((rid, {
            "id": rid, "url": f"{ZD_API}/satisfaction_reasons/{rid}.json", "reason_code": code,
            "value": text, "raw_value": text, "created_at": REASONS_SINCE,
            "updated_at": REASONS_SINCE, "deleted_at": None,
        }, 1562630400, rid))
    counts[ZD_SATISFACTION_REASONS] = store.put_many(ZD_SATISFACTION_REASONS, reasons)
    policies = []
    for pos, (pid, title, tags, targets) in enumerate(SLA_POLICIES):
        policies.append((pid, {
            "id": pid, "url": f"{ZD_API}/slas/policies/{pid}.json", "title": title,
            "description": f"First reply targets for {', '.join(tags)} organizations",
            "position": pos + 1,
            "filter": {"all": [], "any": [{"field": "current_tags", "operator": "includes",
                                           "value": tag} for tag in tags]},
            "policy_metrics": [{"priority": p, "metric": "first_reply_time", "target": t,
                                "business_hours": False} for p, t in targets.items()],
            "created_at": made, "updated_at": changed,
        }, now - 30 * DAY, pid))
    counts[ZD_SLA_POLICIES] = store.put_many(ZD_SLA_POLICIES, policies)
    fields = []
    for pos, (key, title, ftype) in enumerate(ORG_FIELDS):
        fid = FIELD_BASE + pos + 1
        options = {"support_level": PLAN_OPTIONS, "account_type": ACCOUNT_TYPES}.get(key)
        doc = {"id": fid, "url": f"{ZD_API}/organization_fields/{fid}.json", "type": ftype,
               "key": key, "title": title, "raw_title": title, "description": "",
               "raw_description": "", "position": pos, "active": True, "system": False,
               "regexp_for_validation": None, "created_at": made, "updated_at": made}
        if options:
            doc["custom_field_options"] = [
                {"id": fid * 100 + i, "name": o.replace("_", " ").title(), "raw_name": o,
                 "value": o} for i, o in enumerate(options)]
        fields.append((fid, doc, now - 900 * DAY, fid))
    counts[ZD_ORGANIZATION_FIELDS] = store.put_many(ZD_ORGANIZATION_FIELDS, fields)
    return counts


def write_views(store: Store, now: int, counts: dict[str, int]) -> int:
    """Views with their conditions and the count they had when generated (`count`)."""
    made = zd_time(now - 400 * DAY)
    specs = [
        ("Premium tickets near SLA breach", "premium_near_breach",
         {"all": [{"field": "status", "operator": "less_than", "value": "solved"},
                  {"field": "current_tags", "operator": "includes", "value": "premium ultimate"},
                  {"field": "priority", "operator": "is", "value": "high"}], "any": []}),
        ("Unassigned - SaaS", "unassigned_saas",
         {"all": [{"field": "assignee_id", "operator": "is", "value": None},
                  {"field": "status", "operator": "less_than", "value": "solved"},
                  {"field": "ticket_form_id", "operator": "is", "value": str(FORMS["SaaS"])}],
          "any": []}),
        ("Unassigned - Self-Managed", "unassigned_self_managed",
         {"all": [{"field": "assignee_id", "operator": "is", "value": None},
                  {"field": "status", "operator": "less_than", "value": "solved"},
                  {"field": "ticket_form_id", "operator": "is",
                   "value": str(FORMS["Self-Managed"])}], "any": []}),
        ("Pending tickets", "pending",
         {"all": [{"field": "status", "operator": "is", "value": "pending"}], "any": []}),
        ("All open tickets", "open",
         {"all": [{"field": "status", "operator": "less_than", "value": "solved"}], "any": []}),
    ]
    columns = [{"id": cid, "title": ctitle, "filterable": cid != "subject",
                "sortable": cid != "subject"}
               for cid, ctitle in (("subject", "Subject"), ("requester", "Requester"),
                                   ("created", "Requested"), ("updated", "Updated"),
                                   ("group", "Group"), ("assignee", "Assignee"))]
    rows = []
    for pos, (title, key, conditions) in enumerate(specs):
        vid = VIEW_BASE + pos + 1
        rows.append((vid, {
            "url": f"{ZD_API}/views/{vid}.json", "id": vid, "title": title, "active": True,
            "updated_at": made, "created_at": made, "default": False, "position": pos,
            "description": None,
            "execution": {"group_by": "status", "group_order": "desc", "sort_by": "updated_at",
                          "sort_order": "desc", "group": None, "sort": None,
                          "columns": columns, "fields": columns, "custom_fields": []},
            "conditions": conditions, "restriction": None, "raw_title": title,
            "count": counts.get(key, 0),  # sandbox extra: the count when generated
        }, now - 400 * DAY, vid))
    return store.put_many(ZD_VIEWS, rows)
