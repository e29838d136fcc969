"""The CRM integrity rules of docs/integrity-rules.md, applied to what is in the store.

The generator plants defects on purpose; the manifest's expected findings are not the
plan but this recomputation over the stored documents, so overlaps stay exact.

Product knowledge: this module restates what the product checks (the check names and
rules of docs/integrity-rules.md, the on-call and shared-organization findings) so that
tests can compare the product's findings with what was planted. It is the sandbox's only
copy of those rules; when the product's change, this one must follow.
"""

from __future__ import annotations

import re
from collections import defaultdict

from sandbox.core.collections import SF_ACCOUNT, ZD_ORGANIZATIONS
from sandbox.core.store import Store
from sandbox.generate.names import normalize

CHECKS = (
    "missing_zendesk_org_dotcom",
    "missing_zendesk_org_selfmanaged",
    "no_support_level",
    "duplicate_salesforce_account",
    "support_level_mismatch",
    "no_salesforce_id",
    "org_name_mismatch",
    "invalid_org_domain",
)
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def valid_host(domain: str) -> bool:
    """Letters, digits and inner hyphens in dot-separated labels; alphabetic top-level label."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return False
    return labels[-1].isascii() and labels[-1].isalpha()


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def compute_defects(store: Store) -> dict[str, list]:
    """Expected findings per check: account Ids or organization ids, sorted."""
    out: dict[str, set] = {name: set() for name in CHECKS}
    by15: dict[str, dict] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for acc in store.all(SF_ACCOUNT):
        by15[acc["Id"][:15]] = {"Name": acc["Name"], "level": acc.get("Support_Level__c"),
                                "scope": acc.get("Type") == "Customer" and not acc.get("IsDeleted"),
                                "deployment": acc.get("GitLab_Deployment__c") or "",
                                "Id": acc["Id"]}
        if by15[acc["Id"][:15]]["scope"]:
            groups[normalize(acc["Name"])].append(acc["Id"])
    linked: set[str] = set()
    for org in store.all(ZD_ORGANIZATIONS):
        if org.get("deleted_at"):
            continue
        fields = org.get("organization_fields") or {}
        oid = org["id"]
        sfid, level = fields.get("salesforce_id"), fields.get("support_level")
        if _empty(level):
            out["no_support_level"].add(oid)
        if _empty(sfid):
            out["no_salesforce_id"].add(oid)
        if any(not valid_host(d) for d in org.get("domain_names") or []):
            out["invalid_org_domain"].add(oid)
        acc = None if _empty(sfid) else by15.get(sfid.strip()[:15])
        if acc is None:
            continue
        linked.add(acc["Id"])
        if not _empty(level) and not _empty(acc["level"]) and \
                level.strip().casefold() != acc["level"].strip().casefold():
            out["support_level_mismatch"].add(oid)
        if normalize(org["name"]) != normalize(acc["Name"]):
            out["org_name_mismatch"].add(oid)
    for acc in by15.values():
        if not acc["scope"] or acc["Id"] in linked:
            continue
        parts = acc["deployment"].split(";")
        if "GitLab.com" in parts:
            out["missing_zendesk_org_dotcom"].add(acc["Id"])
        if "Self-Managed" in parts:
            out["missing_zendesk_org_selfmanaged"].add(acc["Id"])
    for ids in groups.values():
        if len(ids) >= 2:
            out["duplicate_salesforce_account"].update(ids)
    return {name: sorted(ids) for name, ids in out.items()}


def oncall_findings(now_epoch: int) -> list[dict[str, str]]:
    """The on-call audit findings the PagerDuty seed plants on purpose (docs/oncall.md): a run
    on the seeded account at the generation time reports these and no other."""
    from datetime import UTC, datetime

    from sandbox.pagerduty.seed import planted_oncall_findings

    return planted_oncall_findings(datetime.fromtimestamp(now_epoch, UTC))


# -- shared organizations (docs/sharing.md), recomputed from the stored documents --------------
SHARING_OPTIONS = {  # option -> (shared_tickets, shared_comments, selected users' access)
    "own_tickets": (False, False, None), "view_all": (True, False, None),
    "view_and_comment_all": (True, True, None), "selected_view": (False, False, "view"),
    "selected_view_and_comment": (False, False, "comment"),
}
# What an organization-wide option already lets every end user do (a user's own access beyond it
# needs a request of its own).
ORG_WIDE_ALLOWS = {"own_tickets": (), "view_all": ("view",), "view_and_comment_all": ("view", "comment")}


def _request_block(text: str) -> dict[str, str]:
    inside, out = False, {}
    for line in (text or "").splitlines():
        if line.strip().startswith("```"):
            if inside:
                break
            inside = line.strip() == "```shared-org"
            continue
        if inside and ":" in line:
            key, value = line.split(":", 1)
            out[key.strip().lower()] = value.strip()
    return out


def shared_org_findings(store: Store) -> dict[str, list]:
    """Expected shared-organization findings: {check: sorted entity ids} (docs/sharing.md)."""
    from sandbox.core.collections import GL_ISSUES, ZD_USERS

    latest: dict[int, tuple[int, str, set[str], str]] = {}  # org -> (iid, option, emails, state)
    for issue in store.all(GL_ISSUES):
        if issue.get("project_id") != 1002 or "shared-org::approved" not in (issue.get("labels") or []):
            continue
        block = _request_block(issue.get("description"))
        try:
            org_id = int(block.get("organization_id", ""))
        except ValueError:
            continue
        option = block.get("option", "")
        if option not in SHARING_OPTIONS:
            continue
        emails = {e.strip().lower() for e in block.get("users", "").replace(",", " ").split() if e.strip()}
        if org_id not in latest or issue["iid"] > latest[org_id][0]:
            latest[org_id] = (issue["iid"], option, emails, issue.get("state"))
    out: dict[str, set] = {k: set() for k in ("shared_org_without_request", "shared_org_settings_mismatch",
                                               "shared_org_request_not_applied", "shared_user_without_request")}
    users: dict[int, list[dict]] = {}
    for u in store.all(ZD_USERS):
        if u.get("role") == "end-user" and u.get("active", True) and u.get("organization_id"):
            users.setdefault(int(u["organization_id"]), []).append(u)
    for org in store.all(ZD_ORGANIZATIONS):
        if org.get("deleted_at"):
            continue
        oid = int(org["id"])
        req = latest.get(oid)
        members = users.get(oid, [])

        def access(u: dict) -> str | None:
            sees = u.get("ticket_restriction") == "organization"
            comments = bool((u.get("user_fields") or {}).get("shared_org_comments"))
            return "comment" if sees and comments else "view" if sees else None

        if req is None:
            if org.get("shared_tickets") or org.get("shared_comments"):
                out["shared_org_without_request"].add(str(oid))
            out["shared_user_without_request"].update(str(u["id"]) for u in members if access(u))
            continue
        _, option, emails, state = req
        tickets, comments, selected = SHARING_OPTIONS[option]
        ok = bool(org.get("shared_tickets")) == tickets and bool(org.get("shared_comments")) == comments
        for u in members:
            listed = selected is not None and (u.get("email") or "").lower() in emails
            have = access(u)
            if listed:
                ok = ok and have == selected
                if have == "comment" and selected == "view":
                    out["shared_user_without_request"].add(str(u["id"]))
            elif have and selected is not None:
                out["shared_user_without_request"].add(str(u["id"]))
            elif have and selected is None and have not in ORG_WIDE_ALLOWS[option]:
                out["shared_user_without_request"].add(str(u["id"]))
        listed_found = {(u.get("email") or "").lower() for u in members}
        ok = ok and (selected is None or emails <= listed_found)
        if not ok:
            out["shared_org_settings_mismatch" if state == "closed" else "shared_org_request_not_applied"].add(str(oid))
    return {k: sorted(v, key=int) for k, v in out.items()}
