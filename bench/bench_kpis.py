"""Benchmark of the CSAT KPI computation at size: time and peak memory at 100k and 1M tickets.

    python bench/bench_kpis.py [TICKETS ...]      (default: 100000 1000000)

Synthesizes TICKETS solved tickets over two years (about 90% surveyed, about 25% of all
tickets answered, so ~250k responses at 1M) with their ratings, users, organizations and
forms straight into a SQLite warehouse (bulk sqlite3 inserts after the Alembic migrations),
then runs `support_ops.kpis.compute.refresh` (read, compute, replace the tables in one
transaction) in a fresh child process and reports its wall time and peak RSS. Targets at 1M:
under 10 s and under 2 GB. Run by `make bench`, not by the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rss import peak_rss_mb  # bench/ is on sys.path when run as a script

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 2048.0
START = 1_735_689_600  # 2025-01-01 UTC
SPAN = 2 * 365 * 86_400
FORMS = ["SaaS", "Self-Managed", "SaaS Account", "L&R", "Other"]
LEVELS = ["ultimate", "premium", "starter", "basic", "gold", "silver", "bronze", None]
REASONS = ["GitLab doesn't meet my needs", "The answer wasn't delivered in a timely manner",
           "My issue was not resolved", "The answer wasn't helpful", "Some other reason", None]


def stamp(epoch: int) -> str:
    """SQLAlchemy's SQLite DATETIME storage format."""
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch))


def synthesize(db: Path, n: int, seed: int = 5) -> dict:
    """Fill a migrated SQLite warehouse with `n` solved tickets and their ratings."""
    from support_ops.warehouse import get_engine, upgrade

    engine = get_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    rng = random.Random(seed)
    n_orgs, n_users = max(50, n // 500), max(200, n // 10)
    now = stamp(START + SPAN)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany(
            "INSERT INTO zd_ticket_forms (id, name, active, raw, extracted_at) VALUES (?,?,1,'{}',?)",
            [(500 + i, name, now) for i, name in enumerate(FORMS)])
        conn.executemany(
            "INSERT INTO zd_organizations (id, name, domain_names, tags, support_level, raw, extracted_at) "
            "VALUES (?,?,'[]','[]',?,'{}',?)",
            [(i, "GitLab" if i == 1 else f"Org {i}", rng.choice(LEVELS), now) for i in range(1, n_orgs + 1)])
        conn.executemany(
            "INSERT INTO zd_users (id, organization_id, raw, extracted_at) VALUES (?,?,'{}',?)",
            [(i, rng.randint(1, n_orgs) if rng.random() < 0.9 else None, now) for i in range(1, n_users + 1)])
    tickets, ratings, responses = [], [], 0
    rid = 0

    def flush() -> None:
        with conn:
            conn.executemany(
                "INSERT INTO zd_tickets (id, status, is_deleted, recipient, requester_id, organization_id, "
                "ticket_form_id, tags, created_at, updated_at, solved_at, satisfaction_score, raw, extracted_at) "
                "VALUES (?,'closed',?,?,?,?,?,?,?,?,?,?,'{}',?)", tickets)
            conn.executemany(
                "INSERT INTO zd_satisfaction_ratings (id, ticket_id, score, reason, created_at, updated_at, raw, "
                "extracted_at) VALUES (?,?,?,?,?,?,'{}',?)", ratings)
        tickets.clear()
        ratings.clear()

    for tid in range(1, n + 1):
        solved = START + int(SPAN * (tid - 1 + rng.random()) / n)
        r = rng.random()
        tags = ["premium"]
        score = None
        if r < 0.02:
            tags.append("close_by_merge")
        elif r < 0.92:
            tags.append("csat_survey_sent")
            score = "offered"
            if rng.random() < 0.275:
                score = "bad" if rng.random() < 0.08 else "good"
                responses += 1
            rid += 1
            reason = rng.choice(REASONS) if score == "bad" else None
            ratings.append((rid, tid, score, reason, stamp(solved + 86_400), stamp(solved + 90_000), now))
        recipient = "mail-list@gitlab.com" if 0.02 <= r < 0.03 else "support@gitlab.com"
        tickets.append((tid, 1 if rng.random() < 0.01 else 0, recipient, rng.randint(1, n_users), None,
                        500 + rng.randrange(len(FORMS)), json.dumps(tags), stamp(solved - 3600), stamp(solved),
                        stamp(solved), score, now))
        if len(tickets) >= 50_000:
            flush()
    flush()
    conn.close()
    return {"tickets": n, "ratings": rid, "responses": responses, "users": n_users, "organizations": n_orgs}


def measure(db: Path) -> dict:
    """Run in a fresh process: one full refresh, its time and this process's peak RSS."""
    from support_ops.kpis.compute import refresh
    from support_ops.warehouse import get_engine

    engine = get_engine(f"sqlite:///{db}")
    started = time.perf_counter()
    summary = refresh(engine)
    seconds = time.perf_counter() - started
    again = time.perf_counter()
    refresh(engine)
    return {"seconds": round(seconds, 2), "rerun_seconds": round(time.perf_counter() - again, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1), "cohort": summary["tickets"], "periods": summary["periods"],
            "rows": summary["rows"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tickets", nargs="*", type=int, default=[100_000, 1_000_000])
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-kpis-") as tmp:
        for n in args.tickets:
            db = Path(tmp) / f"warehouse-{n}.db"
            t0 = time.perf_counter()
            made = synthesize(db, n)
            built = time.perf_counter() - t0
            out = subprocess.run([sys.executable, __file__, "--measure", str(db)], capture_output=True, text=True,
                                 check=True)
            res = {**made, "synthesis_seconds": round(built, 1), **json.loads(out.stdout.strip().splitlines()[-1])}
            results.append(res)
            print(f"{n:>9,} tickets ({made['responses']:,} responses, {made['ratings']:,} ratings): "
                  f"refresh {res['seconds']:.2f} s (rerun {res['rerun_seconds']:.2f} s), "
                  f"peak RSS {res['peak_rss_mb']:,.0f} MB  [synthesis {built:.1f} s]", flush=True)
            db.unlink()
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"growth {a['tickets']:,} -> {b['tickets']:,} tickets (x{b['tickets'] / a['tickets']:.0f}): "
              f"time x{b['seconds'] / max(a['seconds'], 1e-9):.1f}, peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}")
    big = max(results, key=lambda r: r["tickets"])
    ok = big["seconds"] < TARGET_SECONDS and big["peak_rss_mb"] < TARGET_RSS_MB
    print(f"targets at {big['tickets']:,}: < {TARGET_SECONDS:.0f} s and < {TARGET_RSS_MB / 1024:.0f} GB -> "
          f"{'met' if ok else 'NOT met'} ({big['seconds']:.2f} s, {big['peak_rss_mb']:,.0f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
