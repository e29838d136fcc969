"""Six months of tickets with their metric sets, SLA metric events and satisfaction ratings.

Tickets are drawn in id order (creation times stratified over the range, so ids grow with
time) and written in batches: memory stays flat whatever the scale. The CSAT figures of
docs/kpi-definitions.md are tallied from the documents as they are written, for the manifest.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from typing import Any

from sandbox.core.collections import (
    ZD_SATISFACTION_RATINGS,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
)
from sandbox.core.store import Store
from sandbox.generate.accounts import BATCH, STAFF_ORG, OrgInfo
from sandbox.generate.catalog import PRIORITY_SLA, REASONS
from sandbox.generate.docs import (
    MAIL_LIST_ADDRESS,
    SUBJECTS,
    SUPPORT_ADDRESS,
    event_doc,
    metric_doc,
    rating_doc,
    ticket_doc,
    ticket_rating,
    ticket_tags,
)
from sandbox.generate.users import People
from sandbox.generate.util import (
    DAY,
    EVENT_BASE,
    HOUR,
    RATING_BASE,
    TICKET_BASE,
    parse_time,
    zd_time,
)

SPAN_DAYS = 183
PRIORITIES = ["low", "normal", "high", "urgent", None]
PRIORITY_W = [18, 50, 20, 7, 5]
SURVEY_TAGS = ("csat_survey_sent", "csat-survey-sent")
# Rates (tuned so coverage ≈ 0.90, response rate ≈ 0.24, CSAT in the low 90s).
P_STAFF, P_MAIL_LIST, P_MERGED, P_DELETED = 0.015, 0.02, 0.03, 0.01
P_SURVEY, P_MERGED_SURVEYED, P_RESPOND, P_BAD, P_BAD_TO_GOOD = 0.975, 0.12, 0.245, 0.09, 0.15
P_NO_REASON = 0.12
REASON_W = [20, 20, 25, 20, 15]
GOOD_COMMENTS = ["Thanks, quick and helpful!", "Great support as always.",
                 "Solved my problem, thank you.", "Very clear explanation."]
BAD_COMMENTS = ["Took too long to get an answer.", "The issue is still happening.",
                "The suggested workaround did not help.", "I had to explain the problem twice."]


class _Batches:
    """One buffer per collection, flushed together."""

    def __init__(self, store: Store):
        self.store = store
        self.rows: dict[str, list] = defaultdict(list)
        self.counts: Counter = Counter()

    def add(self, collection: str, key: Any, doc: dict, ts: int, seq: int) -> None:
        self.rows[collection].append((key, doc, ts, seq))

    def flush(self) -> None:
        for collection, rows in self.rows.items():
            if rows:
                self.counts[collection] += self.store.put_many(collection, rows)
        self.rows = defaultdict(list)


def ticket_month(epoch: int) -> str:
    return zd_time(epoch)[:7]


class Tally:
    """The CSAT figures of docs/kpi-definitions.md, computed from the generated documents."""

    def __init__(self) -> None:
        self.total: Counter = Counter()
        self.by_month: dict[str, Counter] = defaultdict(Counter)
        self.unsurveyed: Counter = Counter()
        self.bad_reasons: Counter = Counter()
        self.bad_to_good: list[int] = []

    def add(self, ticket: dict, solved_at: int | None, org_name: str | None) -> None:
        if solved_at is None or ticket["status"] == "deleted":
            return
        tags = ticket["tags"]
        sr = ticket["satisfaction_rating"] or {}
        score = sr.get("score")
        keys = ["solved"]
        if score in ("offered", "good", "bad") or any(t in tags for t in SURVEY_TAGS):
            keys.append("surveyed")
            if score in ("good", "bad"):
                keys += ["responded", score]
                if score == "bad":
                    self.bad_reasons[sr.get("reason") or "none"] += 1
        else:
            if "close_by_merge" in tags:
                reason = "merged"
            elif ticket["recipient"] == MAIL_LIST_ADDRESS:
                reason = "mail_list"
            elif org_name == STAFF_ORG:
                reason = "gitlab_team"
            else:
                reason = "other"
            self.unsurveyed[reason] += 1
        month = self.by_month[ticket_month(solved_at)]
        for key in keys:
            self.total[key] += 1
            month[key] += 1

    def summary(self) -> dict:
        t = self.total

        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 6) if b else None

        return {
            **{k: t[k] for k in ("solved", "surveyed", "responded", "good", "bad")},
            "csat": ratio(t["good"], t["good"] + t["bad"]),
            "response_rate": ratio(t["responded"], t["surveyed"]),
            "coverage": ratio(t["surveyed"], t["solved"]),
            "unsurveyed": dict(sorted(self.unsurveyed.items())),
            "bad_reasons": dict(sorted(self.bad_reasons.items())),
            "by_month": {m: {k: c[k] for k in ("solved", "surveyed", "responded", "good", "bad")}
                         for m, c in sorted(self.by_month.items())},
            "bad_to_good_rating_ids": self.bad_to_good,
        }


def _form(rng: random.Random, deployment: str) -> str:
    r = rng.random()
    if r < 0.07:
        return "L&R"
    if r < 0.10:
        return "Other"
    if deployment == "GitLab.com;Self-Managed":
        deployment = rng.choice(["GitLab.com", "Self-Managed"])
    if deployment == "GitLab.com":
        return "SaaS Account" if r < 0.2 else "SaaS"
    return "Self-Managed"


class TicketFactory:
    """Draws one ticket at a time and emits its documents."""

    def __init__(self, store: Store, rng: random.Random, now: int, orgs: list[OrgInfo],
                 people: People):
        self.rng, self.now, self.orgs, self.people = rng, now, orgs, people
        self.out = _Batches(store)
        self.tally = Tally()
        self.event_id = EVENT_BASE
        self.rating_id = RATING_BASE
        self.views: Counter = Counter()
        self.near_breach: list[int] = []
        self.kinds: dict[str, list[int]] = defaultdict(list)
        self.premium_users = [j for j, o in enumerate(people.user_org)
                              if o >= 0 and orgs[o].level in ("premium", "ultimate")]

    def _requester(self, premium: bool = False) -> tuple[int, OrgInfo | None]:
        rng, p = self.rng, self.people
        if not premium and rng.random() < P_STAFF:
            return rng.choice(p.staff), next(o for o in self.orgs if o.staff)
        pool = self.premium_users if premium and self.premium_users else None
        j = rng.choice(pool) if pool else rng.randrange(len(p.user_ids))
        org_idx = p.user_org[j]
        return p.user_ids[j], (self.orgs[org_idx] if org_idx >= 0 else None)

    def _event(self, tid: int, etype: str, at: int, sla: tuple | None = None) -> None:
        self.event_id += 1
        self.out.add(ZD_TICKET_METRIC_EVENTS, self.event_id,
                     event_doc(self.event_id, tid, etype, at, sla), at, self.event_id)

    def ticket(self, tid: int, created: int, near_breach: bool = False) -> None:
        rng, now = self.rng, self.now
        requester, org = self._requester(premium=near_breach)
        plan = org.level if org else None
        staff = bool(org and org.staff)
        priority = "high" if near_breach else rng.choices(PRIORITIES, PRIORITY_W)[0]
        form = _form(rng, org.deployment if org else "GitLab.com")
        agent_id, group_id = rng.choice(self.people.agents)
        kind = "normal"
        r = rng.random()
        if not near_breach:
            if r < P_MAIL_LIST:
                kind = "mail_list"
            elif r < P_MAIL_LIST + P_MERGED:
                kind = "merged"
        channel = "email" if kind == "mail_list" else rng.choices(["web", "email", "api"],
                                                                  [60, 30, 10])[0]
        recipient = (MAIL_LIST_ADDRESS if kind == "mail_list"
                     else SUPPORT_ADDRESS if channel == "email" else None)
        sla = None
        if plan in PRIORITY_SLA and priority and kind == "normal":
            pid, title, targets = PRIORITY_SLA[plan]
            sla = (pid, title, targets[priority])
        if near_breach:
            sla = (sla[0], sla[1], sla[2]) if sla else (0, "", 240)
        # -- timeline ----------------------------------------------------------------
        reply_at: int | None = None
        solved_at: int | None = None
        closed_at: int | None = None
        extra_tags: list[str] = []
        if kind == "mail_list":
            solved_at = closed_at = min(now, created + rng.randrange(60, 600))
            status = "closed"
        elif kind == "merged":
            solved_at = closed_at = min(now, created + rng.randrange(600, 2 * DAY))
            status = "closed"
            extra_tags.append("close_by_merge")
        elif near_breach:
            status = rng.choice(["new", "open"])
        else:
            reply_at = created + int(60 * min(7 * 1440, max(2.0, rng.lognormvariate(math.log(90), 1.1))))
            solve = reply_at + int(HOUR * rng.lognormvariate(math.log(36), 1.0))
            stuck = created < now - 14 * DAY and rng.random() < 0.015
            if solve <= now and not stuck:
                solved_at = solve
                closed_at = solve + 4 * DAY if solve + 4 * DAY <= now else None
                status = "closed" if closed_at else "solved"
            elif reply_at > now:
                reply_at = None
                status = "new" if rng.random() < 0.7 else "open"
            else:
                status = rng.choices(["open", "pending", "hold"], [45, 40, 15])[0]
        assignee = None if status == "new" else agent_id
        assigned_at = None if assignee is None else created + rng.randrange(60, 1800)
        if assigned_at is not None:
            assigned_at = min(assigned_at, now)
        # -- survey and rating -------------------------------------------------------
        rating = None
        score = None
        last = max(t for t in (created, reply_at, solved_at, closed_at, assigned_at) if t)
        if solved_at is not None and not staff and kind != "mail_list":
            survey_at = solved_at + DAY
            eligible = rng.random() < (P_MERGED_SURVEYED if kind == "merged" else P_SURVEY)
            if eligible and survey_at <= now:
                extra_tags.append(SURVEY_TAGS[1] if rng.random() < 0.05 else SURVEY_TAGS[0])
                score = "offered"
                last = max(last, survey_at)
                rated_at = survey_at + int(min(20 * DAY, rng.expovariate(1 / (1.5 * DAY))))
                responds = rng.random() < P_RESPOND
                if responds and rated_at <= now:
                    score = "bad" if rng.random() < P_BAD else "good"
                    updated = rated_at
                    comment = None
                    reason = None
                    if score == "bad":
                        if rng.random() >= P_NO_REASON:
                            rid, _code, text = rng.choices(REASONS, REASON_W)[0]
                            reason = (rid, text)
                        comment = rng.choice(BAD_COMMENTS) if rng.random() < 0.6 else None
                        changed = rated_at + rng.randrange(HOUR, 5 * DAY)
                        # at least one change even at tiny scales (the first that fits)
                        flip = rng.random() < P_BAD_TO_GOOD or not self.tally.bad_to_good
                        if flip and changed <= now:
                            score, updated, reason = "good", changed, None
                            comment = "Update: it works now, thanks for following up."
                    elif rng.random() < 0.3:
                        comment = rng.choice(GOOD_COMMENTS)
                    self.rating_id += 1
                    rating = rating_doc(self.rating_id, tid=tid, requester_id=requester,
                                        assignee_id=assignee, group_id=group_id, score=score,
                                        created=rated_at, updated=updated, comment=comment,
                                        reason=reason)
                    if updated != rated_at:
                        self.tally.bad_to_good.append(self.rating_id)
                    last = max(last, updated)
                else:
                    self.rating_id += 1
                    rating = rating_doc(self.rating_id, tid=tid, requester_id=requester,
                                        assignee_id=assignee, group_id=group_id, score="offered",
                                        created=survey_at, updated=survey_at)
            elif eligible:
                score = "unoffered"
                self.rating_id += 1
                rating = rating_doc(self.rating_id, tid=tid, requester_id=requester,
                                    assignee_id=assignee, group_id=group_id, score="unoffered",
                                    created=solved_at, updated=solved_at)
        if rating is not None:
            self.out.add(ZD_SATISFACTION_RATINGS, rating["id"], rating,
                         parse_time(rating["updated_at"]), rating["id"])
        rating_for_ticket = (ticket_rating(rating, score) if score in ("good", "bad")
                             else ticket_rating(None, score) if score else None)
        if rng.random() < P_DELETED and not near_breach:
            status = "deleted"
            last = rng.randrange(last, max(last + 1, now))
        tags = ticket_tags(plan, priority, form, extra_tags)
        doc = ticket_doc(tid, created=created, updated=last, subject=rng.choice(SUBJECTS),
                         priority=priority, status=status, channel=channel, recipient=recipient,
                         requester_id=requester, organization_id=org.id if org else None,
                         assignee_id=assignee, group_id=group_id, form=form, tags=tags,
                         satisfaction_rating=rating_for_ticket,
                         ticket_type=rng.choice(["question", "incident", "problem", None]))
        self.out.add(ZD_TICKETS, tid, doc, last, tid)
        metrics = metric_doc(tid, created=created, updated=last, assigned=assigned_at,
                             reply_at=reply_at, solved_at=solved_at,
                             status_at=closed_at or solved_at or reply_at or created,
                             replies=(1 + rng.randrange(4)) if reply_at else 0)
        self.out.add(ZD_TICKET_METRICS, tid, metrics, last, tid)
        self.tally.add(doc, solved_at, org.name if org else None)
        if kind != "normal":
            self.kinds[kind].append(tid)
        if staff:
            self.kinds["gitlab_team"].append(tid)
        if status == "deleted":
            self.kinds["deleted"].append(tid)
        # -- SLA metric events -------------------------------------------------------
        self._event(tid, "activate", created)
        if sla:
            self._event(tid, "apply_sla", created, sla)
            breach_at = created + sla[2] * 60
            fulfilled = reply_at or solved_at
            if breach_at <= now and (fulfilled is None or fulfilled > breach_at):
                self._event(tid, "breach", breach_at)
            if (fulfilled is None and status in ("new", "open") and now < breach_at <= now + 2 * HOUR
                    and priority in ("high", "urgent") and plan in ("premium", "ultimate")):
                self.near_breach.append(tid)
        fulfilled = reply_at or solved_at
        if fulfilled is not None and fulfilled <= now:
            self._event(tid, "fulfill", fulfilled)
        # -- view counts -------------------------------------------------------------
        if status in ("new", "open", "pending", "hold"):
            self.views["open"] += 1
            if status == "pending":
                self.views["pending"] += 1
            if assignee is None and form == "SaaS":
                self.views["unassigned_saas"] += 1
            if assignee is None and form == "Self-Managed":
                self.views["unassigned_self_managed"] += 1
            if priority == "high" and plan in ("premium", "ultimate"):
                self.views["premium_near_breach"] += 1


def build_tickets(store: Store, rng: random.Random, scale: float, now: int, orgs: list[OrgInfo],
                  people: People) -> TicketFactory:
    """Generate every ticket (and its metrics, events, rating) in id order, in batches."""
    factory = TicketFactory(store, rng, now, orgs, people)
    n = max(60, round(6000 * scale))
    k = max(3, round(2 * scale))  # planted: open premium/high tickets < 2 h from breach
    main = n - k
    start, end = now - SPAN_DAYS * DAY, now - 4 * HOUR
    step = (end - start) / main
    for i in range(main):
        factory.ticket(TICKET_BASE + 1 + i, int(start + (i + rng.random()) * step))
        if (i + 1) % BATCH == 0:
            factory.out.flush()
    planted = sorted(now - (240 - rng.randrange(15, 110)) * 60 for _ in range(k))
    for j, created in enumerate(planted):
        factory.ticket(TICKET_BASE + 1 + main + j, created, near_breach=True)
    factory.out.flush()
    return factory
