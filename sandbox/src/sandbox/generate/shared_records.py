"""Planted cases for the shared-organization audit and the Salesforce ticket-record checks.

Runs after the rest of the generated organization exists (organizations, end users, tickets,
the Support Ops GitLab project). It plants:

- shared organizations: requests in the Support Ops project made from the `Shared Organization
  Request` template (approved ones labelled `shared-org::approved`, one still waiting for
  approval), organizations whose settings follow, drift from or lack a request, and an end user
  given access to the organization's tickets that no request names;
- ticket records: Salesforce `Zendesk Support Ticket` records for the recent tickets (as the
  Zendesk target sends them when a ticket is created and when it is solved), with some missing,
  some stale (solved in Zendesk, not in Salesforce) and one linked to the wrong account; the
  field-level security rows of both objects for the System Administrator profile; the Zendesk
  Salesforce target and the trigger that uses it.

What was planted is returned for the manifest; the expected audit findings are recomputed from
the stored documents (manifest.shared_org_findings), so overlaps with the random settings of
the other organizations stay exact.
"""

from __future__ import annotations

import random
from typing import Any

from sandbox.core.collections import (
    GL_FILES,
    GL_ISSUES,
    GL_PROJECTS,
    ZD_ORGANIZATIONS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.core.store import Store
from sandbox.generate.util import DAY, zd_time
from sandbox.gitlab.seed import file_doc
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.soql import format_datetime

ZD_TARGETS = "zd_targets"
ZD_TRIGGERS = "zd_triggers"
TICKET_OBJECT = "Zendesk__Zendesk_Ticket__c"
COMMENT_OBJECT = "Zendesk__Zendesk_Ticket_Comment__c"
TICKET_FIELDS = ("Name", "Zendesk__Ticket_ID__c", "Zendesk__Status__c", "Zendesk__Subject__c",
                 "Zendesk__Organization__c", "Zendesk__Date_Time_created__c", "Zendesk__Date_Time_solved__c")
COMMENT_FIELDS = ("Name", "Zendesk__Zendesk_Ticket__c", "Zendesk__Comment_ID__c", "Zendesk__Body__c",
                  "Zendesk__Public__c")
SUPPORT_OPS_PROJECT = 1002
APPROVED = "shared-org::approved"
TARGET_ID = 360_000_010_001
TRIGGER_ID = 360_000_011_001
RECORD_DAYS = 14  # records exist for tickets created or solved in the last two weeks

# The project's `Shared Organization Request` issue template as the team installed it in the
# Support Ops project (`.gitlab/issue_templates/`); a test keeps it equal to the shipped one.
TEMPLATE_PATH = ".gitlab/issue_templates/Shared Organization Request.md"
TEMPLATE_TEXT = """## Shared organization request

<!-- Install: copy this file to .gitlab/issue_templates/ in the Support Ops project.
     Fill in the block below and keep its keys; the shared_org_apply DAG reads it once the
     issue is labelled shared-org::approved. -->

Requested by the customer in the Zendesk ticket named below. Consider the security implications:
a shared organization lets end users see (and perhaps comment on) each other's tickets.

Options: `own_tickets`, `view_all`, `view_and_comment_all`, `selected_view`,
`selected_view_and_comment` (the last two need the selected users' e-mail addresses).

```shared-org
zendesk_ticket:
organization_id:
option:
users:
```

/label ~"Shared Organization Request"
"""


def request_description(ticket_id: int, org_id: int, option: str, users: list[str]) -> str:
    """An issue body as the template produces it, filled in."""
    lines = ["## Shared organization request", "",
             "Customer request received through a support ticket.", "",
             "```shared-org", f"zendesk_ticket: {ticket_id}", f"organization_id: {org_id}",
             f"option: {option}", f"users: {', '.join(users)}", "```", ""]
    return "\n".join(lines)


def _issue(iid: int, title: str, description: str, labels: list[str], state: str, at: str) -> dict:
    web = f"https://gitlab.com/gitlab-com/support/support-ops/support-ops-project/-/issues/{iid}"
    return {
        "id": 9_000_000 + iid, "iid": iid, "project_id": SUPPORT_OPS_PROJECT, "title": title,
        "description": description, "state": state, "created_at": at, "updated_at": at,
        "closed_at": at if state == "closed" else None, "closed_by": None, "labels": sorted(labels, key=str.lower),
        "milestone": None, "assignees": [], "assignee": None,
        "author": {"id": 4242, "username": "support-ops-bot", "name": "Support Ops Bot", "state": "active"},
        "type": "ISSUE", "issue_type": "issue", "user_notes_count": 0, "merge_requests_count": 0,
        "upvotes": 0, "downvotes": 0, "due_date": None, "confidential": False, "discussion_locked": None,
        "web_url": web, "references": {"short": f"#{iid}", "relative": f"#{iid}",
                                       "full": f"gitlab-com/support/support-ops/support-ops-project#{iid}"},
        "time_stats": {"time_estimate": 0, "total_time_spent": 0},
    }


def _pick_orgs(store: Store) -> tuple[list[dict], dict[int, list[dict]], dict[int, list[dict]]]:
    """Live customer organizations with at least three end users and a ticket, in id order."""
    users: dict[int, list[dict]] = {}
    for u in store.all(ZD_USERS):
        if u.get("role") == "end-user" and u.get("organization_id"):
            users.setdefault(int(u["organization_id"]), []).append(u)
    tickets: dict[int, list[dict]] = {}
    for t in store.all(ZD_TICKETS):
        if t.get("organization_id") and t.get("status") != "deleted":
            tickets.setdefault(int(t["organization_id"]), []).append(t)
    orgs = [o for o in store.all(ZD_ORGANIZATIONS)
            if not o.get("deleted_at") and o["name"] != "GitLab"
            and len(users.get(o["id"], [])) >= 3 and tickets.get(o["id"])]
    orgs.sort(key=lambda o: o["id"])
    return orgs, users, tickets


def _set_org(store: Store, org: dict, shared_tickets: bool, shared_comments: bool) -> None:
    org.update(shared_tickets=shared_tickets, shared_comments=shared_comments)
    store.put(ZD_ORGANIZATIONS, org["id"], org, ts=_epoch(org["updated_at"]), seq=org["id"])


def _set_user(store: Store, user: dict, restriction: str, comments: bool | None = None) -> None:
    user["ticket_restriction"] = restriction
    if comments is not None:
        user["user_fields"] = {**(user.get("user_fields") or {}), "shared_org_comments": comments}
    store.put(ZD_USERS, user["id"], user, ts=_epoch(user["updated_at"]), seq=user["id"])


def _epoch(value: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def plant_sharing(store: Store, rng: random.Random, now: int) -> dict[str, Any]:
    """The shared-organization cases; returns {case: organization/user/issue ids}."""
    if store.get(GL_PROJECTS, SUPPORT_OPS_PROJECT) is None:
        return {"skipped": "no Support Ops project"}
    orgs, users, tickets = _pick_orgs(store)
    if len(orgs) < 7:
        return {"skipped": f"only {len(orgs)} organizations with three end users"}
    picked = rng.sample(orgs, 7)
    picked.sort(key=lambda o: o["id"])
    a, b, c, d, e, f, h = picked
    at = zd_time(now - 20 * DAY).replace("Z", ".000Z")
    issues: list[dict] = []
    cases: dict[str, Any] = {}

    def request(org: dict, option: str, emails: list[str], labels: list[str], state: str) -> int:
        iid = len(issues) + 1
        ticket = min(tickets[org["id"]], key=lambda t: t["id"])
        title = f"Shared organization request: {org['name']}"
        issues.append(_issue(iid, title, request_description(ticket["id"], org["id"], option, emails),
                             ["Shared Organization Request", *labels], state, at))
        return iid

    emails = {o["id"]: [u["email"] for u in sorted(users[o["id"]], key=lambda u: u["id"])] for o in picked}
    for org in picked:  # a known starting point for the planted organizations and their users
        _set_org(store, org, False, False)
        for u in users[org["id"]]:
            _set_user(store, u, "requested")
    # A: approved, applied, settings as requested: no finding.
    cases["applied_ok"] = {"organization_id": a["id"], "issue": request(a, "view_all", [], [APPROVED], "closed")}
    _set_org(store, a, True, False)
    # B: approved and applied, then widened by hand: settings mismatch.
    cases["settings_mismatch"] = {"organization_id": b["id"],
                                  "issue": request(b, "view_all", [], [APPROVED], "closed")}
    _set_org(store, b, True, True)
    # C, D: approved, waiting to be applied (selected users).
    cases["not_applied_selected_view"] = {
        "organization_id": c["id"], "users": emails[c["id"]][:2],
        "issue": request(c, "selected_view", emails[c["id"]][:2], [APPROVED], "opened")}
    cases["not_applied_selected_view_and_comment"] = {
        "organization_id": d["id"], "users": emails[d["id"]][:1],
        "issue": request(d, "selected_view_and_comment", emails[d["id"]][:1], [APPROVED], "opened")}
    # E: everyone sees and comments on everything, and no request says so.
    _set_org(store, e, True, True)
    cases["without_request"] = {"organization_id": e["id"]}
    # F: one end user reads the whole organization's tickets with no request.
    user_f = sorted(users[f["id"]], key=lambda u: u["id"])[0]
    _set_user(store, user_f, "organization")
    cases["user_without_request"] = {"organization_id": f["id"], "user_id": user_f["id"]}
    # H: a request not approved yet (the apply DAG refuses it; the audit ignores it).
    cases["not_approved"] = {"organization_id": h["id"],
                             "issue": request(h, "view_and_comment_all", [], ["shared-org::pending"], "opened")}
    store.put_many(GL_ISSUES, [(f"{SUPPORT_OPS_PROJECT}:{i['iid']}", i, now - 20 * DAY, i["id"]) for i in issues])
    project = store.get(GL_PROJECTS, SUPPORT_OPS_PROJECT)
    known = {lab["name"] for lab in project.get("labels", [])}
    for j, name in enumerate((APPROVED, "shared-org::pending"), start=50):
        if name not in known:
            project.setdefault("labels", []).append({"id": SUPPORT_OPS_PROJECT * 100 + j, "name": name,
                                                     "color": "#5cb85c", "description": "", "text_color": "#FFFFFF"})
    project["open_issues_count"] = sum(1 for i in issues if i["state"] == "opened")
    store.put(GL_FILES, f"{SUPPORT_OPS_PROJECT}:main:{TEMPLATE_PATH}",
              file_doc(SUPPORT_OPS_PROJECT, TEMPLATE_PATH, "main", TEMPLATE_TEXT.encode(), "0" * 40))
    store.put(GL_PROJECTS, SUPPORT_OPS_PROJECT, project, ts=0, seq=SUPPORT_OPS_PROJECT)
    return cases


def _solved_at(store: Store, ticket_id: int) -> int | None:
    m = store.get(ZD_TICKET_METRICS, ticket_id)
    return _epoch(m["solved_at"]) if m and m.get("solved_at") else None


def plant_ticket_records(store: Store, rng: random.Random, now: int) -> dict[str, Any]:
    """Ticket records, field permissions, the target and trigger; returns the planted problems."""
    accounts = {}
    for org in store.all(ZD_ORGANIZATIONS):
        sfid = (org.get("organization_fields") or {}).get("salesforce_id")
        if sfid and len(sfid) in (15, 18):
            accounts[int(org["id"])] = sfid
    recent = []
    for t in store.all(ZD_TICKETS):
        if t.get("status") == "deleted":
            continue
        created, solved = _epoch(t["created_at"]), _solved_at(store, t["id"])
        if created >= now - RECORD_DAYS * DAY or (solved and solved >= now - RECORD_DAYS * DAY):
            recent.append((t, created, solved))
    recent.sort(key=lambda r: r[0]["id"])
    in_week = [r for r in recent if r[1] >= now - 6 * DAY or (r[2] and r[2] >= now - 6 * DAY)]
    solved_in_week = [r for r in in_week if r[0]["status"] in ("solved", "closed") and r[2]]
    linked_in_week = [r for r in in_week if r[0].get("organization_id") in accounts and r not in solved_in_week]
    missing = {r[0]["id"] for r in rng.sample(in_week, min(3, len(in_week)))}
    stale = {r[0]["id"] for r in rng.sample([r for r in solved_in_week if r[0]["id"] not in missing],
                                            min(2, len([r for r in solved_in_week if r[0]["id"] not in missing])))}
    wrong_pool = [r for r in linked_in_week if r[0]["id"] not in missing | stale]
    wrong = {r[0]["id"] for r in rng.sample(wrong_pool, min(1, len(wrong_pool)))}
    other_account = sorted(set(accounts.values()))
    rows = []
    for n, (t, created, solved) in enumerate(recent, start=1):
        if t["id"] in missing:
            continue
        status = t["status"] if solved else "new"
        if t["id"] in stale:
            status = "open"  # the solve was never sent
        account = accounts.get(t.get("organization_id"))
        if t["id"] in wrong:
            account = next(a for a in other_account if a != account)
        sent = solved if solved and t["id"] not in stale else created
        stamp = format_datetime(sent)
        rid = make_id("a0Z", n)
        rows.append((rid, {
            "Id": rid, "Name": f"Ticket #{t['id']}", "Zendesk__Ticket_ID__c": str(t["id"]),
            "Zendesk__Status__c": status.capitalize(), "Zendesk__Subject__c": t.get("subject"),
            "Zendesk__Organization__c": account, "Zendesk__Date_Time_created__c": format_datetime(created),
            "Zendesk__Date_Time_solved__c": format_datetime(solved) if solved and t["id"] not in stale else None,
            "IsDeleted": False, "CreatedDate": format_datetime(created), "LastModifiedDate": stamp,
            "SystemModstamp": stamp}, sent, n))
    store.put_many(f"sf_{TICKET_OBJECT}", rows)
    perms = []
    for k, (obj, fields) in enumerate(((TICKET_OBJECT, TICKET_FIELDS), (COMMENT_OBJECT, COMMENT_FIELDS))):
        for j, field in enumerate(fields, start=1):
            pid = make_id("01k", k * 100 + j)
            perms.append((pid, {"Id": pid, "SobjectType": obj, "Field": f"{obj}.{field}", "PermissionsRead": True,
                                "PermissionsEdit": field != "Zendesk__Ticket_ID__c", "ParentId": "0PS000000000001AAA",
                                "Parent": {"Profile": {"Name": "System Administrator"}, "IsOwnedByProfile": True},
                                "IsDeleted": False, "SystemModstamp": format_datetime(now - 300 * DAY)},
                          now - 300 * DAY, k * 100 + j))
    store.put_many("sf_FieldPermissions", perms)
    registry = store.get_meta("sf_objects", {}) or {}
    registry.update({TICKET_OBJECT: "a0Z", COMMENT_OBJECT: "a0Y"})
    store.set_meta("sf_objects", registry)
    created_at = zd_time(now - 400 * DAY)
    store.put(ZD_TARGETS, TARGET_ID, {
        "id": TARGET_ID, "url": f"https://sandbox.zendesk.com/api/v2/targets/{TARGET_ID}.json",
        "title": "Salesforce", "type": "salesforce_target", "active": True, "created_at": created_at}, seq=1)
    triggers = [
        {"id": TRIGGER_ID, "title": "Send ticket to Salesforce (created or solved)", "active": True, "position": 1,
         "conditions": {"all": [], "any": [{"field": "update_type", "operator": "is", "value": "Create"},
                                           {"field": "status", "operator": "value", "value": "solved"}]},
         "actions": [{"field": "notification_target", "value": [str(TARGET_ID), "{{ticket.id}}"]}]},
        {"id": TRIGGER_ID + 1, "title": "Notify requester of received request", "active": True, "position": 2,
         "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
         "actions": [{"field": "notification_user", "value": ["requester_id", "Received", "{{ticket.title}}"]}]},
    ]
    for t in triggers:
        t.update(url=f"https://sandbox.zendesk.com/api/v2/triggers/{t['id']}.json", created_at=created_at,
                 updated_at=created_at, description=None, raw_title=t["title"])
        store.put(ZD_TRIGGERS, t["id"], t, seq=t["position"])
    return {"missing": sorted(missing), "stale": sorted(stale), "wrong_account": sorted(wrong),
            "records": len(rows), "window_days": 7, "target_id": TARGET_ID, "trigger_id": TRIGGER_ID}


def plant(store: Store, rng: random.Random, now: int) -> dict[str, Any]:
    """Both, for generate(): {"shared_orgs": ..., "ticket_records": ...} for the manifest."""
    from sandbox.generate.manifest import shared_org_findings

    sharing = plant_sharing(store, rng, now)
    records = plant_ticket_records(store, rng, now)
    return {"shared_orgs": {"planted": sharing, "findings": shared_org_findings(store)},
            "ticket_records": records}
