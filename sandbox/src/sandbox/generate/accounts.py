"""Salesforce accounts and the Zendesk organizations synced from them, with planted defects.

Every customer account gets a role: clean, or one of the defects of docs/integrity-rules.md (and a few
look-alike non-defects that exercise the rules: 15-character Salesforce ids, names that
differ only in case or spacing, deleted records). The manifest is not taken from these
roles but recomputed from the stored documents, so overlapping defects stay exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.core.collections import SF_ACCOUNT, ZD_ORGANIZATIONS
from sandbox.core.store import Store
from sandbox.generate.names import CompanyNames, person, slug
from sandbox.generate.util import DAY, ORG_BASE, ZD_API, parse_time, scramble, sf_time, zd_time
from sandbox.salesforce.ids import generated_id

BATCH = 5000
LOOKALIKES = ("GitLab Inc.", "GitLab BV", "GitLab Ltd")
STAFF_ORG = "GitLab"
SF_LEVELS = [("Ultimate", 25), ("Premium", 35), ("Starter", 12), ("Basic", 6), ("Gold", 5),
             ("Silver", 5), ("Bronze", 4), ("Custom", 3), ("Community", 2), ("Expired", 2),
             ("Hold", 1)]
MAIN_LEVELS = ["Ultimate", "Premium", "Starter", "Basic"]
DEPLOYMENTS = [("GitLab.com", 45), ("Self-Managed", 45), ("GitLab.com;Self-Managed", 10)]
SEGMENTS = ["Large", "Mid-Market", "SMB", "PubSec"]
SALES_SEGMENTS = {"Large": "Enterprise", "Mid-Market": "Commercial", "SMB": "Commercial",
                  "PubSec": "Public Sector"}
# Malformed domain kinds (invalid_org_domain, docs/integrity-rules.md), each planted at least once.
BAD_DOMAINS = {
    "scheme": "https://{d}",
    "path": "{d}/support",
    "space": "{s} corp.com",
    "underscore": "{s}_corp.com",
    "special": "{s}&co.com",
    "trailing_hyphen": "{s}-.com",
    "numeric_tld": "{s}.123",
}


@dataclass
class OrgInfo:
    """What users and tickets need to know about a live organization."""

    id: int
    name: str
    level: str | None
    deployment: str
    staff: bool = False


@dataclass
class CrmResult:
    orgs: list[OrgInfo] = field(default_factory=list)
    accounts: int = 0
    organizations: int = 0
    notes: dict[str, list] = field(default_factory=dict)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _roles(n_cust: int, rng: random.Random) -> list[str]:
    def c(rate: float, minimum: int = 1) -> int:
        return max(minimum, round(rate * n_cust))

    counts = {
        "missing_dotcom": c(0.012), "missing_sm": c(0.012), "missing_both": c(0.006),
        "missing_nodeploy": 1, "org_no_sfid": c(0.01), "org_no_level": c(0.02),
        "org_level_mismatch": c(0.02), "org_new_starter": c(0.015), "org_sf_level_empty": c(0.01),
        "org_short_id": c(0.05), "org_short_id_name_mismatch": 1, "org_short_id_level_mismatch": 1,
        "org_name_mismatch": c(0.02), "org_name_case_only": c(0.01),
        "org_bad_domain": c(0.03, len(BAD_DOMAINS)), "deleted": c(0.01),
        "dup_base": c(0.01, 2),
    }
    roles = [role for role, k in counts.items() for _ in range(k)]
    if len(roles) > n_cust:
        raise ValueError(f"scale too small: {len(roles)} planted roles for {n_cust} customers")
    roles += ["clean"] * (n_cust - len(roles))
    rng.shuffle(roles)
    return roles


class _Writer:
    """Buffers documents and writes them in big batches."""

    def __init__(self, store: Store, collection: str):
        self.store, self.collection, self.rows, self.total = store, collection, [], 0

    def add(self, key: Any, doc: dict, ts: int, seq: int) -> None:
        self.rows.append((key, doc, ts, seq))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.total += self.store.put_many(self.collection, self.rows)
            self.rows = []


class CrmBuilder:
    """Draws accounts and organizations one at a time and writes them in batches."""

    def __init__(self, store: Store, rng: random.Random, now: int):
        self.rng, self.now = rng, now
        self.names = CompanyNames(rng, set(LOOKALIKES) | {STAFF_ORG})
        self.acc_out = _Writer(store, SF_ACCOUNT)
        self.org_out = _Writer(store, ZD_ORGANIZATIONS)
        self.acc_n = 0
        self.org_n = 0
        self.salt = rng.randrange(62**7)
        self.result = CrmResult()
        self.notes = self.result.notes

    def note(self, key: str, value: Any) -> None:
        self.notes.setdefault(key, []).append(value)

    # -- accounts -----------------------------------------------------------------
    def account(self, name: str, acc_type: str, level: str | None, deployment: str | None,
                deleted: bool = False) -> dict:
        rng = self.rng
        self.acc_n += 1
        created = self.now - rng.randrange(60 * DAY, 2000 * DAY)
        modified = rng.randrange(created, self.now - 3600)
        segment = rng.choice(SEGMENTS)
        customer = acc_type in ("Customer", "Former Customer")
        seats = rng.randrange(5, 5000) if customer else 0
        first, last = person(rng)
        tam = None
        if customer and (segment == "Large" or level == "Ultimate") and rng.random() < 0.7:
            tf, tl = person(rng)
            tam = f"{tf} {tl}"
        return {
            "Id": generated_id("001", scramble(self.acc_n, self.salt)),
            "Name": name,
            "Type": acc_type,
            "OwnerId": generated_id("005", scramble(rng.randrange(200), self.salt + 7)),
            "Owner": {"Name": f"{first} {last}"},
            "Website": f"https://www.{self.names.domain(name)}",
            "IsDeleted": deleted,
            "CreatedDate": sf_time(created),
            "LastModifiedDate": sf_time(modified),
            "SystemModstamp": sf_time(modified + rng.randrange(0, 600)),
            "Support_Level__c": level,
            "CARR_This_Account__c": round(seats * rng.uniform(200, 1200), 2) if customer else 0.0,
            "Number_of_Licenses_This_Account__c": seats,
            "Market_Segment__c": segment,
            "Sales_Segmentation__c": SALES_SEGMENTS[segment],
            "Technical_Account_Manager_Name__c": tam,
            "Zendesk_Organization_ID__c": None,
            "Zendesk_Organization_Name__c": None,
            "GitLab_Deployment__c": deployment,
        }

    def write_account(self, acc: dict) -> None:
        self.acc_out.add(acc["Id"], acc, parse_time(acc["SystemModstamp"]), self.acc_n)

    # -- organizations ------------------------------------------------------------
    def org(self, acc: dict | None, name: str, level: str | None, *, sfid: str | None = "same",
            domains: list[str] | None = None, deleted: bool = False, new: bool = False) -> dict:
        rng = self.rng
        self.org_n += 1
        org_id = ORG_BASE + self.org_n * 7 + rng.randrange(7)
        if new:
            created = self.now - rng.randrange(DAY, 14 * DAY)
        else:
            created = self.now - rng.randrange(20 * DAY, 1500 * DAY)
        updated = rng.randrange(created, self.now - 600)
        deleted_at = rng.randrange(updated, self.now) if deleted else None
        if deleted_at:
            updated = deleted_at
        if sfid == "same":
            sfid = acc["Id"] if acc else None
        if domains is None:
            domains = [acc["Website"].removeprefix("https://www.")] if acc else []
        fields = {
            "salesforce_id": sfid,
            "support_level": level,
            "aar": acc["CARR_This_Account__c"] if acc else None,
            "account_owner": acc["Owner"]["Name"] if acc else None,
            "number_of_seats": acc["Number_of_Licenses_This_Account__c"] if acc else None,
            "market_segment": acc["Market_Segment__c"] if acc else None,
            "sales_segmentation": acc["Sales_Segmentation__c"] if acc else None,
            "technical_account_manager": acc["Technical_Account_Manager_Name__c"] if acc else None,
            "account_type": acc["Type"].lower().replace(" ", "_") if acc else None,
        }
        doc = {
            "url": f"{ZD_API}/organizations/{org_id}.json",
            "id": org_id,
            "name": name,
            "shared_tickets": rng.random() < 0.1,
            "shared_comments": False,
            "external_id": None,
            "created_at": zd_time(created),
            "updated_at": zd_time(updated),
            "deleted_at": zd_time(deleted_at) if deleted_at else None,
            "domain_names": domains,
            "details": None,
            "notes": None,
            "group_id": None,
            "tags": [level] if level else [],
            "organization_fields": fields,
        }
        if acc is not None and sfid:  # the account points back at its organization
            acc["Zendesk_Organization_ID__c"] = str(org_id)
            acc["Zendesk_Organization_Name__c"] = name
        self.org_out.add(org_id, doc, updated, org_id)
        return doc

    def live(self, doc: dict, deployment: str, staff: bool = False) -> None:
        level = doc["organization_fields"]["support_level"]
        self.result.orgs.append(OrgInfo(doc["id"], doc["name"], level or None, deployment, staff))

    def finish(self) -> CrmResult:
        self.acc_out.flush()
        self.org_out.flush()
        self.result.accounts = self.acc_out.total
        self.result.organizations = self.org_out.total
        return self.result


def _variant(name: str, k: int) -> str:
    """A name that normalizes equal to `name`: differing case or whitespace only."""
    forms = [name.upper(), "  " + name.replace(" ", "  ") + " ", name.lower(),
             name.title() + "\t"]
    return forms[k % len(forms)]


def build_crm(store: Store, rng: random.Random, scale: float, now: int) -> CrmResult:
    """Write accounts and organizations; return the live organizations for users and tickets."""
    b = CrmBuilder(store, rng, now)
    n_acc = max(80, round(1000 * scale))
    n_cust = round(n_acc * 0.72) - len(LOOKALIKES)
    roles = _roles(n_cust, rng)
    dup_k = 0
    bad_kinds = list(BAD_DOMAINS)
    bad_k = 0

    # GitLab's own staff organization: no account behind it (decided: no salesforce_id, no plan,
    # so the rules flag it under no_salesforce_id and no_support_level; the manifest says so).
    staff = b.org(None, STAFF_ORG, None, sfid=None, domains=["gitlab.com"])
    b.live(staff, "GitLab.com", staff=True)
    b.note("staff_org", staff["id"])
    for name in LOOKALIKES:
        acc = b.account(name, "Customer", "Premium", "GitLab.com;Self-Managed")
        doc = b.org(acc, name, "premium")
        b.live(doc, acc["GitLab_Deployment__c"])
        b.write_account(acc)

    customer_names: list[str] = []
    for role in roles:
        name = b.names.draw()
        level = _weighted(rng, SF_LEVELS)
        deployment = _weighted(rng, DEPLOYMENTS)
        deployment = {"missing_dotcom": "GitLab.com", "missing_sm": "Self-Managed",
                      "missing_both": "GitLab.com;Self-Managed",
                      "missing_nodeploy": None}.get(role, deployment)
        if role == "org_new_starter":
            level = rng.choice(["Premium", "Ultimate"])
        elif role in ("org_level_mismatch", "org_short_id_level_mismatch"):
            level = rng.choice(MAIN_LEVELS)
        elif role == "org_sf_level_empty":
            level = None
        if role == "dup_base" and dup_k == 0:
            name = "Müller Straße GmbH"  # casefolds to 'müller strasse gmbh': a Unicode duplicate
            b.names.take(name)
        acc = b.account(name, "Customer", level, deployment, deleted=(role == "deleted"))
        if role.startswith("missing_") or role == "deleted":
            b.write_account(acc)
            continue
        if role == "clean":
            customer_names.append(name)
        host = acc["Website"].removeprefix("https://www.")
        org_level = level.lower() if level else None
        org_name, sfid, domains, new = name, acc["Id"], [host], False
        if role == "org_no_level":
            org_level = None if rng.random() < 0.7 else ""
        elif role in ("org_level_mismatch", "org_short_id_level_mismatch"):
            org_level = rng.choice([lv for lv in MAIN_LEVELS if lv != level]).lower()
        elif role == "org_new_starter":
            org_level, new = "starter", True
        elif role == "org_sf_level_empty":
            org_level = rng.choice(["premium", "ultimate", "starter"])
        if role.startswith("org_short_id"):
            sfid = acc["Id"][:15]
        elif role == "org_no_sfid":
            sfid = None
        if role in ("org_name_mismatch", "org_short_id_name_mismatch"):
            first, second = name.split()[:2]
            org_name = rng.choice([f"{first} {second} (Legacy)", f"{name} - EMEA", b.names.draw()])
        elif role == "org_name_case_only":
            org_name = _variant(name, rng.randrange(4))
        if role == "org_bad_domain":
            kind = bad_kinds[bad_k % len(bad_kinds)]
            bad_k += 1
            bad = BAD_DOMAINS[kind].format(d=host, s=slug(name))
            domains = [host, bad] if rng.random() < 0.4 else [bad]
        elif rng.random() < 0.1:  # valid but unusual: sub-domain, upper case, hyphen, digits
            extra = rng.choice([f"eu.{host}", host.upper(), f"{slug(name)}-cloud.io",
                                f"{slug(name)}2.net"])
            domains = [host, extra]
        doc = b.org(acc, org_name, org_level, sfid=sfid, domains=domains, new=new)
        b.write_account(acc)
        if role.startswith("org_short_id"):
            b.note("short_salesforce_id_orgs", doc["id"])
        elif role == "org_name_case_only":
            b.note("case_only_name_orgs", doc["id"])
        b.live(doc, deployment or "GitLab.com")
        if role == "dup_base":
            copies = 2 if dup_k == 1 else 1  # one group of three
            for c in range(copies):
                dup_name = "MÜLLER STRASSE GMBH" if dup_k == 0 else _variant(name, dup_k + c)
                dup = b.account(dup_name, "Customer", level, deployment)
                b.write_account(dup)
            b.note("duplicate_groups", name)
            dup_k += 1

    # Non-customers: former customers (some keep a live, consistent org; some a deleted one),
    # prospects and partners; and name twins that must NOT count as duplicates.
    n_other = n_acc - n_cust - len(LOOKALIKES)
    n_deleted_orgs = max(2, round(0.012 * n_acc))
    n_former_live = max(1, round(0.03 * n_acc))
    for i in range(n_other):
        if i < n_deleted_orgs + n_former_live:
            acc_type = "Former Customer"
        else:
            acc_type = _weighted(rng, [("Former Customer", 30), ("Prospect", 50), ("Partner", 20)])
        name = b.names.draw()
        level = "Expired" if acc_type == "Former Customer" else None
        deployment = _weighted(rng, DEPLOYMENTS) if acc_type != "Prospect" else None
        acc = b.account(name, acc_type, level, deployment)
        if i < n_deleted_orgs:
            # deleted org with defects of its own: out of scope, must not be flagged
            doc = b.org(acc, name, None if i % 2 == 0 else "", deleted=True,
                        domains=[f"{slug(name)}_old.com"], sfid=None if i == 1 else "same")
            b.note("deleted_orgs", doc["id"])
        elif i < n_deleted_orgs + n_former_live:
            doc = b.org(acc, name, "expired")
            b.live(doc, deployment or "GitLab.com")
        b.write_account(acc)
    # Twins: a deleted customer and a prospect named like existing customers (not duplicates).
    twin_names = customer_names[:2]
    for k, (twin, acc_type, deleted) in enumerate(
        zip(twin_names, ["Customer", "Prospect"], [True, False], strict=True)
    ):
        acc = b.account(_variant(twin, k).strip() or twin, acc_type, None, None, deleted=deleted)
        b.write_account(acc)
        b.note("name_twins_not_duplicates", acc["Id"])
    # Organizations outside the sync: created by hand (no salesforce_id), and one whose
    # salesforce_id names no account at all (not linked, so no mismatch checks apply).
    for _ in range(max(1, round(0.01 * n_acc))):
        name = b.names.draw()
        doc = b.org(None, name, rng.choice(["starter", "premium", None]), sfid=None,
                    domains=[b.names.domain(name)])
        b.live(doc, "GitLab.com")
    name = b.names.draw()
    dangling = generated_id("001", scramble(62**6 + 12345, b.salt))
    doc = b.org(None, name, "premium", sfid=dangling, domains=[b.names.domain(name)])
    b.live(doc, "Self-Managed")
    b.note("dangling_salesforce_id_orgs", doc["id"])
    return b.finish()
