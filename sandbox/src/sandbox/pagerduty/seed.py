"""Deterministic seed data for the sandbox's PagerDuty.

PagerDuty follows the seed handbook page ("Other tools → PagerDuty"): its services,
escalation policies (rules and delays), schedules (ids, regional hours, Monday 07:00 UTC
hand-off) and invented users.
No randomness: the same call always writes the same documents.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.core.collections import (
    PD_ESCALATION_POLICIES,
    PD_INCIDENTS,
    PD_SCHEDULES,
    PD_SERVICES,
    PD_USERS,
)
from sandbox.core.store import Store

PD_WEB = "https://gitlab.pagerduty.com"
PD_API = "https://api.pagerduty.com"
WEEK = 7 * 24 * 3600
# A Monday at 07:00 UTC shortly after the handbook section was written (2019-10-04).
ROTATION_START = "2019-10-07T07:00:00Z"

# Regional hours of on-call duty (UTC): (start time of day, duration in hours).
REGION_HOURS = {"AMER": ("15:00:00", 8), "APAC": ("23:00:00", 8), "EMEA": ("07:00:00", 8)}

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_FIRST = [
    "Avery", "Bruno", "Celine", "Dario", "Elif", "Farah", "Gideon", "Hana", "Ivo", "Jun",
    "Kaia", "Lorenzo", "Mireille", "Nikhil", "Odette", "Pavel", "Quinn", "Rosalind", "Soren",
    "Tamsin", "Umar", "Vesna", "Wendell", "Ximena", "Yusuf", "Zora", "Anselm", "Bettina",
    "Cyrus", "Delphine", "Emeric", "Fenna", "Gareth", "Hollis", "Ines", "Jorah", "Kemal",
    "Linnea", "Matthias", "Noor", "Orla", "Priya", "Ronan", "Saskia", "Teodor", "Ulla",
    "Viggo", "Wren", "Yara", "Zeno", "Amara", "Boris", "Clio", "Desmond",
]
_LAST = [
    "Abernathy", "Brightwater", "Castellan", "Drummond", "Eskildsen", "Fairbanks", "Galloway",
    "Halvorsen", "Ingram", "Jessop", "Kowalczyk", "Lindqvist", "Marchetti", "Nakashima",
    "Okonkwo", "Pemberton", "Quartermain", "Rasmussen", "Sutherland", "Thorne", "Underhill",
    "Valdez", "Whitcombe", "Yamamura", "Zielinski",
]

_TZ = {
    "AMER": ["America/New_York", "America/Chicago", "America/Los_Angeles", "America/Toronto"],
    "APAC": ["Australia/Sydney", "Asia/Singapore", "Asia/Tokyo", "Pacific/Auckland"],
    "EMEA": ["Europe/London", "Europe/Berlin", "Europe/Amsterdam", "Africa/Johannesburg"],
}

# Rotation pools: (key, region for time zones, job title, how many people).
_POOLS = [
    ("ce_amer", "AMER", "Support Engineer", 4),
    ("ce_apac", "APAC", "Support Engineer", 4),
    ("ce_emea", "EMEA", "Support Engineer", 4),
    ("ce_emea_escalation", "EMEA", "Senior Support Engineer", 3),
    ("us_federal", "AMER", "Support Engineer, US Federal", 4),
    ("us_federal_leads", "AMER", "Support Engineering Manager, US Federal", 3),
    ("frt_east", "AMER", "Support Engineer", 3),
    ("frt_west", "AMER", "Support Engineer", 3),
    ("sla_east", "AMER", "Support Engineer", 3),
    ("sla_west", "AMER", "Support Engineer", 3),
    ("sm_amer", "AMER", "Support Engineering Manager", 3),
    ("sm_apac", "APAC", "Support Engineering Manager", 3),
    ("sm_emea", "EMEA", "Support Engineering Manager", 3),
    ("staff", "EMEA", "Staff Support Engineer", 8),
]

# Schedules: (id, name, pool, restriction: region name or None for round the clock).
_SCHEDULES = [
    ("PIQ317K", "Customer Emergencies - AMER", "ce_amer", "AMER"),
    ("P3UR3IV", "Customer Emergencies - APAC", "ce_apac", "APAC"),
    ("P9SV029", "Customer Emergencies - EMEA", "ce_emea", "EMEA"),
    ("P8N34WC", "Customer Emergencies EMEA Escalation", "ce_emea_escalation", "EMEA"),
    ("P89ZYHZ", "US Federal On-Call", "us_federal", None),
    ("PNNCL8O", "FRT Hawk - AMER Easterly", "frt_east", "AMER"),
    ("PFR91E4", "FRT Hawk - AMER Westerly", "frt_west", "AMER"),
    ("PARKBKA", "SLA Hawk - AMER Easterly", "sla_east", "AMER"),
    # The handbook links both SLA Hawk schedules to PARKBKA, Easterly's page: the account has
    # no "SLA Hawk - AMER Westerly" (planted on purpose, see PLANTED_ONCALL below).
    ("PTI56V1", "Support Manager - AMER", "sm_amer", "AMER"),
    ("PWBXTYX", "Support Manager - APAC", "sm_apac", "APAC"),
    ("PXQ2ZAZ", "Support Manager - EMEA", "sm_emea", "EMEA"),
    ("P9UIIDY", "SSAT Reviewing Manager", "managers", None),
]

# Escalation policies: (id, name, description, num_loops, rules as (delay minutes, targets)).
# A target is "S:<schedule id>" or "U:<pool>" (every user of that pool).
_POLICIES = [
    ("PKV6GCH", "Customer Emergency Rotation",
     "Who is paged for a customer emergency.", 5, [
         (10, ["S:PIQ317K", "S:P3UR3IV", "S:P9SV029"]),
         (5, ["S:PTI56V1", "S:PWBXTYX", "S:PXQ2ZAZ"]),
         (5, ["S:P8N34WC", "U:staff"]),
     ]),
    ("PNPWBEW", "US Federal Customer Emergency Rotation",
     "Who is paged for a US Federal customer emergency.", 1, [  # planted: the handbook has no repeat
         (15, ["S:P89ZYHZ"]),
         (20, ["S:PTI56V1"]),
         (30, ["U:us_federal_leads"]),
     ]),
    ("PXMRPM3", "Customer Support - FRT Hawk",
     "Scheduling only: who plays FRT Hawk. Should never page.", 0, [
         (30, ["S:PNNCL8O", "S:PFR91E4", "S:P3UR3IV", "S:P9SV029"]),
     ]),
    ("PSOXH3X", "Customer Support - SLA Hawk",
     "Scheduling only: who plays SLA Hawk. Should never page.", 0, [
         (30, ["S:PARKBKA"]),
     ]),
    ("PGNLUZ1", "Support Managers", "Which Support Manager is on call.", 0, [
         (30, ["S:PTI56V1", "S:PXQ2ZAZ", "S:PWBXTYX"]),
     ]),
    ("PSSATRP", "SSAT Reviewing Manager", "Tracking only: who reviews SSAT feedback this week.", 0, [
         (30, ["S:P9UIIDY"]),
     ]),
]

# Services: (id, name, description, escalation policy id, alerting Slack channel or None).
_SERVICES = [
    ("PL3TX00", "Customer Support", "Who is on call for Emergency Support.", "PKV6GCH",
     "#support_self-managed"),
    ("P8K2XHK", "Customer Support - US Federal",
     "Who is on call for Emergency Support for US Federal customers.", "PNPWBEW", None),
    # planted: moved to the SLA Hawk policy, and the FRT Hawk policy deleted (PLANTED_ONCALL)
    ("P6IRZCX", "FRT Hawk", "Who plays the FRT Hawk role. Scheduling only.", "PSOXH3X", None),
    ("PFUEHWO", "SLA Hawk", "Who plays the SLA Hawk role. Scheduling only.", "PSOXH3X", None),
    ("PTFI8XR", "Support Managers", "Which Support Manager is on call.", "PGNLUZ1",
     "#support-managers"),
    ("PSSATRM", "SSAT Reviewing Manager",
     "Tracking only: the Support Manager reviewing SSAT feedback this week.", "PSSATRP", None),
]


# Schedules kept in a local time zone instead of UTC: (zone, rotation start, daily restriction
# in local time). FRT Hawk - AMER Westerly is on Pacific time: Sunday 23:00 and 07:00-15:00
# local are Monday 07:00 and 15:00-23:00 UTC in winter, an hour earlier in UTC in summer (a
# real daylight-saving case; the coverage audit does not check FRT Hawk schedules).
_LOCAL_SCHEDULES = {
    "PFR91E4": ("America/Los_Angeles", "2019-11-03T23:00:00-08:00", ("07:00:00", 8)),
}
# Rotation starts other than Monday 07:00 UTC (planted: Support Manager - EMEA hands off on Tuesday).
_ROTATION_STARTS = {"PXQ2ZAZ": "2019-10-08T07:00:00Z"}

# What the seed plants on purpose for the on-call audits (docs/oncall.md): the only findings a
# run on the seeded account may have. The coverage gap depends on `now` (planted_oncall_findings).
PLANTED_ONCALL = [
    ("schedule_missing", "SLA Hawk - AMER Westerly", "",
     "the handbook links both SLA Hawk schedules to PARKBKA; the account has only Easterly"),
    ("policy_rule_mismatch", "PSOXH3X", "", "SLA Hawk policy: rule 1 lacks SLA Hawk - AMER Westerly"),
    ("policy_rule_mismatch", "PKV6GCH", "",
     "Customer Emergency Rotation: rule 3 lacks the last of the handbook's eight people"),
    ("policy_repeat_mismatch", "PNPWBEW", "", "US Federal policy repeats once; the handbook says no repeat"),
    ("policy_missing", "Customer Support - FRT Hawk", "", "the FRT Hawk policy was deleted"),
    ("service_without_policy", "P6IRZCX", "",
     "FRT Hawk service moved to the SLA Hawk policy before its own policy was deleted"),
    ("handoff_not_monday_0700", "PXQ2ZAZ", "LAYER_PXQ2ZAZ", "Support Manager - EMEA hands off Tuesday 07:00 UTC"),
]


def gap_handover(now: datetime) -> datetime:
    """Where the planted coverage gap starts: Support Manager - APAC's first layer ends at the
    first Monday 07:00 UTC at least 3 days after `now`; its second begins a day later."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    t = (now + timedelta(days=3)).astimezone(UTC)
    monday = (t - timedelta(days=t.weekday())).replace(hour=7, minute=0, second=0, microsecond=0)
    return monday if monday >= t else monday + timedelta(days=7)


def planted_oncall_findings(now: datetime) -> list[dict[str, str]]:
    """The findings the on-call audits must report on the seeded account at `now`, and no other."""
    out = [{"check_name": c, "entity_id": e, "item": pd_id("layer:" + e) if i == "LAYER_" + e else i, "why": w}
           for c, e, i, w in PLANTED_ONCALL]
    start = gap_handover(now) + timedelta(hours=16)  # Monday 23:00: APAC's night with nobody
    out.append({"check_name": "coverage_gap", "entity_id": "PWBXTYX", "item": _iso(start),
                "why": f"Support Manager - APAC: nobody from {_iso(start)} to {_iso(start + timedelta(hours=8))}"
                       " (the new layer starts a day after the old one ended)"})
    return out


def pd_id(text: str, prefix: str = "P") -> str:
    """A PagerDuty-looking 7-character id, stable for the same text."""
    digest = int(hashlib.sha1(text.encode()).hexdigest(), 16)
    chars = []
    for _ in range(6):
        digest, r = divmod(digest, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return prefix + "".join(chars)


def _ref(kind: str, obj_id: str, summary: str, path: str) -> dict[str, Any]:
    return {
        "id": obj_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{PD_API}/{path}/{obj_id}",
        "html_url": f"{PD_WEB}/{path}/{obj_id}",
    }


def people() -> tuple[list[dict], dict[str, list[dict]]]:
    """The invented PagerDuty users, and the same people grouped by pool (regional engineers,
    managers); GitLab's seed gives the managers GitLab accounts too."""
    users: list[dict] = []
    pools: dict[str, list[dict]] = {}
    n = 0
    for key, region, title, size in _POOLS:
        pools[key] = []
        for i in range(size):
            first = _FIRST[n % len(_FIRST)]
            last = _LAST[(n * 7 + 3) % len(_LAST)]
            n += 1
            email = f"{first.lower()}.{last.lower()}@example.com"
            uid = pd_id("user:" + email)
            user = {
                "id": uid,
                "type": "user",
                "summary": f"{first} {last}",
                "name": f"{first} {last}",
                "email": email,
                "time_zone": _TZ[region][i % len(_TZ[region])],
                "color": ["purple", "green", "teal", "orange", "red"][n % 5],
                "role": "user" if "Manager" not in title else "manager",
                "job_title": title,
                "description": f"{title} ({region})",
                "invitation_sent": False,
                "avatar_url": f"https://secure.gravatar.com/avatar/{uid.lower()}.png",
                "teams": [],
                "contact_methods": [],
                "notification_rules": [],
                "self": f"{PD_API}/users/{uid}",
                "html_url": f"{PD_WEB}/users/{uid}",
            }
            users.append(user)
            pools[key].append(user)
    pools["managers"] = pools["sm_amer"] + pools["sm_emea"] + pools["sm_apac"]
    return users, pools


def _user_ref(u: dict) -> dict:
    return _ref("user", u["id"], u["name"], "users")


def _schedule(sid: str, name: str, members: list[dict], region: str | None) -> dict:
    restrictions = []
    zone, rotation_start, local = _LOCAL_SCHEDULES.get(sid, ("UTC", _ROTATION_STARTS.get(sid, ROTATION_START),
                                                            None))
    if region:
        start, hours = local or REGION_HOURS[region]
        restrictions = [{"type": "daily_restriction", "start_time_of_day": start,
                         "duration_seconds": hours * 3600}]
    layer = {
        "id": pd_id("layer:" + sid),
        "name": "Layer 1",
        "start": rotation_start,
        "end": None,
        "rotation_virtual_start": rotation_start,
        "rotation_turn_length_seconds": WEEK,
        "users": [{"user": _user_ref(u)} for u in members],
        "restrictions": restrictions,
    }
    hours = (f"{REGION_HOURS[region][0][:5]} UTC for {REGION_HOURS[region][1]} hours"
             if region else "round the clock")
    return {
        "id": sid,
        "type": "schedule",
        "summary": name,
        "name": name,
        "description": (f"Weekly rotation, hand-off Monday 07:00 UTC; on duty {hours}." if zone == "UTC" else
                        f"Weekly rotation, hand-off Sunday 23:00 {zone}; on duty {local[0][:5]} {zone} "
                        f"for {local[1]} hours."),
        "time_zone": zone,
        "self": f"{PD_API}/schedules/{sid}",
        "html_url": f"{PD_WEB}/schedules/{sid}",
        "users": [_user_ref(u) for u in members],
        "teams": [],
        "escalation_policies": [],
        "schedule_layers": [layer],
        "overrides": [],
    }


def seed_pagerduty(store: Store, now: datetime) -> dict[str, int]:
    """Write the handbook's PagerDuty setup into the store; returns counts per collection."""
    users, pools = people()
    schedules = {sid: _schedule(sid, name, pools[pool], region)
                 for sid, name, pool, region in _SCHEDULES}
    policies: dict[str, dict] = {}
    for pid, name, desc, loops, rules in _POLICIES:
        out_rules = []
        for level, (delay, targets) in enumerate(rules, start=1):
            refs = []
            for target in targets:
                kind, key = target.split(":", 1)
                if kind == "S":
                    refs.append(_ref("schedule", key, schedules[key]["name"], "schedules"))
                else:
                    refs.extend(_user_ref(u) for u in pools[key])
            out_rules.append({"id": pd_id(f"rule:{pid}:{level}"),
                              "escalation_delay_in_minutes": delay, "targets": refs})
        policies[pid] = {
            "id": pid, "type": "escalation_policy", "summary": name, "name": name,
            "description": desc, "num_loops": loops,
            "on_call_handoff_notifications": "if_has_services",
            "escalation_rules": out_rules, "services": [], "teams": [],
            "self": f"{PD_API}/escalation_policies/{pid}",
            "html_url": f"{PD_WEB}/escalation_policies/{pid}",
        }
    _plant(schedules, policies, pools, now)
    for pol in policies.values():
        for rule in pol["escalation_rules"]:
            for t in rule["targets"]:
                if t["type"] == "schedule_reference":
                    sched = schedules[t["id"]]
                    if all(p["id"] != pol["id"] for p in sched["escalation_policies"]):
                        sched["escalation_policies"].append(
                            _ref("escalation_policy", pol["id"], pol["name"], "escalation_policies"))
    created = "2019-10-04T12:00:00Z"
    services = []
    for sid, name, desc, pol_id, channel in _SERVICES:
        pol = policies[pol_id]
        pol["services"].append(_ref("service", sid, name, "services"))
        services.append({
            "id": sid, "type": "service", "summary": name, "name": name, "description": desc,
            "status": "active", "auto_resolve_timeout": None, "acknowledgement_timeout": None,
            "created_at": created, "updated_at": created, "last_incident_timestamp": None,
            "alert_creation": "create_alerts_and_incidents",
            "escalation_policy": _ref("escalation_policy", pol_id, pol["name"], "escalation_policies"),
            "incident_urgency_rule": {"type": "constant", "urgency": "high"},
            "integrations": [], "teams": [],
            "slack_channel": channel,
            "self": f"{PD_API}/services/{sid}", "html_url": f"{PD_WEB}/services/{sid}",
        })
    incidents = _incidents(services, policies, pools, now)
    store.put_many(PD_USERS, [(u["id"], u, 0, i + 1) for i, u in enumerate(users)])
    store.put_many(PD_SCHEDULES, [(s["id"], s, 0, i + 1) for i, s in enumerate(schedules.values())])
    store.put_many(PD_ESCALATION_POLICIES,
                   [(p["id"], p, 0, i + 1) for i, p in enumerate(policies.values())])
    store.put_many(PD_SERVICES, [(s["id"], s, 0, i + 1) for i, s in enumerate(services)])
    store.put_many(PD_INCIDENTS, [(inc["id"], inc, _epoch(inc["created_at"]), inc["incident_number"])
                                  for inc in incidents])
    return {PD_USERS: len(users), PD_SCHEDULES: len(schedules),
            PD_ESCALATION_POLICIES: len(policies), PD_SERVICES: len(services),
            PD_INCIDENTS: len(incidents)}


def _plant(schedules: dict[str, dict], policies: dict[str, dict], pools: dict[str, list[dict]],
           now: datetime) -> None:
    """The on-call findings planted on purpose (PLANTED_ONCALL, planted_oncall_findings)."""
    # Customer Emergency Rotation, rule 3: the last of the eight people is no longer a target.
    rule3 = policies["PKV6GCH"]["escalation_rules"][2]
    rule3["targets"] = [t for t in rule3["targets"] if t["id"] != pools["staff"][-1]["id"]]
    # The FRT Hawk policy was deleted (its service had been moved to the SLA Hawk policy).
    del policies["PXMRPM3"]
    # Support Manager - APAC: a new layer that starts a day after the old one ended.
    apac = schedules["PWBXTYX"]
    old = apac["schedule_layers"][0]
    handover = gap_handover(now)
    old["end"] = _iso(handover)
    users = old["users"][1:] + old["users"][:1]
    apac["schedule_layers"].append({**old, "id": pd_id("layer2:PWBXTYX"), "name": "Layer 2",
                                    "start": _iso(handover + timedelta(days=1)), "end": None,
                                    "rotation_virtual_start": _iso(handover), "users": users,
                                    "restrictions": [dict(r) for r in old["restrictions"]]})


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def incident_id(number: int) -> str:
    """A 14-character incident id in PagerDuty's newer style, stable per incident number."""
    return pd_id(f"incident:{number}", "Q") + pd_id(f"incident2:{number}", "")


def _incidents(services: list[dict], policies: dict[str, dict], pools: dict[str, list[dict]],
               now: datetime) -> list[dict]:
    """A few past emergencies and manager pages, all resolved: history for the audit."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    by_id = {s["id"]: s for s in services}
    plan = [("PL3TX00", "ce_amer"), ("PTFI8XR", "sm_emea"), ("PL3TX00", "ce_emea"),
            ("PL3TX00", "ce_apac"), ("PTFI8XR", "sm_amer"), ("P8K2XHK", "us_federal")]
    titles = ["Customer emergency: production instance down", "Manager requested via /pd-support-manager",
              "Customer emergency: upgrade failed, instance unavailable",
              "Customer emergency: GitLab.com namespace unreachable",
              "Manager requested: escalated ticket", "US Federal emergency: runner fleet offline"]
    out = []
    for n in range(1, 13):
        svc_id, pool = plan[n % len(plan)]
        svc = by_id[svc_id]
        created = (now - timedelta(days=3 + 5 * n, hours=(n * 7) % 24)).replace(microsecond=0)
        acked = created + timedelta(minutes=3 + n % 9)
        resolved = acked + timedelta(minutes=40 + 17 * n)
        user = pools[pool][n % len(pools[pool])]
        pol = policies[svc["escalation_policy"]["id"]]
        iid = incident_id(n)
        out.append({
            "id": iid, "type": "incident", "incident_number": n,
            "title": titles[n % len(titles)], "summary": f"[#{n}] {titles[n % len(titles)]}",
            "description": titles[n % len(titles)], "status": "resolved", "urgency": "high",
            "incident_key": f"seed-{n}", "created_at": _iso(created), "updated_at": _iso(resolved),
            "last_status_change_at": _iso(resolved), "resolved_at": _iso(resolved),
            "service": _ref("service", svc_id, svc["name"], "services"),
            "escalation_policy": _ref("escalation_policy", pol["id"], pol["name"], "escalation_policies"),
            "assignments": [],
            "acknowledgements": [{"at": _iso(acked), "acknowledger": _user_ref(user)}],
            "last_status_change_by": _user_ref(user),
            "alert_counts": {"all": 1, "triggered": 0, "resolved": 1},
            "priority": None, "teams": [],
            "self": f"{PD_API}/incidents/{iid}", "html_url": f"{PD_WEB}/incidents/{iid}",
        })
    return out
