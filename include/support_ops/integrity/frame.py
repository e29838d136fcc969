"""The one pandas frame the Great Expectations suite validates.

In-scope Customer accounts outer-joined with in-scope organizations on the 15-character
Salesforce id, then exploded to one row per organization domain (an organization without
domains keeps one row with no domain). Flags tell the expectations which rows they look at:

- `pair_row`: the first row of each (account, organization) pair (domain rows repeat it);
- `account_row`: the first row of each account (for the duplicate-name check);
- `has_account`, `has_org`, `linked`; `dep_dotcom`, `dep_selfmanaged` (deployment picklist).

The join is pandas' own (not the reference's dictionary lookup), so agreement between the two
engines also checks the linking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .rules import account_in_scope, clean, deployments, id15, normalize_name, org_in_scope

if TYPE_CHECKING:
    import pandas as pd

FRAME_COLUMNS = (
    "row_id", "account_id", "account_name", "account_name_norm", "account_level_norm", "deployment",
    "dep_dotcom", "dep_selfmanaged", "account_zd_org_id", "account_zd_org_name_norm",
    "org_id", "org_name", "org_name_norm", "org_level_norm", "org_salesforce_id", "org_domain",
    "has_account", "has_org", "linked", "pair_row", "account_row",
)


def _level(value: Any) -> str | None:
    text = clean(value)
    return text.casefold() if text else None


def build_frame(accounts: Iterable[Mapping[str, Any]], orgs: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    acc_rows = []
    for a in accounts:
        if not account_in_scope(a):
            continue
        dep = deployments(a.get("deployment"))
        acc_rows.append({
            "account_id": a["id"], "join_key": id15(a["id"]) or f"~acc:{a['id']}",
            "account_name": a.get("name"), "account_name_norm": normalize_name(a.get("name")),
            "account_level_norm": _level(a.get("support_level")), "deployment": a.get("deployment"),
            "dep_dotcom": "GitLab.com" in dep, "dep_selfmanaged": "Self-Managed" in dep,
            "account_zd_org_id": clean(a.get("zendesk_organization_id")) or "",
            "account_zd_org_name_norm": normalize_name(a.get("zendesk_organization_name")),
        })
    org_rows = []
    for o in orgs:
        if not org_in_scope(o):
            continue
        oid = str(o["id"])
        org_rows.append({
            "org_id": oid,
            # an organization that cannot name an account gets a key no account has
            "join_key": id15(o.get("salesforce_id")) or f"~org:{oid}",
            "org_name": o.get("name"), "org_name_norm": normalize_name(o.get("name")),
            "org_level_norm": _level(o.get("support_level")),
            "org_salesforce_id": clean(o.get("salesforce_id")),
            "org_domain": list(o.get("domain_names") or []) or [None],
        })
    acc_df = pd.DataFrame(acc_rows, columns=[
        "account_id", "join_key", "account_name", "account_name_norm", "account_level_norm", "deployment",
        "dep_dotcom", "dep_selfmanaged", "account_zd_org_id", "account_zd_org_name_norm"])
    org_df = pd.DataFrame(org_rows, columns=[
        "org_id", "join_key", "org_name", "org_name_norm", "org_level_norm", "org_salesforce_id", "org_domain"])
    df = acc_df.merge(org_df, on="join_key", how="outer", sort=False).drop(columns="join_key")
    df["has_account"] = df["account_id"].notna()
    df["has_org"] = df["org_id"].notna()
    df["linked"] = df["has_account"] & df["has_org"]
    for col in ("dep_dotcom", "dep_selfmanaged"):
        df[col] = df[col].fillna(False).astype(bool)
    df["org_domain"] = df["org_domain"].map(lambda v: v if isinstance(v, list) else [None])
    df = df.reset_index(drop=True).explode("org_domain")
    df["pair_row"] = ~df.index.duplicated(keep="first")
    df = df.reset_index(drop=True)
    df["account_row"] = df["has_account"] & ~df["account_id"].duplicated(keep="first")
    df["row_id"] = range(len(df))
    return df[list(FRAME_COLUMNS)]
