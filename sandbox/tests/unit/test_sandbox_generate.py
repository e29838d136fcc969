"""The generated organization: deterministic, sized by scale, with an exact defect manifest
and CSAT figures near the seed's numbers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.core.collections import (
    MANIFEST_KEY,
    SF_ACCOUNT,
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.core.store import Store
from sandbox.generate import generate

NOW = "2026-11-20T12:00:00Z"
NOW_TS = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp())
FIVE_REASONS = {
    "GitLab doesn't meet my needs", "The answer wasn't delivered in a timely manner",
    "My issue was not resolved", "The answer wasn't helpful", "Some other reason",
}
SF_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")
ZD_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _store(tmp: Path, seed: int, scale: float) -> tuple[Store, dict]:
    store = Store(tmp / f"s{seed}_{scale}.db")
    return store, generate(store, seed=seed, scale=scale, now=NOW)


def _rows(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT collection, key, seq, ts, doc FROM docs "
                              "ORDER BY collection, key").fetchall()


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> tuple[Store, dict]:
    """The `make demo` organization (scale 1)."""
    return _store(tmp_path_factory.mktemp("gen"), 11, 1.0)


# -- determinism and size ----------------------------------------------------------
def test_same_seed_same_store_and_different_seed_differs(tmp_path):
    a, ma = _store(tmp_path / "a", 5, 0.05)
    b, mb = _store(tmp_path / "b", 5, 0.05)
    c, _ = _store(tmp_path / "c", 6, 0.05)
    assert _rows(a) == _rows(b)
    assert ma == mb == a.get_meta(MANIFEST_KEY)
    assert _rows(a) != _rows(c)


def test_counts_scale_linearly(tmp_path, org):
    small, _ = _store(tmp_path, 5, 0.5)
    big, manifest = org
    assert big.count(ZD_TICKETS) == 6000 and small.count(ZD_TICKETS) == 3000
    assert big.count(ZD_TICKET_METRICS) == 6000
    assert big.count(ZD_USERS) == 3000 and small.count(ZD_USERS) == 1500
    assert 950 <= big.count(SF_ACCOUNT) <= 1100 and 450 <= small.count(SF_ACCOUNT) <= 560
    assert 650 <= big.count(ZD_ORGANIZATIONS) <= 800
    assert manifest["counts"][ZD_TICKETS] == 6000
    created = [t["created_at"] for t in big.all(ZD_TICKETS)]
    assert min(created) >= "2026-05-20" and max(created) <= NOW  # ~6 months before now


# -- shapes ------------------------------------------------------------------------
def _checksum(id15: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    out = ""
    for i in range(0, 15, 5):
        out += alphabet[sum(1 << j for j, ch in enumerate(id15[i:i + 5]) if ch.isupper())]
    return out


def test_salesforce_accounts_shape(org):
    store, _ = org
    accounts = list(store.all(SF_ACCOUNT))
    types = {a["Type"] for a in accounts}
    assert types == {"Customer", "Former Customer", "Prospect", "Partner"}
    assert sum(a["Type"] == "Customer" for a in accounts) > len(accounts) / 2
    assert any(a["IsDeleted"] for a in accounts)
    for a in accounts:
        assert "attributes" not in a and set(a["Owner"]) == {"Name"}
        assert len(a["Id"]) == 18 and a["Id"][15:] == _checksum(a["Id"][:15])
        assert SF_TIME.match(a["SystemModstamp"]) and SF_TIME.match(a["CreatedDate"])
        assert a["GitLab_Deployment__c"] in (None, "GitLab.com", "Self-Managed",
                                             "GitLab.com;Self-Managed")
    row = store.conn.execute("SELECT ts, doc FROM docs WHERE collection=? LIMIT 1",
                             (SF_ACCOUNT,)).fetchone()
    stamp = json.loads(row[1])["SystemModstamp"]
    assert row[0] == int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.000%z").timestamp())
    customers = [a for a in accounts if a["Type"] == "Customer"]
    assert {a["Support_Level__c"] for a in customers} >= {"Ultimate", "Premium", "Starter"}
    by_org = {o["id"]: o for o in store.all(ZD_ORGANIZATIONS)}
    linked = [a for a in customers if a["Zendesk_Organization_ID__c"]]
    assert len(linked) > 0.8 * len(customers)
    for a in linked:
        assert by_org[int(a["Zendesk_Organization_ID__c"])]["name"] == a["Zendesk_Organization_Name__c"]


# -- the manifest against an independent reading of docs/integrity-rules.md -----------
def _norm(name):
    return " ".join((name or "").casefold().split())


def _valid_domain(d: str) -> bool:
    labels = d.split(".")
    return (len(labels) >= 2 and labels[-1].isascii() and labels[-1].isalpha()
            and all(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", x) for x in labels))


def _recompute(store: Store, link_scope_only: bool) -> dict[str, list]:
    accounts = list(store.all(SF_ACCOUNT))
    in_scope = [a for a in accounts if a["Type"] == "Customer" and not a["IsDeleted"]]
    linkable = {a["Id"][:15]: a for a in (in_scope if link_scope_only else accounts)}
    orgs = [o for o in store.all(ZD_ORGANIZATIONS) if not o["deleted_at"]]
    out = defaultdict(set)
    linked_ids = set()
    for o in orgs:
        f = o["organization_fields"]
        if not f.get("support_level"):
            out["no_support_level"].add(o["id"])
        if not f.get("salesforce_id"):
            out["no_salesforce_id"].add(o["id"])
        if any(not _valid_domain(d) for d in o["domain_names"]):
            out["invalid_org_domain"].add(o["id"])
        acc = linkable.get((f.get("salesforce_id") or "")[:15]) if f.get("salesforce_id") else None
        if acc:
            linked_ids.add(acc["Id"])
            if f.get("support_level") and acc["Support_Level__c"] and \
                    f["support_level"].lower() != acc["Support_Level__c"].lower():
                out["support_level_mismatch"].add(o["id"])
            if _norm(o["name"]) != _norm(acc["Name"]):
                out["org_name_mismatch"].add(o["id"])
    names = defaultdict(list)
    for a in in_scope:
        names[_norm(a["Name"])].append(a["Id"])
        deployment = (a["GitLab_Deployment__c"] or "").split(";")
        if a["Id"] not in linked_ids:
            if "GitLab.com" in deployment:
                out["missing_zendesk_org_dotcom"].add(a["Id"])
            if "Self-Managed" in deployment:
                out["missing_zendesk_org_selfmanaged"].add(a["Id"])
    for ids in names.values():
        if len(ids) > 1:
            out["duplicate_salesforce_account"].update(ids)
    return {k: sorted(v) for k, v in out.items()}


@pytest.mark.parametrize("scale", [0.05, 1.0])
def test_manifest_equals_recomputed_rules(tmp_path, org, scale):
    store, manifest = org if scale == 1.0 else _store(tmp_path, 9, scale)
    defects = manifest["defects"]
    assert len(defects) == 8 and all(defects.values()), defects
    # the same under either reading of "linked" (any account, or in-scope accounts only)
    assert _recompute(store, link_scope_only=False) == defects
    assert _recompute(store, link_scope_only=True) == defects


def test_planted_edge_cases_are_not_defects(org):
    store, manifest = org
    d, notes = manifest["defects"], manifest["notes"]
    org_flags = set().union(*(d[k] for k in ("no_support_level", "support_level_mismatch",
                                             "no_salesforce_id", "org_name_mismatch",
                                             "invalid_org_domain")))
    orgs = {o["id"]: o for o in store.all(ZD_ORGANIZATIONS)}
    short = notes["short_salesforce_id_orgs"]
    assert short and all(len(orgs[i]["organization_fields"]["salesforce_id"]) == 15 for i in short)
    assert any(i not in org_flags for i in short)  # a clean, still-linked 15-character id
    assert not set(notes["deleted_orgs"]) & org_flags
    assert not set(notes["case_only_name_orgs"]) & set(d["org_name_mismatch"])
    staff = notes["staff_org"][0]
    assert orgs[staff]["name"] == "GitLab"
    assert staff in d["no_salesforce_id"] and staff in d["no_support_level"]
    lookalikes = [o["id"] for o in orgs.values() if o["name"] in ("GitLab Inc.", "GitLab BV", "GitLab Ltd")]
    assert len(lookalikes) == 3 and not set(lookalikes) & org_flags
    assert not set(notes["name_twins_not_duplicates"]) & set(d["duplicate_salesforce_account"])
    dups = {a["Name"] for a in store.get_many(SF_ACCOUNT, d["duplicate_salesforce_account"])}
    assert {"Müller Straße GmbH", "MÜLLER STRASSE GMBH"} <= dups
    bad = [x for i in d["invalid_org_domain"] for x in orgs[i]["domain_names"]]
    for needle in ("https://", "/", " ", "_", "&", "-.", ".123"):
        assert any(needle in x for x in bad), needle
    new_starter = [i for i in d["support_level_mismatch"]
                   if orgs[i]["organization_fields"]["support_level"] == "starter"]
    assert new_starter


# -- tickets, CSAT, SLA -----------------------------------------------------------------
def test_csat_figures_near_the_seed(org):
    store, manifest = org
    metrics = {m["ticket_id"]: m for m in store.all(ZD_TICKET_METRICS)}
    solved = surveyed = responded = good = 0
    for t in store.all(ZD_TICKETS):
        if t["status"] == "deleted" or not metrics[t["id"]]["solved_at"]:
            continue
        solved += 1
        score = (t["satisfaction_rating"] or {}).get("score")
        if {"csat_survey_sent", "csat-survey-sent"} & set(t["tags"]) or score in ("offered", "good", "bad"):
            surveyed += 1
            responded += score in ("good", "bad")
            good += score == "good"
    assert 0.85 <= surveyed / solved <= 0.95
    assert 0.20 <= responded / surveyed <= 0.28
    assert 0.88 <= good / responded <= 0.96
    csat = manifest["csat"]
    assert (csat["solved"], csat["surveyed"], csat["responded"], csat["good"]) == \
        (solved, surveyed, responded, good)
    assert set(csat["unsurveyed"]) == {"merged", "mail_list", "gitlab_team", "other"}


def test_ticket_kinds_and_ratings(org):
    store, manifest = org
    tickets = {t["id"]: t for t in store.all(ZD_TICKETS)}
    kinds = manifest["tickets"]
    merged = [tickets[i] for i in kinds["merged_ticket_ids"]]
    assert merged and all("close_by_merge" in t["tags"] for t in merged)
    assert any({"csat_survey_sent", "csat-survey-sent"} & set(t["tags"]) for t in merged)
    mail = [tickets[i] for i in kinds["mail_list_ticket_ids"]]
    assert mail and all(t["recipient"] == "mail-list@gitlab.com" and t["status"] == "closed"
                        for t in mail)
    assert kinds["gitlab_team_ticket_ids"] and kinds["deleted_ticket_ids"]
    assert all(tickets[i]["status"] == "deleted" for i in kinds["deleted_ticket_ids"])
    assert any("csat-survey-sent" in t["tags"] for t in tickets.values())
    assert {t["status"] for t in tickets.values()} >= {"new", "open", "pending", "solved", "closed"}
    assert {t["via"]["channel"] for t in tickets.values()} == {"web", "email", "api"}
    assert all(ZD_TIME.match(t["updated_at"]) for t in tickets.values())
    ratings = list(store.all(ZD_SATISFACTION_RATINGS))
    assert {r["score"] for r in ratings} >= {"offered", "good", "bad"}
    bad = [r for r in ratings if r["score"] == "bad"]
    assert all(r["reason"] in FIVE_REASONS or r["reason"] is None for r in bad)
    assert any(r["reason"] is None for r in bad) and len({r["reason"] for r in bad}) >= 4
    changed = [r for r in ratings if r["score"] == "good" and r["updated_at"] > r["created_at"]]
    assert changed and sorted(r["id"] for r in changed) == sorted(manifest["csat"]["bad_to_good_rating_ids"])
    for r in changed + bad[:5]:
        assert tickets[r["ticket_id"]]["satisfaction_rating"]["score"] == r["score"]


def test_near_breach_sla_events(org):
    store, manifest = org
    near = manifest["tickets"]["near_breach_ticket_ids"]
    assert len(near) >= 3
    events = defaultdict(list)
    for e in store.all(ZD_TICKET_METRIC_EVENTS):
        if e["ticket_id"] in near:
            events[e["ticket_id"]].append(e)
    for tid in near:
        ticket = store.get(ZD_TICKETS, tid)
        assert ticket["status"] in ("new", "open") and ticket["priority"] in ("high", "urgent")
        assert {"premium", "ultimate"} & set(ticket["tags"])
        types = {e["type"]: e for e in events[tid]}
        assert "fulfill" not in types and "breach" not in types
        sla = types["apply_sla"]["sla"]
        assert set(sla) >= {"target", "business_hours", "policy"} and set(sla["policy"]) >= {"id", "title"}
        start = int(datetime.fromisoformat(types["activate"]["time"]).timestamp())
        assert NOW_TS < start + sla["target"] * 60 <= NOW_TS + 2 * 3600
    assert any(e["type"] == "breach" for e in store.page_by_ts(ZD_TICKET_METRIC_EVENTS, None, 5000)
               for e in [e[2]])
