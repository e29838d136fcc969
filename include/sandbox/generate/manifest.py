"""The DESIGN §6 CRM integrity rules, applied to what is in the store.

The generator plants defects on purpose; the manifest's expected findings are not the
plan but this recomputation over the stored documents, so overlaps stay exact.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..collections import SF_ACCOUNT, ZD_ORGANIZATIONS
from ..store import Store
from .names import normalize

CHECKS = (
    "missing_zendesk_org_dotcom",
    "missing_zendesk_org_selfmanaged",
    "no_support_level",
    "duplicate_salesforce_account",
    "support_level_mismatch",
    "no_salesforce_id",
    "org_name_mismatch",
    "invalid_org_domain",
)
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def valid_host(domain: str) -> bool:
    """Letters, digits and inner hyphens in dot-separated labels; alphabetic top-level label."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return False
    return labels[-1].isascii() and labels[-1].isalpha()


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def compute_defects(store: Store) -> dict[str, list]:
    """Expected findings per check: account Ids or organization ids, sorted."""
    out: dict[str, set] = {name: set() for name in CHECKS}
    by15: dict[str, dict] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for acc in store.all(SF_ACCOUNT):
        by15[acc["Id"][:15]] = {"Name": acc["Name"], "level": acc.get("Support_Level__c"),
                                "scope": acc.get("Type") == "Customer" and not acc.get("IsDeleted"),
                                "deployment": acc.get("GitLab_Deployment__c") or "",
                                "Id": acc["Id"]}
        if by15[acc["Id"][:15]]["scope"]:
            groups[normalize(acc["Name"])].append(acc["Id"])
    linked: set[str] = set()
    for org in store.all(ZD_ORGANIZATIONS):
        if org.get("deleted_at"):
            continue
        fields = org.get("organization_fields") or {}
        oid = org["id"]
        sfid, level = fields.get("salesforce_id"), fields.get("support_level")
        if _empty(level):
            out["no_support_level"].add(oid)
        if _empty(sfid):
            out["no_salesforce_id"].add(oid)
        if any(not valid_host(d) for d in org.get("domain_names") or []):
            out["invalid_org_domain"].add(oid)
        acc = None if _empty(sfid) else by15.get(sfid.strip()[:15])
        if acc is None:
            continue
        linked.add(acc["Id"])
        if not _empty(level) and not _empty(acc["level"]) and \
                level.strip().casefold() != acc["level"].strip().casefold():
            out["support_level_mismatch"].add(oid)
        if normalize(org["name"]) != normalize(acc["Name"]):
            out["org_name_mismatch"].add(oid)
    for acc in by15.values():
        if not acc["scope"] or acc["Id"] in linked:
            continue
        parts = acc["deployment"].split(";")
        if "GitLab.com" in parts:
            out["missing_zendesk_org_dotcom"].add(acc["Id"])
        if "Self-Managed" in parts:
            out["missing_zendesk_org_selfmanaged"].add(acc["Id"])
    for ids in groups.values():
        if len(ids) >= 2:
            out["duplicate_salesforce_account"].update(ids)
    return {name: sorted(ids) for name, ids in out.items()}


def oncall_findings(now_epoch: int) -> list[dict[str, str]]:
    """The on-call audit findings the PagerDuty seed plants on purpose (docs/oncall.md): a run
    on the seeded account at the generation time reports these and no other."""
    from datetime import UTC, datetime

    from ..seed_ops import planted_oncall_findings

    return planted_oncall_findings(datetime.fromtimestamp(now_epoch, UTC))
