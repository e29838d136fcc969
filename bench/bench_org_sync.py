"""Benchmark of the organization sync: 10,000 changed organizations under the sandbox's real
rate limits (Zendesk: 700 requests a minute, 30 queued jobs).

    python bench/bench_org_sync.py [N] [--sample K]     (default N = 10000, K = 300)

Plants N Customer accounts whose organizations all drift (the `starter` plan on Premium and
Ultimate customers, seats and ARR off), loads them into a temporary SQLite warehouse, and runs
the sync's plan, apply (update_many, 100 a call, every job polled) and verify (show_many, 100 a
call) against the sandbox with the real client session. Prints API calls by endpoint, wall time
per phase and peak RSS, side by side with per-organization PUT updates (K of them measured, the
10,000 extrapolated under the same rate limit) and with the seed's manual sync (about 2 hours).
Run by `make bench`, not by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "include"), str(ROOT)]

from bench.rss import peak_rss_mb  # noqa: E402

LEVELS = ["Ultimate", "Premium"]
MANUAL_SYNC_S = 2 * 3600  # the seed: "about two hours", two or three times a week
ORG_BASE = 360_000_000_000


def sf_id(i: int) -> str:
    from support_ops.clients.salesforce_ids import to18

    return to18(f"001Ab{i:010d}")


def populate(store, n: int) -> None:
    """N accounts and their organizations; every organization is behind Salesforce."""
    from sandbox.core.collections import SF_ACCOUNT, ZD_ORGANIZATIONS

    stamp = "2026-11-01T00:00:00.000+0000"
    accounts, orgs = [], []
    for i in range(n):
        oid, aid, name = ORG_BASE + i, sf_id(i), f"Company {i:06d} Ltd"
        level = LEVELS[i % 2]
        seats = 10 + i % 500
        accounts.append((aid, {
            "Id": aid, "Name": name, "Type": "Customer", "IsDeleted": False, "Owner": {"Name": "Jane Doe"},
            "Website": f"https://www.company{i}.com", "CreatedDate": stamp, "LastModifiedDate": stamp,
            "SystemModstamp": stamp, "Support_Level__c": level, "CARR_This_Account__c": seats * 290.5,
            "Number_of_Licenses_This_Account__c": seats, "Market_Segment__c": "SMB",
            "Sales_Segmentation__c": "Commercial", "Technical_Account_Manager_Name__c": None,
            "Zendesk_Organization_ID__c": str(oid), "Zendesk_Organization_Name__c": name,
            "GitLab_Deployment__c": "GitLab.com"}, 0, i + 1))
        orgs.append((oid, {
            "url": f"https://sandbox.zendesk.com/api/v2/organizations/{oid}.json", "id": oid, "name": name,
            "shared_tickets": False, "shared_comments": False, "external_id": None,
            "created_at": "2026-10-01T00:00:00Z", "updated_at": "2026-10-01T00:00:00Z", "deleted_at": None,
            "domain_names": [f"company{i}.com"], "details": None, "notes": None, "group_id": None, "tags": [],
            "organization_fields": {"salesforce_id": aid[:15], "support_level": "starter", "aar": seats * 250.0,
                                    "account_owner": "Jane Doe", "number_of_seats": seats - 5,
                                    "market_segment": "SMB", "sales_segmentation": "Commercial",
                                    "technical_account_manager": None, "account_type": "customer"}},
            1_790_000_000, oid))
    store.put_many(SF_ACCOUNT, accounts)
    store.put_many(ZD_ORGANIZATIONS, orgs)


def load_warehouse(engine, sb_store) -> None:
    """The warehouse as the refresh leaves it (extraction has its own benchmark)."""
    from sandbox.core.collections import SF_ACCOUNT, ZD_ORGANIZATIONS
    from support_ops.extract.records import account_row, organization_row
    from support_ops.extract.tables import sf_accounts, zd_organizations
    from support_ops.warehouse.upsert import upsert

    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        upsert(conn, sf_accounts, [{**account_row(a), "extracted_at": now} for a in sb_store.all(SF_ACCOUNT)])
        upsert(conn, zd_organizations, [{**organization_row(o), "extracted_at": now}
                                        for o in sb_store.all(ZD_ORGANIZATIONS)])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=300, help="per-organization PUTs actually sent")
    args = ap.parse_args()
    import logging

    logging.getLogger("support_ops").setLevel(logging.WARNING)  # one line per write would drown the figures

    import requests

    from sandbox.core.clientenv import client_env
    from sandbox.core.config import SERVICES, SandboxConfig
    from sandbox.core.server import Sandbox, free_port
    from sandbox.core.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-org-sync-"))
    # the sandbox's own default realism: Zendesk 700 requests a minute, incremental exports 10
    cfg = SandboxConfig(data_dir=tmp / "sandbox", ports={s: free_port() for s in SERVICES}, seed=1)
    populate(Store(cfg.db_path), args.n)
    sb = Sandbox(cfg).start_in_thread()
    try:
        os.environ.update(client_env(cfg))
        os.environ["SUPPORT_OPS_DATA_DIR"] = str(tmp / "data")
        os.environ["AIRFLOW_CONN_SUPPORT_WAREHOUSE"] = f"sqlite:///{tmp / 'warehouse.db'}"
        from support_ops.org_sync import apply_run, plan_run, verify_run
        from support_ops.org_sync.target import SyncZendeskOrganizations, install
        from support_ops.warehouse import get_engine, upgrade

        engine = get_engine()
        upgrade(engine)
        load_warehouse(engine, sb.store)
        zd = cfg.base_url("zendesk")
        requests.post(zd + "/_sandbox/stats/reset", timeout=10)
        target = install(SyncZendeskOrganizations())
        t0 = time.perf_counter()
        planned = plan_run(engine, max_changes=args.n)
        t1 = time.perf_counter()
        applied = apply_run(engine, planned["run_id"])
        t2 = time.perf_counter()
        verified = verify_run(engine, planned["run_id"], target=target)
        t3 = time.perf_counter()
        stats = requests.get(zd + "/_sandbox/stats", timeout=10).json()
        rss = peak_rss_mb()

        # Per-organization PUTs: K sent for real, under the same limit, then extrapolated.
        requests.post(zd + "/_sandbox/stats/reset", timeout=10)
        session, api = target.session()
        ids = [ORG_BASE + i for i in range(min(args.sample, args.n))]
        p0 = time.perf_counter()
        for oid in ids:
            session.put(f"{api}/organizations/{oid}.json",
                        json={"organization": {"organization_fields": {"market_segment": "SMB"}}})
        per_put = (time.perf_counter() - p0) / len(ids)
        limit = cfg.realism["zendesk"].rate_limit
        put_total = max(args.n * per_put, args.n / limit * 60)

        sync_s = t3 - t0
        print(f"organization sync, {args.n:,} changed organizations (Zendesk limit {limit}/min, 30 queued jobs)")
        print(f"  planned {planned['counts']['changed_organizations']:,} organizations, "
              f"{planned['counts']['field_changes']:,} field changes; applied "
              f"{applied['organizations']['applied']:,}, failed {applied['organizations']['failed']}; "
              f"verified {verified['verified']:,}, mismatches {verified['mismatches']}")
        from collections import Counter

        from support_ops.org_sync.http import endpoint

        by_endpoint: Counter = Counter()
        for name, n in stats["calls"].items():
            method, path = name.split(" ", 1)
            by_endpoint[endpoint(method, "/api/v2" + path.removeprefix("/api/v2"))] += n
        print("  API calls by endpoint:")
        for name, n in by_endpoint.most_common():
            print(f"    {name:<48} {n:>7,}")
        print(f"    {'total':<48} {stats['total_calls']:>7,}   (429 answered: {stats['total_429']})")
        print(f"  wall time: plan {t1 - t0:.1f} s, apply {t2 - t1:.1f} s, verify {t3 - t2:.1f} s, "
              f"total {sync_s:.1f} s")
        print(f"  peak RSS: {rss:.0f} MB")
        print(f"per-organization PUT: {len(ids)} sent, {per_put * 1000:.1f} ms each; {args.n:,} calls would take "
              f"{put_total / 60:.1f} min (at least {args.n / limit:.1f} min under {limit}/min)")
        print(f"seed's manual bulk sync: about {MANUAL_SYNC_S / 3600:.0f} h")
        print(f"ratios: {args.n:,} PUT calls / {stats['total_calls']:,} sync calls = "
              f"{args.n / max(1, stats['total_calls']):.0f}x fewer calls; time vs PUTs {put_total / sync_s:.1f}x, "
              f"vs manual {MANUAL_SYNC_S / sync_s:.0f}x faster")
        return 0
    finally:
        sb.stop()


if __name__ == "__main__":
    sys.exit(main())
