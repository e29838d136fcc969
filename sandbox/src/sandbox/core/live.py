"""Live mode: keep the sandbox moving like a real help desk while it serves.

Every interval a few tickets are created (with metric sets and SLA events), some move
along their flow (new → open → pending → solved, surveys sent), customers rate solved
tickets and now and then a bad rating is changed to good. Choices come from a RNG seeded
with `cfg.seed`; timestamps are the real current time, so incremental exports see them.

Now and then (`PREMIUM_RATE` of the steps) a customer on a premium-class plan (ultimate,
premium, silver, gold) opens an urgent or high-priority ticket, whose first-reply SLA is
applied at once: urgent ones are inside the 2-hour breach window from the start, high ones
enter it two hours before their target, so the scheduled SLA-breach alerts have tickets to
alert on while nobody answers them (those draws use their own RNG: the rest of the activity
is the same as without them).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from sandbox.core.collections import (
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.core.config import SandboxConfig
from sandbox.core.store import Store
from sandbox.generate.catalog import FORMS, PRIORITY_SLA, REASONS
from sandbox.generate.docs import (
    CUSTOM_STATUS,
    SUBJECTS,
    SUPPORT_ADDRESS,
    event_doc,
    metric_doc,
    rating_doc,
    ticket_doc,
    ticket_rating,
    ticket_tags,
)
from sandbox.generate.util import RATING_BASE, rng_for, zd_time

log = logging.getLogger("sandbox")
OPEN = ("new", "open", "pending", "hold")
WINDOW = 400  # how far back (in ids) live mode looks for tickets and ratings to update
PREMIUM_RATE = 0.3  # share of steps in which a premium customer opens an urgent/high ticket
PREMIUM_PLANS = ("ultimate", "premium", "silver", "gold")


class LiveActivity:
    """One step of help-desk activity per `tick(now)`."""

    def __init__(self, store: Store, rng: random.Random, premium_rate: float = PREMIUM_RATE):
        self.store, self.rng = store, rng
        # Its own generator, derived without drawing from `rng`.
        self.sla_rng = random.Random(repr(rng.getstate()[1][:8]))
        self.premium_rate = premium_rate
        self.agents = [u for u in store.page_by_seq(ZD_USERS, None, 500)
                       if u.get("role") in ("agent", "admin")] or [{"id": None,
                                                                     "default_group_id": None}]

    # -- helpers ------------------------------------------------------------------
    def _put_ticket(self, doc: dict, now: int) -> None:
        doc["updated_at"] = zd_time(now)
        doc["generated_timestamp"] = now
        self.store.put(ZD_TICKETS, doc["id"], doc, ts=now, seq=doc["id"])

    def _event(self, tid: int, etype: str, now: int, sla: tuple | None = None) -> None:
        eid = self.store.next_id(ZD_TICKET_METRIC_EVENTS)
        self.store.put(ZD_TICKET_METRIC_EVENTS, eid, event_doc(eid, tid, etype, now, sla),
                       ts=now, seq=eid)

    def _recent(self, collection: str) -> list[dict]:
        top = self.store.next_id(collection) - 1
        return self.store.page_by_seq(collection, top - WINDOW, WINDOW)

    def _requester(self) -> tuple[dict | None, dict | None]:
        first = self.store.page_by_seq(ZD_USERS, None, 1)
        if not first:
            return None, None
        lo, hi = first[0]["id"], self.store.next_id(ZD_USERS) - 1
        for _ in range(10):
            found = self.store.page_by_seq(ZD_USERS, self.rng.randrange(lo - 1, hi), 1)
            if found and found[0].get("role") == "end-user":
                org_id = found[0].get("organization_id")
                org = self.store.get(ZD_ORGANIZATIONS, org_id) if org_id else None
                return found[0], org
        return None, None

    def _premium_requester(self) -> tuple[dict | None, dict | None]:
        """An end user whose organization is on a premium-class plan (None after 30 tries)."""
        saved, self.rng = self.rng, self.sla_rng
        try:
            for _ in range(30):
                user, org = self._requester()
                plan = ((org or {}).get("organization_fields") or {}).get("support_level")
                if user is not None and plan in PREMIUM_PLANS:
                    return user, org
            return None, None
        finally:
            self.rng = saved

    # -- activity -----------------------------------------------------------------
    def create_ticket(self, now: int, *, premium: bool = False) -> int | None:
        """A new ticket; `premium`: from a premium-class customer, urgent or high priority."""
        user, org = self._premium_requester() if premium else self._requester()
        if user is None:
            return None
        rng = self.sla_rng if premium else self.rng
        tid = self.store.next_id(ZD_TICKETS)
        plan = ((org or {}).get("organization_fields") or {}).get("support_level") or None
        priority = rng.choice(["urgent", "high"] if premium else ["low", "normal", "normal", "high", "urgent"])
        form = rng.choice(list(FORMS))
        channel = rng.choice(["web", "web", "email", "api"])
        agent = rng.choice(self.agents)
        doc = ticket_doc(tid, created=now, updated=now, subject=rng.choice(SUBJECTS),
                         priority=priority, status="new", channel=channel,
                         recipient=SUPPORT_ADDRESS if channel == "email" else None,
                         requester_id=user["id"], organization_id=(org or {}).get("id"),
                         assignee_id=None, group_id=agent.get("default_group_id"), form=form,
                         tags=ticket_tags(plan, priority, form, []), satisfaction_rating=None)
        self.store.put(ZD_TICKETS, tid, doc, ts=now, seq=tid)
        metrics = metric_doc(tid, created=now, updated=now, assigned=None, reply_at=None,
                             solved_at=None, status_at=now, replies=0)
        self.store.put(ZD_TICKET_METRICS, tid, metrics, ts=now, seq=tid)
        self._event(tid, "activate", now)
        if plan in PRIORITY_SLA:
            pid, title, targets = PRIORITY_SLA[plan]
            self._event(tid, "apply_sla", now, (pid, title, targets[priority]))
        return tid

    def advance(self, doc: dict, now: int) -> None:
        """Move a ticket one step along new → open → pending → solved (+ survey)."""
        rng, tid = self.rng, doc["id"]
        metrics = self.store.get(ZD_TICKET_METRICS, tid) or metric_doc(
            tid, created=now, updated=now, assigned=None, reply_at=None, solved_at=None,
            status_at=now, replies=0)
        status = doc["status"]
        if status == "new":
            agent = rng.choice(self.agents)
            doc.update(status="open", assignee_id=agent["id"])
            metrics.update(assigned_at=zd_time(now), initially_assigned_at=zd_time(now),
                           replies=1)
            self._event(tid, "fulfill", now)
        elif status in ("open", "hold"):
            doc["status"] = "pending"
        else:
            doc["status"] = "solved"
            metrics["solved_at"] = zd_time(now)
            tag = "csat_survey_sent" if rng.random() < 0.95 else "csat-survey-sent"
            doc["tags"] = sorted(set(doc["tags"]) | {tag})
            rid = max(self.store.next_id(ZD_SATISFACTION_RATINGS), RATING_BASE + 1)
            rating = rating_doc(rid, tid=tid, requester_id=doc["requester_id"],
                                assignee_id=doc.get("assignee_id"), group_id=doc.get("group_id"),
                                score="offered", created=now, updated=now)
            self.store.put(ZD_SATISFACTION_RATINGS, rid, rating, ts=now, seq=rid)
            doc["satisfaction_rating"] = ticket_rating(None, "offered")
        doc["custom_status_id"] = CUSTOM_STATUS[doc["status"]]
        metrics.update(updated_at=zd_time(now), status_updated_at=zd_time(now))
        self.store.put(ZD_TICKET_METRICS, tid, metrics, ts=now, seq=tid)
        self._put_ticket(doc, now)

    def rate(self, rating: dict, now: int, score: str | None = None) -> None:
        """Record a response (or a bad → good change) on a rating and its ticket."""
        rng = self.rng
        score = score or ("bad" if rng.random() < 0.2 else "good")
        rating.update(score=score, updated_at=zd_time(now))
        if rating["created_at"] > rating["updated_at"]:
            rating["created_at"] = rating["updated_at"]
        if score == "bad":
            rid, _code, text = rng.choice(REASONS)
            rating.update(reason=text, reason_id=rid, comment="Still waiting for a fix.")
        else:
            rating.update(reason=None, reason_id=None, comment=rng.choice([None, "Thanks!"]))
        self.store.put(ZD_SATISFACTION_RATINGS, rating["id"], rating, ts=now, seq=rating["id"])
        ticket = self.store.get(ZD_TICKETS, rating["ticket_id"])
        if ticket is not None:
            ticket["satisfaction_rating"] = ticket_rating(rating, score)
            self._put_ticket(ticket, now)

    def tick(self, now: int) -> dict[str, int]:
        rng = self.rng
        done: dict[str, Any] = {"created": 0, "advanced": 0, "rated": 0, "changed": 0, "premium": 0}
        for _ in range(rng.randint(1, 3)):
            if self.create_ticket(now) is not None:
                done["created"] += 1
        tickets = [t for t in self._recent(ZD_TICKETS) if t.get("status") in OPEN]
        for doc in rng.sample(tickets, min(len(tickets), rng.randint(1, 3))):
            self.advance(doc, now)
            done["advanced"] += 1
        ratings = self._recent(ZD_SATISFACTION_RATINGS)
        offered = [r for r in ratings if r.get("score") == "offered"]
        for rating in rng.sample(offered, min(len(offered), rng.randint(0, 2))):
            self.rate(rating, now)
            done["rated"] += 1
        bad = [r for r in ratings if r.get("score") == "bad"]
        if bad and rng.random() < 0.5:
            self.rate(rng.choice(bad), now, score="good")
            done["changed"] += 1
        if self.sla_rng.random() < self.premium_rate and self.create_ticket(now, premium=True) is not None:
            done["premium"] += 1
        return done


def run_live(store: Store, cfg: SandboxConfig, stop_event: threading.Event,
             interval_seconds: float = 5.0) -> None:
    """Run activity every `interval_seconds` until `stop_event` is set."""
    activity = LiveActivity(store, rng_for(cfg.seed, "live"))
    while not stop_event.is_set():
        try:
            done = activity.tick(int(time.time()))
            log.debug("sandbox live: %s", done)
        except Exception:  # keep serving even if one step fails
            log.exception("sandbox live step failed")
        stop_event.wait(interval_seconds)
