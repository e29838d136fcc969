"""Reading PagerDuty: the account's schedules (rendered), policies, services and users, the
roster of shifts, and who is on call now.

Every schedule is read with `since`, `until` and `overflow=true` in UTC
(docs/pagerduty-schedules.md: without a range PagerDuty renders nothing; with overflow the
shift in progress keeps its real start and end). Who is on call is read from
`final_schedule` and `/oncalls`, never re-derived from the layers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .coverage import on_call
from .expected import Expected
from .model import iso

ROSTER_DAYS = 14


@dataclass
class Account:
    """What one run read from PagerDuty."""

    since: dt.datetime
    until: dt.datetime
    schedules: list[dict] = field(default_factory=list)  # rendered, one per schedule
    policies: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)

    def schedules_by_name(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for s in self.schedules:
            out.setdefault(s.get("name") or s.get("summary"), s)
        return out


def read_account(client: Any, since: dt.datetime, until: dt.datetime) -> Account:
    """Everything the roster and the audits need, rendered for [since, until)."""
    params = {"since": iso(since), "until": iso(until), "time_zone": "UTC", "overflow": "true"}
    account = Account(since, until)
    for item in client.iter_all("schedules"):
        account.schedules.append(client.rget(f"schedules/{item['id']}", params=params))
    account.policies = list(client.iter_all("escalation_policies"))
    account.services = list(client.iter_all("services"))
    account.users = list(client.iter_all("users"))
    return account


def shifts(account: Account, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """One row per on-call period overlapping [since, until), per schedule (oncall_shifts)."""
    emails = {u["id"]: u.get("email") for u in account.users}
    names = {u["id"]: u.get("name") or u.get("summary") for u in account.users}
    rows = []
    for sched in account.schedules:
        for s, e, user in on_call(sched):
            if e <= since or s >= until:
                continue
            uid = user.get("id")
            rows.append({"schedule_id": sched["id"], "schedule_name": sched.get("name") or sched.get("summary"),
                         "user_id": uid, "user_name": names.get(uid) or user.get("summary") or uid,
                         "user_email": emails.get(uid) or user.get("email"), "start": s, "end": e})
    return rows


def now_on_call(client: Any, expected: Expected, account: Account, at: dt.datetime) -> list[dict[str, Any]]:
    """For each service of the digest: the people its policy notifies first at `at`.

    From `GET /oncalls` at that instant for the service's escalation policy, the lowest level
    that has someone (a level whose schedules have nobody on call is skipped, as PagerDuty
    escalates past it). A service or policy that is not there is listed with nobody."""
    by_name = {s.get("name") or s.get("summary"): s for s in account.services}
    names = {u["id"]: u.get("name") or u.get("summary") for u in account.users}
    out = []
    for service in expected.digest:
        svc = by_name.get(service)
        pid = ((svc or {}).get("escalation_policy") or {}).get("id")
        people: list[dict[str, Any]] = []
        if pid:
            rows = client.list_all("oncalls", params={"escalation_policy_ids": [pid], "since": iso(at),
                                                      "until": iso(at + dt.timedelta(seconds=1))})
            rows = [r for r in rows if r.get("user") and (r.get("escalation_policy") or {}).get("id") == pid]
            if rows:
                level = min(r.get("escalation_level") or 0 for r in rows)
                seen = set()
                for r in sorted((r for r in rows if (r.get("escalation_level") or 0) == level),
                                key=lambda r: ((r.get("schedule") or {}).get("summary") or "", r["user"]["id"])):
                    key = (r["user"]["id"], (r.get("schedule") or {}).get("id"))
                    if key in seen:
                        continue
                    seen.add(key)
                    people.append({"user_id": r["user"]["id"],
                                   "name": names.get(r["user"]["id"]) or r["user"].get("summary"),
                                   "schedule": (r.get("schedule") or {}).get("summary"),
                                   "until": r.get("end")})
        out.append({"service": service, "service_id": (svc or {}).get("id"), "policy_id": pid,
                    "html_url": (svc or {}).get("html_url"), "people": people})
    return out
