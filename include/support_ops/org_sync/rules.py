"""The organization sync's rules: scope, skip reasons in order, the nine mappings, comparison.

Pure functions over Salesforce-shaped accounts (`Id`, `Name`, `Type`, `IsDeleted`, `Owner.Name`,
custom fields) and Zendesk-shaped organizations (`id`, `name`, `domain_names`, `deleted_at`,
`organization_fields`), so every rule is testable without a warehouse. The rules, in the
project's words: docs/org-sync.md.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..clients.salesforce_ids import to18
from ..integrity.rules import id15, normalize_name, valid_host

# Skip reasons, in the order they are tried: an account gets the first that applies.
DUPLICATE_ACCOUNT = "duplicate_account"
NO_ORGANIZATION = "no_organization"
MULTIPLE_ORGANIZATIONS = "multiple_organizations"
ORG_ID_MISMATCH = "zendesk_org_id_mismatch"
ORG_NAME_MISMATCH = "zendesk_org_name_mismatch"
INVALID_ORG_DOMAIN = "invalid_org_domain"
SKIP_REASONS: tuple[str, ...] = (DUPLICATE_ACCOUNT, NO_ORGANIZATION, MULTIPLE_ORGANIZATIONS,
                                 ORG_ID_MISMATCH, ORG_NAME_MISMATCH, INVALID_ORG_DOMAIN)

CLEARABLE_SETTING = "SUPPORT_OPS_SYNC_CLEARABLE_FIELDS"


@dataclass(frozen=True)
class FieldMap:
    """One Zendesk organization field and the Salesforce field it is written from."""

    zendesk: str
    salesforce: str
    kind: str  # id, level, money, text, integer, type


MAPPINGS: tuple[FieldMap, ...] = (
    FieldMap("salesforce_id", "Id", "id"),
    FieldMap("support_level", "Support_Level__c", "level"),
    FieldMap("aar", "CARR_This_Account__c", "money"),
    FieldMap("account_owner", "Owner.Name", "text"),
    FieldMap("number_of_seats", "Number_of_Licenses_This_Account__c", "integer"),
    FieldMap("market_segment", "Market_Segment__c", "text"),
    FieldMap("sales_segmentation", "Sales_Segmentation__c", "text"),
    FieldMap("technical_account_manager", "Technical_Account_Manager_Name__c", "text"),
    FieldMap("account_type", "Type", "type"),
)
FIELDS: tuple[str, ...] = tuple(m.zendesk for m in MAPPINGS)
BY_FIELD: dict[str, FieldMap] = {m.zendesk: m for m in MAPPINGS}


class RuleError(ValueError):
    """A setting of the sync is not usable (named in the message)."""


def clearable_fields(value: str | None = None) -> frozenset[str]:
    """Fields an empty Salesforce value may clear (`SUPPORT_OPS_SYNC_CLEARABLE_FIELDS`, default none)."""
    raw = os.environ.get(CLEARABLE_SETTING, "") if value is None else value
    names = {n.strip() for n in raw.split(",") if n.strip()}
    unknown = sorted(names - set(FIELDS))
    if unknown:
        raise RuleError(f"{CLEARABLE_SETTING} names unknown fields {unknown}; known: {list(FIELDS)}")
    return frozenset(names)


# -- values ----------------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Decimal | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _cents(value: Any) -> Decimal | None:
    d = _decimal(value)
    return None if d is None else d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _whole(value: Any) -> int | None:
    d = _decimal(value)
    return None if d is None else int(d.to_integral_value(rounding=ROUND_HALF_UP))


def salesforce_value(account: Mapping[str, Any], m: FieldMap) -> Any:
    """The raw Salesforce value of a mapping (`Owner.Name` follows the relationship)."""
    if "." in m.salesforce:
        rel, attr = m.salesforce.split(".", 1)
        parent = account.get(rel)
        return parent.get(attr) if isinstance(parent, Mapping) else account.get(m.salesforce)
    return account.get(m.salesforce)


def written_value(m: FieldMap, value: Any) -> Any:
    """What the sync writes for a Salesforce value; None when it is empty (never written)."""
    if _blank(value):
        return None
    if m.kind == "id":
        return to18(value)
    if m.kind == "level":
        return str(value).strip().lower()
    if m.kind == "type":
        return "_".join(str(value).strip().lower().split())
    if m.kind == "money":
        cents = _cents(value)
        return None if cents is None else float(cents)
    if m.kind == "integer":
        return _whole(value)
    return str(value).strip()


def same_value(m: FieldMap, current: Any, wanted: Any) -> bool:
    """Equal under the sync's comparison: texts trimmed, `support_level` ignoring case,
    `aar` to the cent, seats as integers; an empty value equals only an empty one."""
    if _blank(current) or _blank(wanted):
        return _blank(current) and _blank(wanted)
    if m.kind == "money":
        a, b = _cents(current), _cents(wanted)
        return a is not None and a == b
    if m.kind == "integer":
        a, b = _whole(current), _whole(wanted)
        return a is not None and a == b
    if m.kind == "level":
        return str(current).strip().casefold() == str(wanted).strip().casefold()
    return str(current).strip() == str(wanted).strip()


# -- scope and linking -----------------------------------------------------------------------

def account_in_scope(account: Mapping[str, Any]) -> bool:
    return account.get("Type") == "Customer" and not account.get("IsDeleted")


def org_in_scope(org: Mapping[str, Any]) -> bool:
    return _blank(org.get("deleted_at"))


def org_fields(org: Mapping[str, Any]) -> dict[str, Any]:
    fields = org.get("organization_fields")
    return dict(fields) if isinstance(fields, Mapping) else {}


@dataclass(frozen=True)
class Change:
    """One organization's planned change: the fields that differ, before and after."""

    organization_id: int
    account_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    updated_at: str | None = None

    @property
    def fields(self) -> list[str]:
        return list(self.after)


@dataclass(frozen=True)
class Skip:
    account_id: str
    reason: str
    organization_id: int | None = None
    detail: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    unchanged: int = 0  # synced accounts whose organization already holds every value
    accounts_in_scope: int = 0

    def counts(self) -> dict[str, Any]:
        by_reason: dict[str, int] = {r: 0 for r in SKIP_REASONS}
        for s in self.skips:
            by_reason[s.reason] = by_reason.get(s.reason, 0) + 1
        per_field: dict[str, int] = {f: 0 for f in FIELDS}
        for c in self.changes:
            for f in c.after:
                per_field[f] += 1
        return {"accounts_in_scope": self.accounts_in_scope, "changed_organizations": len(self.changes),
                "field_changes": sum(per_field.values()), "unchanged": self.unchanged,
                "skipped": len(self.skips), "skipped_by_reason": by_reason, "changes_per_field": per_field}


def desired_fields(account: Mapping[str, Any]) -> dict[str, Any]:
    """Every mapped field's value as the sync would write it (None: Salesforce is empty)."""
    return {m.zendesk: written_value(m, salesforce_value(account, m)) for m in MAPPINGS}


def diff(account: Mapping[str, Any], org: Mapping[str, Any],
         clearable: frozenset[str] = frozenset()) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that change; empty when the organization is up to date.

    An empty Salesforce value never blanks a Zendesk value unless the field is clearable."""
    current = org_fields(org)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for m in MAPPINGS:
        wanted = written_value(m, salesforce_value(account, m))
        have = current.get(m.zendesk)
        if wanted is None:
            if m.zendesk not in clearable or _blank(have):
                continue
        elif same_value(m, have, wanted):
            continue
        before[m.zendesk] = have
        after[m.zendesk] = wanted
    return before, after


def make_plan(accounts: Iterable[Mapping[str, Any]], orgs: Iterable[Mapping[str, Any]], *,
              clearable: frozenset[str] = frozenset(),
              only_orgs: Iterable[int] | None = None) -> Plan:
    """Every in-scope account: skipped with its first reason, or compared with its organization.

    `only_orgs` limits the run to accounts whose (single) organization is listed."""
    only = {int(o) for o in only_orgs} if only_orgs else None
    scoped = [dict(a) for a in accounts if account_in_scope(a) and to18(a.get("Id"))]
    names: dict[str, int] = defaultdict(int)
    for a in scoped:
        names[normalize_name(a.get("Name"))] += 1
    by15: dict[str, list[dict]] = defaultdict(list)
    for org in orgs:
        if not org_in_scope(org):
            continue
        key = id15(org_fields(org).get("salesforce_id"))
        if key:
            by15[key].append(dict(org))
    plan = Plan()
    for acc in sorted(scoped, key=lambda a: to18(a["Id"]) or ""):
        aid = to18(acc["Id"]) or ""
        linked = sorted(by15.get(aid[:15], []), key=lambda o: int(o["id"]))
        if only is not None and not any(int(o["id"]) in only for o in linked):
            continue
        plan.accounts_in_scope += 1
        reason, org, detail = _skip_reason(acc, linked, names)
        if reason:
            plan.skips.append(Skip(aid, reason, int(org["id"]) if org else None, detail))
            continue
        assert org is not None
        before, after = diff(acc, org, clearable)
        if after:
            plan.changes.append(Change(int(org["id"]), aid, before, after,
                                       str(org.get("updated_at")) if org.get("updated_at") else None))
        else:
            plan.unchanged += 1
    return plan


def _skip_reason(acc: dict, linked: list[dict], names: Mapping[str, int]) -> tuple[str | None, dict | None, str]:
    """The first sync condition that fails, with the organization concerned and a short detail."""
    if names[normalize_name(acc.get("Name"))] > 1:
        return DUPLICATE_ACCOUNT, linked[0] if len(linked) == 1 else None, \
            f"{names[normalize_name(acc.get('Name'))]} customer accounts share this name"
    if not linked:
        return NO_ORGANIZATION, None, "no organization's salesforce_id names this account"
    if len(linked) > 1:
        return MULTIPLE_ORGANIZATIONS, None, "organizations " + ", ".join(str(o["id"]) for o in linked)
    org = linked[0]
    acc_org_id = acc.get("Zendesk_Organization_ID__c")
    if _blank(acc_org_id) or str(acc_org_id).strip() != str(org["id"]):
        return ORG_ID_MISMATCH, org, f"Zendesk_Organization_ID__c is {acc_org_id!r}"
    if normalize_name(acc.get("Zendesk_Organization_Name__c")) != normalize_name(org.get("name")):
        return ORG_NAME_MISMATCH, org, f"Zendesk_Organization_Name__c is {acc.get('Zendesk_Organization_Name__c')!r}"
    bad = [d for d in org.get("domain_names") or [] if not valid_host(d)]
    if bad:
        return INVALID_ORG_DOMAIN, org, f"invalid domain {bad[0]!r}"
    return None, org, ""
