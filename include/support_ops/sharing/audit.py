"""The daily audit: every organization's sharing and every end user's own access, compared with
the approved requests (docs/sharing.md). Pure: documents in, findings out.

- `shared_org_without_request` (organization): `shared_tickets` or `shared_comments` is on and
  no approved request names the organization.
- `shared_org_settings_mismatch` (organization): its latest approved request was applied (the
  issue is closed) and the organization or a selected user no longer has what it says.
- `shared_org_request_not_applied` (organization): its latest approved request is still open and
  what it says is not in place yet.
- `shared_user_without_request` (user): an end user whose own access (the organization's tickets,
  or commenting on them) goes beyond what the organization's approved request allows them.
Findings are ordered widest exposure first: everyone commenting, everyone reading, then selected
users; more end users first within each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import options
from .requests import Request, latest_by_org

WITHOUT_REQUEST = "shared_org_without_request"
SETTINGS_MISMATCH = "shared_org_settings_mismatch"
NOT_APPLIED = "shared_org_request_not_applied"
USER_WITHOUT_REQUEST = "shared_user_without_request"
CHECKS = (WITHOUT_REQUEST, SETTINGS_MISMATCH, NOT_APPLIED, USER_WITHOUT_REQUEST)


@dataclass(frozen=True)
class Finding:
    check: str
    entity_type: str  # organization or user
    entity_id: str
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    exposure: tuple[int, int] = (0, 0)  # (option rank, end users who see more than their own tickets)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check, self.entity_type, self.entity_id)


def _members(users: Iterable[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for u in users:
        if u.get("role") == "end-user" and u.get("active", True) is not False and u.get("organization_id"):
            out.setdefault(int(u["organization_id"]), []).append(u)
    return out


def in_effect(org: dict[str, Any], members: list[dict[str, Any]]) -> str | None:
    """The option an organization's settings amount to now."""
    return options.option_for(bool(org.get("shared_tickets")), bool(org.get("shared_comments")),
                              (options.user_access(u) for u in members))


def exposure(org: dict[str, Any], members: list[dict[str, Any]]) -> tuple[int, int]:
    option = in_effect(org, members)
    rank = options.EXPOSURE.get(option, options.EXPOSURE[options.VIEW_AND_COMMENT_ALL]) if option else 4
    exposed = len(members) if org.get("shared_tickets") or org.get("shared_comments") \
        else sum(1 for u in members if options.user_access(u))
    return rank, exposed


def differences(request: Request, org: dict[str, Any], members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What differs from the request: [{entity, field, want, have}] (empty when all is in place)."""
    want = options.settings_for(request.option or "")
    out = []
    for name in ("shared_tickets", "shared_comments"):
        if bool(org.get(name)) != getattr(want, name):
            out.append({"entity": f"organization {org['id']}", "field": name, "want": getattr(want, name),
                        "have": bool(org.get(name))})
    if request.option in options.SELECTED:
        by_email = {str(u.get("email") or "").lower(): u for u in members}
        for email in request.users:
            u = by_email.get(email)
            if u is None:
                out.append({"entity": f"user {email}", "field": "membership", "want": "end user of the organization",
                            "have": "not found"})
                continue
            have = options.user_access(u)
            if have != want.selected_access:
                out.append({"entity": f"user {u['id']}", "field": "access", "want": want.selected_access,
                            "have": have})
    return out


def run_audit(orgs: Iterable[dict[str, Any]], users: Iterable[dict[str, Any]],
              requests: Iterable[Request]) -> list[Finding]:
    """Findings for live organizations and their active end users, widest exposure first."""
    latest = latest_by_org(list(requests))
    members = _members(users)
    found: list[Finding] = []
    for org in orgs:
        if org.get("deleted_at"):
            continue
        oid = int(org["id"])
        people = members.get(oid, [])
        req = latest.get(oid)
        exp = exposure(org, people)
        base = {"organization": org.get("name"), "shared_tickets": bool(org.get("shared_tickets")),
                "shared_comments": bool(org.get("shared_comments")), "in_effect": in_effect(org, people),
                "end_users": len(people)}
        if req is None:
            if org.get("shared_tickets") or org.get("shared_comments"):
                found.append(Finding(WITHOUT_REQUEST, "organization", str(oid), base, exp))
        else:
            diff = differences(req, org, people)
            if diff:
                check = SETTINGS_MISMATCH if req.closed else NOT_APPLIED
                found.append(Finding(check, "organization", str(oid),
                                     {**base, "request": req.iid, "option": req.option, "differences": diff,
                                      "issue_url": req.web_url}, exp))
        for u in people:
            have = options.user_access(u)
            if not have:
                continue
            listed = req is not None and str(u.get("email") or "").lower() in req.users
            allowed = options.allowed_access(req.option, listed) if req is not None else None
            if options.wider(have, allowed):
                found.append(Finding(USER_WITHOUT_REQUEST, "user", str(u["id"]), {
                    "organization_id": oid, "organization": org.get("name"), "email": u.get("email"),
                    "access": have, "allowed": allowed, "request": req.iid if req else None},
                    (options.EXPOSURE[options.SELECTED_VIEW_AND_COMMENT if have == options.COMMENT
                                      else options.SELECTED_VIEW], 1)))
    return sorted(found, key=lambda f: (-f.exposure[0], -f.exposure[1], CHECKS.index(f.check), f.entity_id))
