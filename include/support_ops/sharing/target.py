"""The outbound target of the shared-organization apply: organizations' `shared_tickets` /
`shared_comments` (`organizations/update_many`) and end users' `ticket_restriction` and comment
field (`users/update_many`), 100 a call, every job status polled to its end (Zendesk API
reference: Organizations and Users, Update Many; Job Statuses).

Built on the organization sync's target (org_sync/target.py): the same retrying session (429s
waited out per `Retry-After`, 5xx retried) and job polling. Reconcile reads organizations and
users back (`show_many`): a write whose values are already there counts as applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..org_sync.target import JobExpired, SyncZendeskOrganizations, read_organizations
from ..outbound.model import Outcome, StoredWrite, Write
from ..outbound.targets import register
from ..outbound.writers import Writer, register_writer

TARGET = "zendesk_access"
ORG = "update_organization_sharing"
USER = "update_user_access"
APPLY = register_writer(Writer("shared_org_apply", TARGET, default_cap=100))
ISSUE = register_writer(Writer("shared_org_issue", "gitlab", default_cap=3))


def org_write(key: str, org_id: int, after: dict[str, bool], before: dict[str, bool], name: str) -> Write:
    change = ", ".join(f"{k}: {before.get(k)} -> {v}" for k, v in after.items())
    return Write(key=key, action=ORG, target_ref=f"organization {org_id}", summary=f"{name} ({org_id}): {change}",
                 after={"organization_id": int(org_id), **after}, before=before)


def user_write(key: str, user_id: int, after: dict[str, Any], before: dict[str, Any], email: str) -> Write:
    return Write(key=key, action=USER, target_ref=f"user {user_id}",
                 summary=f"{email} ({user_id}): {before} -> {after}", after={"user_id": int(user_id), **after},
                 before=before)


def read_users(session: Any, api: str, ids: Sequence[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    ids = list(dict.fromkeys(int(i) for i in ids))
    for i in range(0, len(ids), 100):
        body = session.get(f"{api}/users/show_many.json", params={"ids": ",".join(map(str, ids[i:i + 100]))}).json()
        for u in body.get("users") or []:
            out[int(u["id"])] = u
    return out


def _holds(write: StoredWrite, doc: dict | None) -> bool:
    if doc is None:
        return False
    a = write.after
    if write.action == ORG:
        return all(bool(doc.get(k)) == v for k, v in a.items() if k != "organization_id")
    fields = doc.get("user_fields") or {}
    return doc.get("ticket_restriction") == a["ticket_restriction"] and all(
        bool(fields.get(k)) == bool(v) for k, v in (a.get("user_fields") or {}).items())


class ZendeskAccess(SyncZendeskOrganizations):
    name = TARGET

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        session, api = self._session()
        done: dict[str, Outcome] = {}
        for action, path, key, ident in ((ORG, "organizations", "organizations", "organization_id"),
                                         (USER, "users", "users", "user_id")):
            group = [w for w in writes if w.action == action]
            if not group:
                continue
            body = {key: [{"id": w.after[ident], **{k: v for k, v in w.after.items() if k != ident}} for w in group]}
            job = session.put(f"{api}/{path}/update_many.json", json=body).json()["job_status"]
            try:
                job = self._poll(session, api, job)
            except JobExpired as exc:
                for w, o in zip(group, self.reconcile(group), strict=True):
                    done[w.key] = o or Outcome.failed(f"{exc}; not in place when read back")
                continue
            results = {r.get("id"): r for r in job.get("results") or []}
            for w in group:
                r = results.get(w.after[ident])
                if job.get("status") != "completed" or r is None:
                    done[w.key] = Outcome.failed(f"job {job.get('id')} {job.get('status')}: no result")
                elif r.get("error") or r.get("success") is False:
                    done[w.key] = Outcome.failed(f"{r.get('error')}: {r.get('details')}", job_id=job.get("id"))
                else:
                    done[w.key] = Outcome.applied(job_id=job.get("id"), status=r.get("status"))
        for w in writes:
            if w.action not in (ORG, USER):
                raise ValueError(f"{self.name} cannot {w.action}")
        return [done[w.key] for w in writes]

    def reconcile(self, writes: Sequence[StoredWrite], wait_for_jobs: bool = True) -> list[Outcome | None]:
        session, api = self._session()
        orgs = read_organizations(session, api, [w.after["organization_id"] for w in writes if w.action == ORG])
        users = read_users(session, api, [w.after["user_id"] for w in writes if w.action == USER])
        out: list[Outcome | None] = []
        for w in writes:
            doc = orgs.get(w.after["organization_id"]) if w.action == ORG else users.get(w.after["user_id"])
            out.append(Outcome.applied(read_back=True) if _holds(w, doc) else None)
        return out


def install(target: ZendeskAccess | None = None) -> ZendeskAccess:
    t = target or ZendeskAccess()
    register(t)
    return t


install()
