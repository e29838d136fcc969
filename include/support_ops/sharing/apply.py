"""Apply one approved request (the manual `shared_org_apply` DAG): exactly its option, for the
organization and the selected users, through the outbound layer; then a comment with the
before -> after on the issue, and the issue closed (docs/sharing.md).

Refused, with the reason commented on the issue: a request that is not approved, whose block
cannot be read, that names an organization or user that does not exist (or a user who is not an
end user of that organization), or whose ticket does not exist or is not from that
organization. A dry run plans and records everything and changes nothing (no comment either).
A second apply of the same request finds everything in place and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy import Engine

from .. import outbound
from ..outbound import gitlab as og
from . import options, store
from .requests import APPROVED, Request, read_request
from .target import APPLY, ISSUE, ZendeskAccess, org_write, read_users, user_write

log = logging.getLogger(__name__)


class Refused(RuntimeError):
    """The request cannot be applied; the reason is on the issue."""


def _h(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def refusal(request: Request, org: dict | None, ticket: dict | None, members: list[dict]) -> str | None:
    """Why `request` must not be applied, or None. `members`: the organization's end users."""
    if not request.approved:
        return f"the request is not approved (the label {APPROVED} is missing)"
    if request.error:
        return f"the request block cannot be read: {request.error}"
    oid = request.organization_id
    if org is None or org.get("deleted_at"):
        return f"organization {oid} does not exist in Zendesk"
    if ticket is None:
        return f"ticket {request.ticket_id} does not exist in Zendesk"
    if ticket.get("organization_id") != oid:
        return (f"ticket {request.ticket_id} is not from organization {oid} "
                f"(it is from {ticket.get('organization_id') or 'no organization'})")
    emails = {str(u.get("email") or "").lower() for u in members}
    unknown = [e for e in request.users if e not in emails]
    if unknown:
        return f"no end user of organization {oid} has the address {', '.join(unknown)}"
    return None


def desired(request: Request, org: dict, members: list[dict]) -> tuple[dict[str, bool], dict[int, str | None]]:
    """The organization's flags and every end user's access that the request means."""
    s = options.settings_for(request.option or "")
    want_org = {"shared_tickets": s.shared_tickets, "shared_comments": s.shared_comments}
    want_users: dict[int, str | None] = {}
    for u in members:
        listed = str(u.get("email") or "").lower() in request.users
        have = options.user_access(u)
        allowed = options.allowed_access(request.option or "", listed)
        if request.option in options.SELECTED and listed:
            want_users[int(u["id"])] = allowed
        elif options.wider(have, allowed):
            want_users[int(u["id"])] = allowed
    return want_org, want_users


def note_text(request: Request, org: dict, changes: list[dict[str, Any]], dry_run: bool = False) -> str:
    """The comment: what changed, before -> after (names and addresses escaped)."""
    e = og.escape_markdown
    head = (f"Shared organization request applied: option `{request.option}` for organization "
            f"{e(org.get('name'))} ({org['id']}).")
    if not changes:
        return head + "\n\nEverything was already in place: nothing was changed."
    rows = "\n".join(f"| {e(c['entity'])} | {e(c['field'])} | {e(c['before'])} | {e(c['after'])} |" for c in changes)
    return f"{head}\n\n| what | setting | before | after |\n|---|---|---|---|\n{rows}"


def apply_request(engine: Engine, *, gl: Any, project: str, iid: int, members: list[dict],
                  session: Any = None, api: str | None = None, dry_run: bool = False,
                  actor: outbound.Actor | None = None) -> dict[str, Any]:
    """Check, plan, apply, comment, close. Raises Refused (after commenting the reason)."""
    target = ZendeskAccess(session_factory=(lambda: (session, api)) if session is not None else None)
    from .target import install

    install(target)
    s, a = target.session()
    request = read_request(gl, project, iid)
    org = ticket = None
    if request.organization_id:
        org = read_org(s, a, request.organization_id)
    if request.ticket_id:
        resp = s.request("GET", f"{a}/tickets/{int(request.ticket_id)}.json", ok_status=(404,))
        ticket = resp.json().get("ticket") if resp.status_code != 404 else None
    people = [u for u in members if request.organization_id and u.get("organization_id") == request.organization_id]
    current = read_users(s, a, [u["id"] for u in people]) if people else {}
    people = [{**u, **current.get(int(u["id"]), {})} for u in people]
    reason = refusal(request, org, ticket, people)
    row = {"project": project, "issue_iid": int(iid), "option": request.option,
           "organization_id": request.organization_id, "actor": (actor or outbound.current_actor()).actor[:255]}
    with og_client(gl):
        if reason:
            if not dry_run:
                outbound.execute(engine, ISSUE, [og.note(f"shared_org:{iid}:refused:{_h(reason)}", project, iid,
                                                         f"This request cannot be applied: {og.escape_markdown(reason)}.")])
            store.record_apply(engine, {**row, "outcome": "refused", "reason": reason})
            raise Refused(f"request #{iid}: {reason}")
        want_org, want_users = desired(request, org, people)
        before_org = options.org_settings(org)
        writes, changes = [], []
        if before_org != want_org:
            writes.append(org_write(f"shared_org:{iid}:org:{org['id']}:{_h(before_org, want_org)}", org["id"],
                                    want_org, before_org, str(org.get("name"))))
            changes += [{"entity": f"organization {org['id']}", "field": k, "before": before_org[k], "after": v}
                        for k, v in want_org.items() if before_org[k] != v]
        by_id = {int(u["id"]): u for u in people}
        for uid, access in sorted(want_users.items()):
            have = options.user_access(by_id[uid])
            if have == access:
                continue
            after = options.user_settings(access)
            before = {"ticket_restriction": by_id[uid].get("ticket_restriction"), "access": have}
            writes.append(user_write(f"shared_org:{iid}:user:{uid}:{_h(have, access)}", uid, after, before,
                                     str(by_id[uid].get("email"))))
            changes.append({"entity": f"user {by_id[uid].get('email')}", "field": "access",
                            "before": have or "own tickets", "after": access or "own tickets"})
        result = outbound.execute(engine, APPLY, writes, dry_run=dry_run) if writes else None
        after_state = {"organization": want_org, "users": {str(k): v for k, v in want_users.items()}}
        if result is not None and result.status not in ("applied", "dry_run"):
            store.record_apply(engine, {**row, "outcome": "failed", "before": before_org, "after": after_state,
                                        "plan_id": result.plan_id, "reason": str(result.errors)[:2000]})
            raise RuntimeError(f"request #{iid}: Zendesk refused some changes: {result.errors}")
        issue_writes = []
        if changes or not request.closed:
            issue_writes.append(og.note(f"shared_org:{iid}:applied:{_h(changes)}", project, iid,
                                        note_text(request, org, changes)))
        if not request.closed:
            issue_writes.append(og.issue_update(f"shared_org:{iid}:close", project, iid, {"state_event": "close"},
                                                {"state": "closed"}))
        if issue_writes:
            outbound.execute(engine, ISSUE, issue_writes, dry_run=dry_run)
    outcome = "dry_run" if dry_run else ("applied" if changes else "unchanged")
    store.record_apply(engine, {**row, "outcome": outcome, "before": {"organization": before_org},
                                "after": after_state, "plan_id": result.plan_id if result else None})
    log.info("request #%s: %s, %d change(s)", iid, outcome, len(changes))
    return {"issue": int(iid), "outcome": outcome, "changes": changes}


def read_org(session: Any, api: str, org_id: int) -> dict | None:
    from ..org_sync.target import read_organizations

    return read_organizations(session, api, [int(org_id)]).get(int(org_id))


def og_client(gl: Any):
    """Send this run's GitLab writes with the run's own client."""
    from ..feedback.issues import use_client

    return use_client(gl)
