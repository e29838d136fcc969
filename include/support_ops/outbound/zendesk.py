"""Zendesk organization updates: `organizations/update_many` (100 a call), job status polled to
its end, read back with `organizations/show_many` (Zendesk API reference, Organizations and
Job Statuses). Reconcile: an organization whose fields already hold the values written counts
as applied, so an interrupted update is never sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .compare import differences
from .model import Delivery, Outcome, StoredWrite, Write
from .targets import Target

BULK = 100
JOB_DONE = {"completed", "failed", "killed"}
POLL_TIMEOUT_S = 600.0


def organization_update(key: str, organization_id: int, fields: dict[str, Any], *,
                        before: dict[str, Any] | None = None, summary: str | None = None) -> Write:
    """A planned change of organization_fields of one organization."""
    changes = ", ".join(f"{k}: {(before or {}).get(k)!r} -> {v!r}" for k, v in fields.items())
    return Write(key=key, action="update_organization", target_ref=f"organization {organization_id}",
                 summary=summary or f"organization {organization_id}: {changes}",
                 after={"organization_id": int(organization_id), "organization_fields": fields},
                 before=before)


class ZendeskOrganizations(Target):
    name = "zendesk"
    delivery = Delivery.READ_BACK
    batch_size = BULK

    def __init__(self, session_factory: Any = None, poll_timeout_s: float = POLL_TIMEOUT_S) -> None:
        self._session_factory = session_factory
        self.poll_timeout_s = poll_timeout_s

    def _session(self) -> tuple[Any, str]:
        if self._session_factory is not None:
            return self._session_factory()
        from ..clients.zendesk import SupportZendeskHook

        return SupportZendeskHook().api_session()

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        for w in writes:
            if w.action != "update_organization":
                raise ValueError(f"zendesk target cannot {w.action}")
        session, api = self._session()
        body = {"organizations": [{"id": w.after["organization_id"],
                                   "organization_fields": w.after["organization_fields"]} for w in writes]}
        resp = session.put(f"{api}/organizations/update_many.json", json=body, timeout=60)
        resp.raise_for_status()
        job = self._wait(session, api, resp.json()["job_status"])
        if job.get("status") != "completed":
            return [Outcome.failed(f"job {job.get('id')} {job.get('status')}: {job.get('message')}")] * len(writes)
        by_index = {r.get("index", i): r for i, r in enumerate(job.get("results") or [])}
        by_id = {r.get("id"): r for r in job.get("results") or [] if "index" not in r}
        outcomes = []
        for i, w in enumerate(writes):
            r = by_index.get(i) or by_id.get(w.after["organization_id"])
            if r is None:
                outcomes.append(Outcome.failed(f"job {job['id']} has no result for the organization"))
            elif r.get("error") or r.get("success") is False:
                outcomes.append(Outcome.failed(f"{r.get('error')}: {r.get('details')}", job_id=job["id"]))
            else:
                outcomes.append(Outcome.applied(job_id=job["id"], status=r.get("status")))
        return outcomes

    def _wait(self, session: Any, api: str, job: dict) -> dict:
        deadline = time.monotonic() + self.poll_timeout_s
        delay = 0.2
        while job.get("status") not in JOB_DONE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job status {job.get('id')} still {job.get('status')} after "
                                   f"{self.poll_timeout_s:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            r = session.get(f"{api}/job_statuses/{job['id']}.json", timeout=30)
            r.raise_for_status()
            job = r.json()["job_status"]
        return job

    def reconcile(self, writes: Sequence[StoredWrite]) -> list[Outcome | None]:
        session, api = self._session()
        ids = ",".join(str(w.after["organization_id"]) for w in writes)
        resp = session.get(f"{api}/organizations/show_many.json", params={"ids": ids}, timeout=60)
        resp.raise_for_status()
        orgs = {o["id"]: o for o in resp.json().get("organizations", [])}
        out: list[Outcome | None] = []
        for w in writes:
            org = orgs.get(w.after["organization_id"])
            if org is None:
                out.append(None)
                continue
            diff = differences(w.after["organization_fields"], org.get("organization_fields") or {})
            out.append(None if diff else Outcome.applied(read_back=True, updated_at=org.get("updated_at")))
        return out
