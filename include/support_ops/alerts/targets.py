"""The outbound targets and writers of the ops notifications.

- `slack_ops`: Slack incoming webhooks (each channel its own connection) with slack_sdk's
  retry handlers: a 429 is waited out per `Retry-After`, a 5xx or a dropped connection retried.
  At least once, as the project's Slack target: a lost breach alert is worse than a repeat.
- `slack_feed`: the same, at most once: a live-feed message whose attempt was interrupted is
  not sent again, so no ticket is listed twice (docs/alerts.md).
- `zendesk_tickets`: the alert tag, `tickets/update_many` (100 tickets a call) with
  `additional_tags` or `remove_tags`, every job status polled to its end; read back with
  `tickets/show_many` (Zendesk API reference, Tickets and Job Statuses), so an interrupted
  tagging is settled by looking at the tickets instead of being sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from ..org_sync.http import CallStats, Policy, RetryingSession
from ..outbound.model import Delivery, Outcome, StoredWrite, Write
from ..outbound.slack import SlackWebhook
from ..outbound.targets import Target, register
from ..outbound.writers import Writer, register_writer
from .rules import TAG

log = logging.getLogger(__name__)

BULK = 100
JOB_DONE = ("completed", "failed", "killed")
ADD, REMOVE = "add_tag", "remove_tag"

SLA_ALERTS = register_writer(Writer("sla_breach_alert", "slack_ops", default_cap=50, param="max_alerts"))
SLA_TAGS = register_writer(Writer("sla_breach_tag", "zendesk_tickets", default_cap=500, param="max_alerts"))
FEED = register_writer(Writer("ticket_feed", "slack_feed", default_cap=2))
VIEW_COUNTS = register_writer(Writer("view_counts", "slack_ops", default_cap=1))


class RetryingSlack(SlackWebhook):
    name = "slack_ops"
    retries = 5

    def send_one(self, write: StoredWrite) -> Outcome:
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )

        handlers = [RateLimitErrorRetryHandler(max_retry_count=self.retries),
                    ServerErrorRetryHandler(max_retry_count=self.retries),
                    ConnectionErrorRetryHandler(max_retry_count=self.retries)]
        after = write.after
        hook = SlackWebhookHook(slack_webhook_conn_id=after["conn_id"], retry_handlers=handlers)
        resp = hook.send(text=after["text"], blocks=after.get("blocks"))
        return Outcome.applied(status_code=resp.status_code, body=str(resp.body)[:200])


class FeedSlack(RetryingSlack):
    name = "slack_feed"
    delivery = Delivery.AT_MOST_ONCE


def tag_write(action: str, ticket_id: int, key: str, summary: str) -> Write:
    return Write(key=key, action=action, target_ref=f"ticket {ticket_id}", summary=summary,
                 after={"ticket_id": int(ticket_id), "tag": TAG})


class ZendeskTickets(Target):
    """Add or remove the alert tag on tickets, 100 a call."""

    name = "zendesk_tickets"
    delivery = Delivery.READ_BACK
    batch_size = BULK

    def __init__(self, session_factory: Any = None, policy: Policy | None = None,
                 poll_timeout_s: float = 300.0) -> None:
        self._factory = session_factory
        self.policy = policy or Policy()
        self.stats = CallStats()
        self.poll_timeout_s = poll_timeout_s
        self._cached: tuple[RetryingSession, str] | None = None

    def reset(self) -> CallStats:
        """A fresh session and call counter (one per run; the OAuth token renews inside it)."""
        self._cached = None
        self.stats = CallStats()
        return self.stats

    def _session(self) -> tuple[RetryingSession, str]:
        if self._cached is None:
            if self._factory is not None:
                session, api = self._factory()
            else:
                from ..clients.zendesk import SupportZendeskHook

                session, api = SupportZendeskHook().api_session()
            self._cached = (RetryingSession(session, self.policy, self.stats), api)
        return self._cached

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        out: dict[str, Outcome] = {}
        for action, field in ((ADD, "additional_tags"), (REMOVE, "remove_tags")):
            group = [w for w in writes if w.action == action]
            if group:
                out.update(self._update(group, field))
        unknown = [w.action for w in writes if w.action not in (ADD, REMOVE)]
        if unknown:
            raise ValueError(f"{self.name} cannot {unknown[0]}")
        return [out[w.key] for w in writes]

    def _update(self, writes: Sequence[StoredWrite], field: str) -> dict[str, Outcome]:
        session, api = self._session()
        ids = [int(w.after["ticket_id"]) for w in writes]
        resp = session.put(f"{api}/tickets/update_many.json", params={"ids": ",".join(map(str, ids))},
                           json={"ticket": {field: [TAG]}})
        job = resp.json()["job_status"]
        log.info("tickets/update_many %s %s: %d tickets, job %s", field, TAG, len(ids), job.get("id"))
        job = self._poll(session, api, job)
        if job is None:  # expired before it was read: look at the tickets
            found = self.reconcile(writes)
            return {w.key: o or Outcome.failed("job status expired and the ticket does not show the change")
                    for w, o in zip(writes, found, strict=True)}
        if job.get("status") != "completed":
            return {w.key: Outcome.failed(f"job {job.get('id')} {job.get('status')}: {job.get('message')}")
                    for w in writes}
        by_id = {r.get("id"): r for r in job.get("results") or []}
        out = {}
        for w in writes:
            r = by_id.get(int(w.after["ticket_id"]))
            if r is None:
                out[w.key] = Outcome.failed(f"job {job.get('id')} has no result for the ticket")
            elif r.get("error") or r.get("success") is False:
                out[w.key] = Outcome.failed(f"{r.get('error')}: {r.get('details')}", job_id=job.get("id"))
            else:
                out[w.key] = Outcome.applied(job_id=job.get("id"), status=r.get("status"))
        return out

    def _poll(self, session: RetryingSession, api: str, job: dict) -> dict | None:
        deadline = time.monotonic() + self.poll_timeout_s
        delay = 0.25
        while job.get("status") not in JOB_DONE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job status {job.get('id')} still {job.get('status')} after "
                                   f"{self.poll_timeout_s:.0f} s")
            self.policy.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            resp = session.request("GET", f"{api}/job_statuses/{job['id']}.json", ok_status=(404,))
            if resp.status_code == 404:
                return None
            job = resp.json()["job_status"]
        return job

    def reconcile(self, writes: Sequence[StoredWrite]) -> list[Outcome | None]:
        session, api = self._session()
        ids = list(dict.fromkeys(int(w.after["ticket_id"]) for w in writes))
        tickets: dict[int, dict] = {}
        for i in range(0, len(ids), BULK):
            body = session.get(f"{api}/tickets/show_many.json",
                               params={"ids": ",".join(map(str, ids[i:i + BULK]))}).json()
            tickets.update({int(t["id"]): t for t in body.get("tickets") or []})
        out: list[Outcome | None] = []
        for w in writes:
            t = tickets.get(int(w.after["ticket_id"]))
            has = t is not None and TAG in (t.get("tags") or [])
            done = has if w.action == ADD else (t is not None and not has)
            out.append(Outcome.applied(read_back=True) if done else None)
        return out


TICKETS = ZendeskTickets()


def install(tickets: ZendeskTickets | None = None) -> ZendeskTickets:
    """Register the targets (a configured Zendesk one in tests and the bench)."""
    register(RetryingSlack())
    register(FeedSlack())
    t = tickets or TICKETS
    register(t)
    return t


install()
