"""Zendesk users: agents, GitLab staff in the `GitLab` organization, and customers' end-users."""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass, field

from sandbox.core.collections import ZD_USERS
from sandbox.core.store import Store
from sandbox.generate.accounts import BATCH, OrgInfo
from sandbox.generate.names import person
from sandbox.generate.util import DAY, GROUP_BASE, USER_BASE, ZD_API, zd_time

GROUPS = [(GROUP_BASE + 1, "Support AMER"), (GROUP_BASE + 2, "Support EMEA"),
          (GROUP_BASE + 3, "Support APAC"), (GROUP_BASE + 4, "License & Renewals")]
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
         "Asia/Tokyo", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"]


@dataclass
class People:
    """Compact indexes for ticket generation (arrays, not documents: memory stays small)."""

    agents: list[tuple[int, int]] = field(default_factory=list)  # (user id, group id)
    staff: list[int] = field(default_factory=list)  # end-users in the GitLab org
    user_ids: array = field(default_factory=lambda: array("q"))  # customer end-users
    user_org: array = field(default_factory=lambda: array("l"))  # index into orgs, -1 = none
    total: int = 0


def _user(uid: int, name: str, email: str, role: str, org_id: int | None, created: int,
          updated: int, rng: random.Random, group_id: int | None = None) -> dict:
    zone = rng.choice(ZONES)
    return {
        "id": uid,
        "url": f"{ZD_API}/users/{uid}.json",
        "name": name,
        "email": email,
        "created_at": zd_time(created),
        "updated_at": zd_time(updated),
        "time_zone": zone.split("/")[-1].replace("_", " "),
        "iana_time_zone": zone,
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": org_id,
        "role": role,
        "verified": True,
        "external_id": None,
        "tags": [],
        "alias": "",
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": zd_time(updated) if role != "end-user" else None,
        "two_factor_auth_enabled": role != "end-user",
        "signature": "",
        "details": "",
        "notes": "",
        "role_type": None,
        "custom_role_id": None,
        "moderator": role != "end-user",
        "ticket_restriction": "requested" if role == "end-user" else None,
        "only_private_comments": False,
        "restricted_agent": role == "end-user",
        "suspended": False,
        "default_group_id": group_id,
        "report_csv": role != "end-user",
        "user_fields": {},
    }


def build_users(store: Store, rng: random.Random, scale: float, now: int,
                orgs: list[OrgInfo]) -> People:
    """Write users in batches; return the compact indexes tickets draw requesters from."""
    people = People()
    n_users = max(100, round(3000 * scale))
    n_agents = max(6, min(250, round(40 * scale)))
    n_staff = max(4, min(300, round(15 * scale)))
    staff_org = next(i for i, o in enumerate(orgs) if o.staff)
    customer_orgs = [i for i, o in enumerate(orgs) if not o.staff]
    rows: list = []
    uid = USER_BASE

    def emit(doc: dict) -> None:
        nonlocal rows
        rows.append((doc["id"], doc, int(updated), doc["id"]))
        if len(rows) >= BATCH:
            people.total += store.put_many(ZD_USERS, rows)
            rows = []

    for k in range(n_users):
        uid += 1 + rng.randrange(3)
        first, last = person(rng)
        created = now - rng.randrange(DAY, 1500 * DAY)
        updated = rng.randrange(created, now - 60)
        if k < n_agents:
            group_id = GROUPS[k % len(GROUPS)][0]
            doc = _user(uid, f"{first} {last}", f"{first}.{last}.{k}@gitlab.com".lower(),
                        "admin" if k == 0 else "agent", orgs[staff_org].id, created, updated,
                        rng, group_id)
            people.agents.append((uid, group_id))
        elif k < n_agents + n_staff:
            doc = _user(uid, f"{first} {last}", f"{first[0]}{last}.{k}@gitlab.com".lower(),
                        "end-user", orgs[staff_org].id, created, updated, rng)
            people.staff.append(uid)
        else:
            org_idx = rng.choice(customer_orgs) if rng.random() < 0.93 else -1
            domain = "example.com" if org_idx < 0 else f"customer{org_idx}.example"
            doc = _user(uid, f"{first} {last}", f"{first}.{last}.{k}@{domain}".lower(),
                        "end-user", orgs[org_idx].id if org_idx >= 0 else None, created,
                        updated, rng)
            people.user_ids.append(uid)
            people.user_org.append(org_idx)
        emit(doc)
    if rows:
        people.total += store.put_many(ZD_USERS, rows)
    return people
