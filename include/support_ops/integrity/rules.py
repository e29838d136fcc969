"""The CRM integrity rules of docs/integrity-rules.md in plain Python: the unit-tested reference.

The Great Expectations suite (gx_suite.py) checks the same rules over a joined pandas frame;
tests assert both give the same findings. This module also owns what a finding *says*
(its details), so both engines report identically.

Scope: accounts with Type 'Customer' that are not deleted; organizations not deleted.
An organization is linked to an in-scope account when the first 15 characters of its
`salesforce_id` equal the account Id's first 15 (case-sensitive). An organization whose
salesforce_id names no in-scope account (a Former Customer, a deleted account, nothing) is
not linked, so the linked-only checks do not apply to it.

The `GitLab` staff organization is an ordinary organization here: it has no account behind it,
so it is flagged by `no_salesforce_id` and `no_support_level` (as the sandbox manifest expects).
Its details carry `"staff_org": true` so a reader knows the finding is expected.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import names
from ..clients.salesforce_ids import to18

ACCOUNT, ORGANIZATION = "account", "organization"
STAFF_ORG_NAME = names.STAFF_ORG_NAME


@dataclass(frozen=True)
class Check:
    name: str
    entity_type: str
    meaning: str
    source: str  # where the rule comes from


CHECKS: tuple[Check, ...] = (
    Check("missing_zendesk_org_dotcom", ACCOUNT,
          "Customer account whose deployment includes 'GitLab.com' has no linked Zendesk organization",
          "seed crm-check missingzendeskorg_dotcom"),
    Check("missing_zendesk_org_selfmanaged", ACCOUNT,
          "Customer account whose deployment includes 'Self-Managed' has no linked Zendesk organization",
          "seed crm-check missingzendeskorg_selfmanaged"),
    Check("no_support_level", ORGANIZATION,
          "Zendesk organization with an empty GitLab plan (support_level)", "seed crm-check nosupportlevel"),
    Check("duplicate_salesforce_account", ACCOUNT,
          "Customer account sharing its normalized name with another Customer account (every member)",
          "seed crm-check repeatrecordsinsalesforce"),
    Check("support_level_mismatch", ORGANIZATION,
          "Linked organization and account both have a plan and they differ (ignoring case)",
          "seed crm-check supportlevelmismatch"),
    Check("no_salesforce_id", ORGANIZATION,
          "Zendesk organization with an empty salesforce_id", "seed crm-check nosalesforceid"),
    Check("org_name_mismatch", ORGANIZATION,
          "Linked organization whose normalized name differs from its account's",
          "seed crm-check org_name_mismatch"),
    Check("invalid_org_domain", ORGANIZATION,
          "Organization with a domain name that is not a valid host name",
          "seed sync condition: domain properly formatted"),
    Check("zendesk_org_id_mismatch", ACCOUNT,
          "Linked account whose Zendesk_Organization_ID__c is not the linked organization's id",
          "seed sync condition: Zendesk Support Organization ID matches"),
    Check("zendesk_org_name_mismatch", ACCOUNT,
          "Linked account whose Zendesk_Organization_Name__c (normalized) is not the organization's name",
          "seed sync condition: Zendesk Support Organization name matches"),
)
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
ENTITY_OF: dict[str, str] = {c.name: c.entity_type for c in CHECKS}

# A valid host name: dot-separated labels of letters, digits and inner hyphens, at least two
# labels, the last one alphabetic. Anchored with \Z (not $, which accepts a trailing newline).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_REGEX = rf"^(?:{_LABEL}\.)+[A-Za-z]+\Z"
_HOST = re.compile(HOST_REGEX)


def normalize_name(name: str | None) -> str:
    """Unicode case-folding, trimming, collapsing inner whitespace ('' for no name)."""
    return " ".join((name or "").casefold().split())


def clean(value: Any) -> str | None:
    """A trimmed string, or None when empty: 'empty' in the rules means None or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def id15(sfid: Any) -> str | None:
    """The 15-character, case-sensitive key of a Salesforce id (None if it cannot be one).

    Read through the 18-character form (`clients.salesforce_ids.to18`), so an 18-character id
    whose case was changed on the way still names its account."""
    text = clean(sfid)
    full = to18(text)
    if full:
        return full[:15]
    return text[:15] if text and len(text) >= 15 else None


def valid_host(domain: Any) -> bool:
    return isinstance(domain, str) and _HOST.match(domain) is not None


def deployments(value: Any) -> set[str]:
    """The values of the GitLab_Deployment__c multi-select picklist ('a;b')."""
    return {p.strip() for p in str(value or "").split(";") if p.strip()}


def account_in_scope(acc: Mapping[str, Any]) -> bool:
    return acc.get("type") == "Customer" and not acc.get("is_deleted")


def org_in_scope(org: Mapping[str, Any]) -> bool:
    return org.get("deleted_at") in (None, "")


Key = tuple[str, str, str]  # (check_name, entity_type, entity_id)


@dataclass
class Evaluation:
    """Findings of the reference implementation, and what is needed to describe them."""

    findings: dict[str, set[str]] = field(default_factory=lambda: {n: set() for n in CHECK_NAMES})
    accounts: dict[str, dict] = field(default_factory=dict)  # in scope, by Id
    orgs: dict[str, dict] = field(default_factory=dict)  # in scope, by str(id)
    org_account: dict[str, str] = field(default_factory=dict)  # linked org id -> account Id
    account_orgs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    duplicate_groups: dict[str, list[str]] = field(default_factory=dict)  # normalized name -> Ids

    def keys(self) -> set[Key]:
        return {(c, ENTITY_OF[c], e) for c, ids in self.findings.items() for e in ids}


def evaluate(accounts: Iterable[Mapping[str, Any]], orgs: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Apply every check. Accounts/orgs are warehouse-shaped dicts (sf_accounts / zd_organizations
    columns: id, name, type, is_deleted, support_level, deployment, zendesk_organization_id,
    zendesk_organization_name; id, name, domain_names, salesforce_id, support_level, deleted_at)."""
    ev = Evaluation()
    out = ev.findings
    by15: dict[str, dict] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for acc in accounts:
        if not account_in_scope(acc):
            continue
        acc = dict(acc)
        ev.accounts[acc["id"]] = acc
        key = id15(acc["id"])
        if key:
            by15[key] = acc
        groups[normalize_name(acc.get("name"))].append(acc["id"])
    for org in orgs:
        if not org_in_scope(org):
            continue
        org = dict(org)
        oid = str(org["id"])
        ev.orgs[oid] = org
        level = clean(org.get("support_level"))
        if level is None:
            out["no_support_level"].add(oid)
        if clean(org.get("salesforce_id")) is None:
            out["no_salesforce_id"].add(oid)
        if any(not valid_host(d) for d in org.get("domain_names") or []):
            out["invalid_org_domain"].add(oid)
        acc = by15.get(id15(org.get("salesforce_id")) or "")
        if acc is None:
            continue
        ev.org_account[oid] = acc["id"]
        ev.account_orgs[acc["id"]].append(oid)
        acc_level = clean(acc.get("support_level"))
        if level and acc_level and level.casefold() != acc_level.casefold():
            out["support_level_mismatch"].add(oid)
        if normalize_name(org.get("name")) != normalize_name(acc.get("name")):
            out["org_name_mismatch"].add(oid)
        if clean(acc.get("zendesk_organization_id")) != oid:
            out["zendesk_org_id_mismatch"].add(acc["id"])
        if normalize_name(acc.get("zendesk_organization_name")) != normalize_name(org.get("name")):
            out["zendesk_org_name_mismatch"].add(acc["id"])
    for aid, acc in ev.accounts.items():
        if aid in ev.account_orgs:
            continue
        dep = deployments(acc.get("deployment"))
        if "GitLab.com" in dep:
            out["missing_zendesk_org_dotcom"].add(aid)
        if "Self-Managed" in dep:
            out["missing_zendesk_org_selfmanaged"].add(aid)
    for norm, ids in groups.items():
        if len(ids) >= 2:
            ev.duplicate_groups[norm] = sorted(ids)
            out["duplicate_salesforce_account"].update(ids)
    return ev


class LinkBuilder:
    """Links to the records in their systems' UIs (hosts from the connections)."""

    def __init__(self, zendesk_host: str, salesforce_url: str):
        self.zendesk_host = zendesk_host.strip("/").removeprefix("https://").removeprefix("http://")
        self.salesforce_url = salesforce_url.rstrip("/")

    def org(self, org_id: str | int | None) -> str | None:
        return f"https://{self.zendesk_host}/agent/organizations/{org_id}" if org_id not in (None, "") else None

    def account(self, account_id: str | None) -> str | None:
        return f"{self.salesforce_url}/{account_id}" if account_id else None


def _account_brief(acc: Mapping[str, Any], links: LinkBuilder) -> dict:
    return {
        "account_id": acc["id"], "account_name": acc.get("name"),
        "account_support_level": acc.get("support_level"), "deployment": acc.get("deployment"),
        "account_zendesk_organization_id": acc.get("zendesk_organization_id"),
        "account_zendesk_organization_name": acc.get("zendesk_organization_name"),
        "salesforce_url": links.account(acc["id"]),
    }


def _org_brief(org: Mapping[str, Any], links: LinkBuilder) -> dict:
    brief = {
        "org_id": str(org["id"]), "org_name": org.get("name"), "org_support_level": org.get("support_level"),
        "org_salesforce_id": org.get("salesforce_id"), "domain_names": list(org.get("domain_names") or []),
        "zendesk_url": links.org(org["id"]),
    }
    if org.get("name") == STAFF_ORG_NAME:
        brief["staff_org"] = True
    return brief


def details(ev: Evaluation, check: str, entity_id: str, links: LinkBuilder) -> dict:
    """What a reader needs to fix one finding: names, ids, levels, links."""
    if ENTITY_OF[check] == ACCOUNT:
        acc = ev.accounts.get(entity_id) or {"id": entity_id}
        out = _account_brief(acc, links)
        linked = ev.account_orgs.get(entity_id) or []
        if linked:
            out["linked_orgs"] = [_org_brief(ev.orgs[o], links) for o in linked]
        if check == "duplicate_salesforce_account":
            norm = normalize_name(acc.get("name"))
            out["normalized_name"] = norm
            out["group"] = [{"account_id": a, "account_name": ev.accounts[a].get("name"),
                             "salesforce_url": links.account(a)} for a in ev.duplicate_groups.get(norm, [])]
        return out
    org = ev.orgs.get(entity_id) or {"id": entity_id}
    out = _org_brief(org, links)
    if check == "invalid_org_domain":
        out["invalid_domains"] = [d for d in org.get("domain_names") or [] if not valid_host(d)]
    aid = ev.org_account.get(entity_id)
    if aid:
        out["linked_account"] = _account_brief(ev.accounts[aid], links)
    return out
