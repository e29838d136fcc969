"""Benchmark of the CRM integrity checks at size: 100k accounts x 100k organizations.

    python bench/bench_integrity.py [N] [--keep]      (default N = 100000)

Synthesizes N Customer accounts and N Zendesk organizations with planted defects of every
check into a temporary SQLite warehouse, then runs the whole check (load, reference rules,
frame, Great Expectations checkpoint with Data Docs, findings, summary page) and prints wall
time per phase, peak RSS (target: under 60 s), and the API calls extraction spends on that
data in pages (Salesforce query pages of 2,000 + Zendesk organization pages of 1,000) next to
per-record look-ups (N + N calls). Run by `make bench`, not by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

SF_PAGE, ZD_PAGE = 2000, 1000
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
LEVELS = ["Ultimate", "Premium", "Starter", "Basic"]
DEPLOY = ["GitLab.com", "Self-Managed", "GitLab.com;Self-Managed"]
BAD_DOMAINS = ["https://{s}.com", "{s}.com/support", "{s} corp.com", "{s}_corp.com", "{s}&co.com",
               "{s}-.com", "{s}.123"]


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def sf_id(n: int) -> str:
    return f"0018X{n:010d}AAA"


def synthesize(n: int, seed: int = 1) -> tuple[list[dict], list[dict]]:
    """N accounts and N organizations; ~1-2 % of records carry each kind of defect."""
    rng = random.Random(seed)
    accounts, orgs = [], []
    for i in range(n):
        name = f"Company {i:06d} Ltd"
        level = rng.choice(LEVELS)
        aid = sf_id(i)
        oid = 1_000_000 + i
        roll = rng.random()
        acc = {"id": aid, "id15": aid[:15], "name": name, "type": "Customer", "is_deleted": False,
               "support_level": level, "deployment": rng.choice(DEPLOY),
               "zendesk_organization_id": str(oid), "zendesk_organization_name": name,
               "raw": {}, "extracted_at": NOW}
        org = {"id": oid, "name": name, "domain_names": [f"company{i}.com"], "tags": [],
               "salesforce_id": aid if rng.random() < 0.5 else aid[:15], "support_level": level.lower(),
               "deleted_at": None, "raw": {}, "extracted_at": NOW}
        if roll < 0.015:  # account without organization: the org is someone else's, unlinked
            org["salesforce_id"] = None
            acc["zendesk_organization_id"] = acc["zendesk_organization_name"] = None
        elif roll < 0.03:
            org["support_level"] = None
        elif roll < 0.045:
            org["support_level"] = rng.choice([lv for lv in LEVELS if lv != level]).lower()
        elif roll < 0.06:
            org["name"] = name + " - EMEA"
            acc["zendesk_organization_name"] = org["name"]
        elif roll < 0.075:
            org["domain_names"].append(rng.choice(BAD_DOMAINS).format(s=f"company{i}"))
        elif roll < 0.085:
            acc["zendesk_organization_id"] = str(oid + 1)
        elif roll < 0.095:
            acc["name"] = f"Company {i - 1:06d} LTD"  # duplicate of the previous account's name
            org["name"] = acc["zendesk_organization_name"] = acc["name"]
        elif roll < 0.10:
            org["deleted_at"] = NOW
        elif roll < 0.105:
            acc["zendesk_organization_name"] = "Old " + name
        elif roll < 0.115:
            acc["type"] = "Former Customer"
        accounts.append(acc)
        orgs.append(org)
    return accounts, orgs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", nargs="?", type=int, default=100_000)
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-integrity-"))
    os.environ["SUPPORT_OPS_DATA_DIR"] = str(folder)
    url = f"sqlite:///{folder / 'warehouse.db'}"
    os.environ["AIRFLOW_CONN_SUPPORT_WAREHOUSE"] = url

    from support_ops.extract.tables import sf_accounts, zd_organizations
    from support_ops.integrity import run_checks
    from support_ops.warehouse import get_engine, upgrade
    from support_ops.warehouse.upsert import upsert

    engine = get_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    accounts, orgs = synthesize(args.n)
    with engine.begin() as conn:
        upsert(conn, sf_accounts, accounts)
        upsert(conn, zd_organizations, orgs)
    del accounts, orgs
    t_load = time.perf_counter() - t0

    t1 = time.perf_counter()
    import great_expectations  # noqa: F401 - timed on its own: a fixed cost of every run

    t_import = time.perf_counter() - t1
    t2 = time.perf_counter()
    summary = run_checks(engine, NOW.date())
    t_check = time.perf_counter() - t2
    t3 = time.perf_counter()
    run_checks(engine, NOW.date() + dt.timedelta(days=1), use_gx=False)
    t_reference = time.perf_counter() - t3

    n = args.n
    paged = math.ceil(n / SF_PAGE) + math.ceil(n / ZD_PAGE)
    per_record = n + n
    print(f"CRM integrity benchmark: {n:,} accounts x {n:,} organizations (SQLite, {folder})")
    print(f"  synthesize + write warehouse      {t_load:8.1f} s")
    print(f"  import great_expectations         {t_import:8.1f} s")
    print(f"  checks + GX + Data Docs + report  {t_check:8.1f} s   (target < 60 s)")
    print(f"  reference-only rerun              {t_reference:8.1f} s")
    print(f"  peak RSS                          {peak_rss_mb():8.0f} MB")
    print(f"  in scope: {summary['accounts']:,} accounts, {summary['organizations']:,} organizations; "
          f"findings: {sum(summary['counts'].values()):,}")
    for check, count in summary["counts"].items():
        print(f"    {check:<34} {count:>7,}")
    disagreement = summary["reports"].get("disagreement")
    print(f"  GX and reference agree: {'NO ' + str(disagreement) if disagreement else 'yes'}")
    print(f"  Data Docs: {summary['reports']['data_docs']}")
    print(f"  extraction API calls, paged: {math.ceil(n / SF_PAGE):,} Salesforce query pages + "
          f"{math.ceil(n / ZD_PAGE):,} Zendesk organization pages = {paged:,}")
    print(f"  per-record look-ups: {n:,} + {n:,} = {per_record:,} calls; ratio {per_record / paged:,.0f}x fewer calls paged")
    ok = t_check < 60 and not disagreement
    if not args.keep:
        import shutil

        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
