"""The sync's Zendesk target: `update_many` (100 a call), every job status polled to its end.

Built on the outbound layer's Zendesk organizations target, with what a 10,000-organization
run meets: 429s (the per-minute limit and the 30 queued-jobs limit) waited out per
`Retry-After`, 5xx retried (http.py); a job status that expired before it was read (Zendesk
keeps them about an hour) settled by reading the organizations back; and a reconcile that first
waits for the account's queued or running jobs, so an update still in Zendesk's queue after a
crash is not sent a second time. Zendesk API reference: Organizations (Update Many, Show Many),
Job Statuses (Show, List).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..outbound.model import Outcome, StoredWrite
from ..outbound.targets import register
from ..outbound.writers import Writer
from ..outbound.zendesk import BULK, JOB_DONE, ZendeskOrganizations
from . import rules
from .http import CallStats, Policy, RetryingSession, ZendeskCallError

log = logging.getLogger(__name__)

TARGET = "zendesk_orgs"
SETTING = "SUPPORT_OPS_SYNC_MAX_CHANGES"
DEFAULT_CAP = 1000
CREATE = "create_organization"


@dataclass(frozen=True)
class SyncWriter(Writer):
    """The sync's writer: its cap is `SUPPORT_OPS_SYNC_MAX_CHANGES` (organizations per run)."""

    @property
    def setting(self) -> str:
        return SETTING

    def how_to_approve(self) -> str:
        return (f"trigger salesforce_zendesk_org_sync again with the Param {self.param!r} at least the "
                f"number planned, or raise the setting {SETTING}; `support_ops org-sync plan` shows the plan")


ORG_SYNC = SyncWriter("org_sync", TARGET, default_cap=DEFAULT_CAP)


class JobExpired(RuntimeError):
    """Zendesk no longer has the job status (it keeps them about an hour)."""


class SyncZendeskOrganizations(ZendeskOrganizations):
    name = TARGET

    def __init__(self, session_factory: Any = None, poll_timeout_s: float = 900.0, policy: Policy | None = None,
                 stats: CallStats | None = None, after_submit: Callable[[dict], None] | None = None,
                 poll_interval: float = 0.25) -> None:
        super().__init__(session_factory, poll_timeout_s)
        self.policy = policy or Policy()
        self.stats = stats if stats is not None else CallStats()
        self.after_submit = after_submit  # a test seam: called between update_many and the first poll
        self.poll_interval = poll_interval
        self._cached: tuple[RetryingSession, str] | None = None

    def _session(self) -> tuple[Any, str]:
        """One authenticated session per target (the OAuth token renews itself inside it)."""
        if self._cached is None:
            session, api = super()._session()
            self._cached = (RetryingSession(session, self.policy, self.stats), api)
        return self._cached

    def session(self) -> tuple[RetryingSession, str]:
        """(retrying session, API base) for the sync's own reads (verify)."""
        return self._session()  # type: ignore[return-value]

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        if len(writes) > BULK:
            raise ValueError(f"a bulk call takes at most {BULK} organizations, not {len(writes)}")
        for w in writes:
            if w.action not in ("update_organization", CREATE):
                raise ValueError(f"{self.name} cannot {w.action}")
        creates = [w for w in writes if w.action == CREATE]
        if not creates:
            return self._update_many(writes)
        updates = [w for w in writes if w.action != CREATE]
        done = dict(zip((w.key for w in updates), self._update_many(updates), strict=True)) if updates else {}
        done.update(zip((w.key for w in creates), self._create_many(creates), strict=True))
        return [done[w.key] for w in writes]

    def _create_many(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        """`create_many`: new organizations (create_missing); results in the order sent."""
        session, api = self._session()
        body = {"organizations": [w.after["organization"] for w in writes]}
        job = session.post(f"{api}/organizations/create_many.json", json=body).json()["job_status"]
        log.info("create_many: %d organizations, job %s %s", len(writes), job.get("id"), job.get("status"))
        try:
            job = self._poll(session, api, job)
        except JobExpired as exc:
            return [o or Outcome.failed(f"{exc}; no organization with this external_id")
                    for o in self.reconcile(writes, wait_for_jobs=False)]
        if job.get("status") != "completed":
            return [Outcome.failed(f"job {job.get('id')} {job.get('status')}: {job.get('message')}")] * len(writes)
        results = job.get("results") or []
        by_index = {r["index"]: r for r in results if isinstance(r.get("index"), int)}
        positional = len(results) == len(writes)
        out = []
        for i, _w in enumerate(writes):
            r = by_index.get(i) or (results[i] if positional else None)
            if r is None:
                out.append(Outcome.failed(f"job {job.get('id')} has no result for item {i}"))
            elif r.get("error"):
                out.append(Outcome.failed(f"{r.get('error')}: {r.get('details')}", job_id=job.get("id")))
            else:
                out.append(Outcome.applied(job_id=job.get("id"), status=r.get("status"), organization_id=r.get("id")))
        return out

    def _update_many(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        session, api = self._session()
        body = {"organizations": [{"id": w.after["organization_id"],
                                   "organization_fields": w.after["organization_fields"]} for w in writes]}
        job = session.put(f"{api}/organizations/update_many.json", json=body).json()["job_status"]
        log.info("update_many: %d organizations, job %s %s", len(writes), job.get("id"), job.get("status"))
        if self.after_submit is not None:
            self.after_submit(job)
        try:
            job = self._poll(session, api, job)
        except JobExpired as exc:
            log.warning("%s; reading the organizations back instead", exc)
            return [o or Outcome.failed(f"{exc}; the organization does not show the values written")
                    for o in self.reconcile(writes, wait_for_jobs=False)]
        if job.get("status") != "completed":
            return [Outcome.failed(f"job {job.get('id')} {job.get('status')}: {job.get('message')}")] * len(writes)
        results = job.get("results") or []
        by_id = {r.get("id"): r for r in results if r.get("id") is not None}
        by_index = {r["index"]: r for r in results if isinstance(r.get("index"), int)}
        out = []
        for i, w in enumerate(writes):
            r = by_id.get(w.after["organization_id"]) or by_index.get(i)
            if r is None:
                out.append(Outcome.failed(f"job {job.get('id')} has no result for organization "
                                          f"{w.after['organization_id']}", job_id=job.get("id")))
            elif r.get("error") or r.get("success") is False:
                out.append(Outcome.failed(f"{r.get('error')}: {r.get('details')}", job_id=job.get("id")))
            else:
                out.append(Outcome.applied(job_id=job.get("id"), status=r.get("status")))
        return out

    def _poll(self, session: RetryingSession, api: str, job: dict) -> dict:
        """Poll the job status until it is completed, failed or killed."""
        deadline = time.monotonic() + self.poll_timeout_s
        delay = self.poll_interval
        while job.get("status") not in JOB_DONE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job status {job.get('id')} still {job.get('status')} after "
                                   f"{self.poll_timeout_s:.0f} s")
            self.policy.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            resp = session.request("GET", f"{api}/job_statuses/{job['id']}.json", ok_status=(404,))
            if resp.status_code == 404:
                raise JobExpired(f"job status {job['id']} is gone (Zendesk keeps job statuses about an hour)")
            job = resp.json()["job_status"]
        return job

    def _wait_for_open_jobs(self, session: RetryingSession, api: str) -> None:
        """Let the account's queued or running jobs finish before reading organizations back."""
        try:
            jobs = session.get(f"{api}/job_statuses.json").json().get("job_statuses") or []
        except ZendeskCallError as exc:
            log.warning("could not list job statuses (%s); reading back without waiting", exc)
            return
        for job in jobs:
            if job.get("status") not in JOB_DONE:
                log.info("job %s is %s: waiting for it before reading back", job.get("id"), job.get("status"))
                try:
                    self._poll(session, api, job)
                except JobExpired:
                    continue

    def reconcile(self, writes: Sequence[StoredWrite], wait_for_jobs: bool = True) -> list[Outcome | None]:
        session, api = self._session()
        if wait_for_jobs:
            self._wait_for_open_jobs(session, api)
        updates = [w for w in writes if w.action != CREATE]
        orgs = read_organizations(session, api, [int(w.after["organization_id"]) for w in updates])
        out: list[Outcome | None] = []
        for w in writes:
            if w.action == CREATE:
                out.append(_find_created(session, api, w))
                continue
            org = orgs.get(int(w.after["organization_id"]))
            if org is None:
                out.append(None)
                continue
            diff = differing_fields(w.after["organization_fields"], org)
            out.append(None if diff else Outcome.applied(read_back=True, updated_at=org.get("updated_at")))
        return out


def _find_created(session: RetryingSession, api: str, write: StoredWrite) -> Outcome | None:
    """A created organization carries the account's id as its external_id: search for it."""
    external_id = write.after["organization"]["external_id"]
    found = session.get(f"{api}/organizations/search.json", params={"external_id": external_id}).json()
    orgs = found.get("organizations") or []
    if not orgs:
        return None
    return Outcome.applied(read_back=True, organization_id=int(orgs[0]["id"]))


def read_organizations(session: RetryingSession, api: str, ids: Sequence[int]) -> dict[int, dict]:
    """Organizations by id, `show_many` at most 100 ids a call."""
    out: dict[int, dict] = {}
    ids = list(dict.fromkeys(int(i) for i in ids))
    for i in range(0, len(ids), BULK):
        chunk = ids[i:i + BULK]
        body = session.get(f"{api}/organizations/show_many.json",
                           params={"ids": ",".join(map(str, chunk))}).json()
        for org in body.get("organizations") or []:
            out[int(org["id"])] = org
    return out


def differing_fields(written: dict[str, Any], org: dict) -> list[str]:
    """Fields whose value on the organization is not what was written (the sync's comparison)."""
    have = rules.org_fields(org)
    return [f for f, v in written.items()
            if not rules.same_value(rules.BY_FIELD.get(f, rules.FieldMap(f, f, "text")), have.get(f), v)]


def install(target: SyncZendeskOrganizations | None = None) -> SyncZendeskOrganizations:
    """Register the sync's target (a configured one in tests and the bench)."""
    t = target or SyncZendeskOrganizations()
    register(t)
    return t


install()
