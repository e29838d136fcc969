"""The reference implementation of the CRM integrity rules (docs/integrity-rules.md), rule by rule, on hand-built records.

ACCOUNTS / ORGS are also validated through Great Expectations in test_integrity_gx.py.
"""

from __future__ import annotations

import pytest

from support_ops.integrity.rules import (
    CHECK_NAMES,
    ENTITY_OF,
    LinkBuilder,
    deployments,
    details,
    evaluate,
    id15,
    normalize_name,
    valid_host,
)


def acc(n: int, name: str, *, type_: str = "Customer", deleted: bool = False, level: str | None = "Premium",
        deployment: str | None = "GitLab.com", zd_id: str | None = "auto", zd_name: str | None = "auto") -> dict:
    sfid = f"0018X00000{n:05d}AbC"
    return {"id": sfid, "name": name, "type": type_, "is_deleted": deleted, "support_level": level,
            "deployment": deployment, "zendesk_organization_id": zd_id, "zendesk_organization_name": zd_name}


def org(oid: int, name: str, sfid: str | None, *, level: str | None = "premium", domains=("example.com",),
        deleted: bool = False) -> dict:
    return {"id": oid, "name": name, "salesforce_id": sfid, "support_level": level, "domain_names": list(domains),
            "deleted_at": "2026-01-01T00:00:00Z" if deleted else None}


def linked_pair(n: int, name: str, oid: int, *, org_name: str | None = None, sfid_form: str = "18", **kw):
    """An account and an organization synced from it (the account points back at the org)."""
    a = acc(n, name, **{k: v for k, v in kw.items() if k in ("level", "deployment", "type_", "deleted")})
    a["zendesk_organization_id"] = str(oid)
    a["zendesk_organization_name"] = org_name or name
    sfid = a["id"] if sfid_form == "18" else a["id"][:15]
    o = org(oid, org_name or name, sfid, **{k: v for k, v in kw.items() if k in ("domains",)},
            level=kw.get("org_level", (a["support_level"] or "").lower() or None))
    return a, o


# -- a small organization covering every rule; expected findings in EXPECTED ------------------------
ACCOUNTS: list[dict] = []
ORGS: list[dict] = []


def _add(a=None, o=None):
    if a:
        ACCOUNTS.append(a)
    if o:
        ORGS.append(o)
    return a, o


CLEAN_A, CLEAN_O = _add(*linked_pair(1, "Clean Co", 101))
SHORT_A, SHORT_O = _add(*linked_pair(2, "Short Id Co", 102, sfid_form="15"))  # 15-char id: same record
CASE_A, CASE_O = _add(*linked_pair(3, "Blue  Data GmbH", 103, org_name=" blue data\tGMBH "))  # names equal
MISNAME_A, MISNAME_O = _add(*linked_pair(4, "Red Fox Ltd", 104, org_name="Red Fox Ltd - EMEA"))
MISLEVEL_A, MISLEVEL_O = _add(*linked_pair(5, "Level Co", 105, level="Ultimate", org_level="premium"))
LEVELCASE_A, LEVELCASE_O = _add(*linked_pair(6, "Case Level Co", 106, level="Premium", org_level="PREMIUM"))
SFEMPTY_A, SFEMPTY_O = _add(*linked_pair(7, "No SF Level", 107, level=None, org_level="starter"))
NOLEVEL_A, NOLEVEL_O = _add(*linked_pair(8, "No Plan Co", 108, org_level="  "))
BOTH_A, _ = _add(acc(9, "Both Deploy Co", deployment="GitLab.com;Self-Managed", zd_id=None, zd_name=None))
SM_A, _ = _add(acc(10, "Self Managed Co", deployment="Self-Managed", zd_id=None, zd_name=None))
NODEP_A, _ = _add(acc(11, "No Deployment Co", deployment=None, zd_id=None, zd_name=None))
FORMER_A, FORMER_O = _add(*linked_pair(12, "Former Co", 112, type_="Former Customer", org_name="Former Co (old)"))
FORMER_UNLINKED, _ = _add(acc(13, "Former Unlinked", type_="Former Customer", zd_id=None, zd_name=None))
# an 18-char id whose first 15 characters differ only in case: a different record
OTHERCASE_A, _ = _add(acc(14, "Case Sensitive Co", zd_id=None, zd_name=None))
OTHERCASE_O = _add(None, org(114, "Case Sensitive Co", OTHERCASE_A["id"][:15].lower() + "AAA"))[1]
# a deleted organization with defects of its own: ignored, and it links nothing
DELORG_A, _ = _add(acc(15, "Deleted Org Co", deployment="Self-Managed", zd_id="115", zd_name="Deleted Org Co"))
DEL_O = _add(None, org(115, "Deleted Org Co", DELORG_A["id"], level=None, domains=["bad_domain.com"], deleted=True))[1]
DELETED_A, _ = _add(acc(16, "Deleted Account", deleted=True, zd_id=None, zd_name=None))
# the staff organization: no account behind it
STAFF_O = _add(None, org(117, "GitLab", None, level=None, domains=["gitlab.com"]))[1]
LOOKALIKE_A, LOOKALIKE_O = _add(*linked_pair(18, "GitLab Inc.", 118))
# duplicates: a Unicode-equal pair, a group of three; twins that are out of scope do not count
DUP1_A, DUP1_O = _add(*linked_pair(19, "Müller Straße GmbH", 119))
DUP2_A, _ = _add(acc(20, "MÜLLER STRASSE GMBH", zd_id=None, zd_name=None, deployment=None))
TRIO = [_add(acc(21 + k, nm, zd_id=None, zd_name=None, deployment=None))[0]
        for k, nm in enumerate(["Trio Corp", " trio  corp", "TRIO CORP\t"])]
_add(acc(24, "clean co", type_="Prospect", zd_id=None, zd_name=None))
_add(acc(25, "CLEAN CO", deleted=True, zd_id=None, zd_name=None))
# sync conditions on the account side
ZDID_A, ZDID_O = _add(*linked_pair(26, "Wrong Zd Id Co", 126))
ZDID_A["zendesk_organization_id"] = "999"
ZDNAME_A, ZDNAME_O = _add(*linked_pair(27, "Wrong Zd Name Co", 127))
ZDNAME_A["zendesk_organization_name"] = "Another Name"
ZDCASE_A, ZDCASE_O = _add(*linked_pair(28, "Zd Case Co", 128))
ZDCASE_A["zendesk_organization_name"] = "  ZD CASE   co"
# organizations outside the sync
NOSF_O = _add(None, org(129, "Hand Made Org", "  ", level="starter"))[1]
DANGLING_O = _add(None, org(130, "Dangling Org", "0018X00000ZZZZZAAA", level="premium"))[1]
# domains
INVALID_DOMAINS = {"scheme": "https://acme.com", "path": "acme.com/support", "space": "acme corp.com",
                   "underscore": "acme_corp.com", "special": "acme&co.com", "trailing_hyphen": "acme-.com",
                   "numeric_tld": "acme.123", "single_label": "localhost", "empty": "",
                   "trailing_dot": "acme.com.", "leading_hyphen": "-acme.com", "newline": "acme.com\n"}
VALID_DOMAINS = ["acme.com", "eu.support.acme.com", "xn--mller-kva.de", "ACME.COM", "acme-cloud.io",
                 "acme2.net", "a.co"]
BAD_DOMAIN_ORGS = []
for k, (kind, bad) in enumerate(INVALID_DOMAINS.items()):
    a, o = linked_pair(40 + k, f"Domain Co {kind}", 140 + k, domains=["acme.com", bad] if k % 2 else [bad])
    _add(a, o)
    BAD_DOMAIN_ORGS.append(o)
GOOD_DOMAIN_A, GOOD_DOMAIN_O = _add(*linked_pair(60, "Good Domains Co", 160, domains=VALID_DOMAINS))
NODOMAIN_A, NODOMAIN_O = _add(*linked_pair(61, "No Domain Co", 161, domains=[]))

EXPECTED = {
    "missing_zendesk_org_dotcom": {BOTH_A["id"], OTHERCASE_A["id"]},
    "missing_zendesk_org_selfmanaged": {BOTH_A["id"], SM_A["id"], DELORG_A["id"]},
    "no_support_level": {str(NOLEVEL_O["id"]), str(STAFF_O["id"])},
    "duplicate_salesforce_account": {DUP1_A["id"], DUP2_A["id"]} | {a["id"] for a in TRIO},
    "support_level_mismatch": {str(MISLEVEL_O["id"])},
    "no_salesforce_id": {str(STAFF_O["id"]), str(NOSF_O["id"])},
    "org_name_mismatch": {str(MISNAME_O["id"])},
    "invalid_org_domain": {str(o["id"]) for o in BAD_DOMAIN_ORGS},
    "zendesk_org_id_mismatch": {ZDID_A["id"]},
    "zendesk_org_name_mismatch": {ZDNAME_A["id"]},
}
LINKS = LinkBuilder("acme.zendesk.com", "https://acme.my.salesforce.com/")


@pytest.fixture(scope="module")
def ev():
    return evaluate(ACCOUNTS, ORGS)


def test_every_check_finds_exactly_the_planted_records(ev):
    assert set(EXPECTED) == set(CHECK_NAMES)
    for check in CHECK_NAMES:
        assert ev.findings[check] == EXPECTED[check], check


def test_salesforce_ids_match_on_their_first_15_characters_case_sensitively(ev):
    assert id15("0018X00000abcdeAbC") == "0018X00000abcde" and id15(" 0018X00000abcde ") == "0018X00000abcde"
    assert id15("0018X0000") is None and id15(None) is None and id15("  ") is None
    # 15-char salesforce_id on the org: the same record as the 18-char account Id
    assert ev.org_account[str(SHORT_O["id"])] == SHORT_A["id"]
    assert SHORT_A["id"] not in ev.findings["missing_zendesk_org_dotcom"]
    # same letters in another case: another record, so neither is linked
    assert str(OTHERCASE_O["id"]) not in ev.org_account
    assert OTHERCASE_A["id"] in ev.findings["missing_zendesk_org_dotcom"]
    # a salesforce_id naming no account: not linked, so no mismatch checks apply
    assert str(DANGLING_O["id"]) not in ev.org_account


def test_names_compare_after_casefold_trim_and_whitespace_collapse(ev):
    assert normalize_name("  Blue \t Data\nGmbH ") == "blue data gmbh"
    assert normalize_name("Müller Straße GmbH") == normalize_name("MÜLLER STRASSE GMBH")
    assert normalize_name(None) == ""
    assert str(CASE_O["id"]) not in ev.findings["org_name_mismatch"]
    assert ZDCASE_A["id"] not in ev.findings["zendesk_org_name_mismatch"]


def test_deployment_picklist_with_both_values_flags_both_checks(ev):
    assert deployments("GitLab.com;Self-Managed") == {"GitLab.com", "Self-Managed"}
    assert deployments(" GitLab.com ; ") == {"GitLab.com"} and deployments(None) == set()
    assert BOTH_A["id"] in ev.findings["missing_zendesk_org_dotcom"]
    assert BOTH_A["id"] in ev.findings["missing_zendesk_org_selfmanaged"]
    assert NODEP_A["id"] not in set().union(*ev.findings.values())  # no deployment, no missing-org check


def test_former_customers_and_deleted_records_are_out_of_scope(ev):
    everything = set().union(*ev.findings.values())
    for record in (FORMER_A["id"], FORMER_UNLINKED["id"], DELETED_A["id"], str(FORMER_O["id"]), str(DEL_O["id"])):
        assert record not in everything
    # an org linked to a Former Customer account is not linked for the checks (no name mismatch)
    assert str(FORMER_O["id"]) not in ev.org_account
    # a deleted organization does not link its account: the account misses an organization
    assert DELORG_A["id"] in ev.findings["missing_zendesk_org_selfmanaged"]
    # a Prospect and a deleted Customer named like 'Clean Co' are not duplicates of it
    assert CLEAN_A["id"] not in ev.findings["duplicate_salesforce_account"]


def test_support_level_rules(ev):
    assert str(LEVELCASE_O["id"]) not in ev.findings["support_level_mismatch"]  # case ignored
    assert str(SFEMPTY_O["id"]) not in ev.findings["support_level_mismatch"]  # one side empty
    assert str(NOLEVEL_O["id"]) not in ev.findings["support_level_mismatch"]
    assert str(NOLEVEL_O["id"]) in ev.findings["no_support_level"]  # blank counts as empty


def test_the_gitlab_staff_organization_is_flagged_as_an_ordinary_org_and_marked(ev):
    sid = str(STAFF_O["id"])
    assert {c for c, ids in ev.findings.items() if sid in ids} == {"no_salesforce_id", "no_support_level"}
    d = details(ev, "no_salesforce_id", sid, LINKS)
    assert d["staff_org"] is True and d["zendesk_url"] == f"https://acme.zendesk.com/agent/organizations/{sid}"
    assert "staff_org" not in details(ev, "org_name_mismatch", str(LOOKALIKE_O["id"]), LINKS)
    assert str(LOOKALIKE_O["id"]) not in set().union(*ev.findings.values())


@pytest.mark.parametrize("domain", list(INVALID_DOMAINS.values()), ids=list(INVALID_DOMAINS))
def test_invalid_domains(domain):
    assert not valid_host(domain)


@pytest.mark.parametrize("domain", VALID_DOMAINS)
def test_valid_domains(domain):
    assert valid_host(domain)


def test_details_name_ids_levels_and_links(ev):
    d = details(ev, "support_level_mismatch", str(MISLEVEL_O["id"]), LINKS)
    assert d["org_support_level"] == "premium" and d["linked_account"]["account_support_level"] == "Ultimate"
    assert d["linked_account"]["salesforce_url"] == f"https://acme.my.salesforce.com/{MISLEVEL_A['id']}"
    d = details(ev, "duplicate_salesforce_account", TRIO[0]["id"], LINKS)
    assert {g["account_id"] for g in d["group"]} == {a["id"] for a in TRIO} and d["normalized_name"] == "trio corp"
    d = details(ev, "invalid_org_domain", str(BAD_DOMAIN_ORGS[1]["id"]), LINKS)
    assert d["invalid_domains"] == [INVALID_DOMAINS["path"]] and "acme.com" in d["domain_names"]
    d = details(ev, "zendesk_org_id_mismatch", ZDID_A["id"], LINKS)
    assert d["account_zendesk_organization_id"] == "999" and d["linked_orgs"][0]["org_id"] == str(ZDID_O["id"])
    assert all(ENTITY_OF[c] in ("account", "organization") for c in CHECK_NAMES)
