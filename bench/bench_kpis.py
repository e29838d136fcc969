"""Benchmark of the CSAT KPI computation at size: time and peak memory, full and incremental.

    python bench/bench_kpis.py [TICKETS ...]      (default: 100000 1000000)

Synthesizes TICKETS solved tickets over two years (about 90% surveyed, about 25% of all
tickets answered, so ~250k responses at 1M) with their ratings, users, organizations and
forms straight into a SQLite warehouse (bulk sqlite3 inserts after the Alembic migrations).
Then, each in a fresh child process (its own wall time and peak RSS):

1. the first computation, `support_ops.kpis.compute.refresh` (read, compute, replace the
   tables and write the incremental bookkeeping in one transaction): a full one;
2. an hourly update touching 1% of the tickets, written as the extraction writes (new
   `extracted_at`): half new tickets solved in the last day, 45% tickets solved in the last
   14 days re-extracted (half of them with a changed rating), 5% tickets solved in the last
   90 days (solved again now, rating turned good, or deleted); then the incremental refresh;
3. a full recompute of the same data (`full=True`), whose tables must equal the incremental's.

Targets at 1M: full under 10 s and under 2 GB. Run by `make bench`, not by the tests.
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


def hourly_update(db: Path, n: int, seed: int = 7) -> dict:
    """Touch 1% of the tickets the way an hourly extraction does (see the module docstring)."""
    rng = random.Random(seed)
    at = stamp(START + SPAN + 3600)
    touched = max(1, n // 100)
    fresh, recent, older = touched // 2, touched * 45 // 100, touched - touched // 2 - touched * 45 // 100

    def solved_since(days: int, count: int) -> list[int]:
        first = int(n * (1 - days * 86_400 / SPAN)) + 1
        return rng.sample(range(first, n + 1), count)

    conn = sqlite3.connect(db)
    with conn:
        n_users = conn.execute("SELECT max(id) FROM zd_users").fetchone()[0]
        next_rating = conn.execute("SELECT max(id) FROM zd_satisfaction_ratings").fetchone()[0] + 1
        new_tickets, new_ratings = [], []
        for i in range(fresh):
            tid = n + 1 + i
            solved = START + SPAN - rng.randrange(86_400)
            score = rng.choice(["offered", "good", "good", "bad"])
            new_tickets.append((tid, 0, "support@gitlab.com", rng.randint(1, n_users), None, 500 + rng.randrange(5),
                                json.dumps(["csat_survey_sent"]), stamp(solved - 3600), at, stamp(solved), score, at))
            new_ratings.append((next_rating + i, tid, score, rng.choice(REASONS) if score == "bad" else None,
                                stamp(solved + 600), at, at))
        conn.executemany(
            "INSERT INTO zd_tickets (id, status, is_deleted, recipient, requester_id, organization_id, "
            "ticket_form_id, tags, created_at, updated_at, solved_at, satisfaction_score, raw, extracted_at) "
            "VALUES (?,'closed',?,?,?,?,?,?,?,?,?,?,'{}',?)", new_tickets)
        conn.executemany(
            "INSERT INTO zd_satisfaction_ratings (id, ticket_id, score, reason, created_at, updated_at, raw, "
            "extracted_at) VALUES (?,?,?,?,?,?,'{}',?)", new_ratings)
        ids = solved_since(14, recent)
        conn.executemany("UPDATE zd_tickets SET updated_at = ?, extracted_at = ? WHERE id = ?",
                         [(at, at, tid) for tid in ids])
        rescored = ids[: len(ids) // 2]
        conn.executemany("UPDATE zd_satisfaction_ratings SET score = ?, updated_at = ?, extracted_at = ? "
                         "WHERE ticket_id = ?", [(rng.choice(["good", "bad"]), at, at, tid) for tid in rescored])
        old = solved_since(90, older)
        third = len(old) // 3
        conn.executemany("UPDATE zd_tickets SET solved_at = ?, updated_at = ?, extracted_at = ? WHERE id = ?",
                         [(stamp(START + SPAN + 1800), at, at, tid) for tid in old[:third]])
        conn.executemany("UPDATE zd_satisfaction_ratings SET score = 'good', updated_at = ?, extracted_at = ? "
                         "WHERE ticket_id = ?", [(at, at, tid) for tid in old[third:2 * third]])
        conn.executemany("UPDATE zd_tickets SET is_deleted = 1, status = 'deleted', updated_at = ?, "
                         "extracted_at = ? WHERE id = ?", [(at, at, tid) for tid in old[2 * third:]])
    conn.close()
    return {"touched": touched, "new": fresh, "recent": recent, "older": older}


def digest(engine) -> str:
    """A hash of the three KPI tables, to compare the incremental and the full result."""
    import hashlib

    from sqlalchemy import select

    from support_ops.kpis.tables import csat_bad_reasons, csat_kpis, csat_unsurveyed

    h = hashlib.sha256()
    with engine.connect() as conn:
        for t in (csat_kpis, csat_unsurveyed, csat_bad_reasons):
            for row in conn.execute(select(t).order_by(*t.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def measure(db: Path, step: str) -> dict:
    """Run in a fresh process: one refresh (`first`, `incremental` or `full`), its time and peak RSS."""
    import datetime as dt

    import pandas  # noqa: F401 - imported before the clock starts: the same ~1 s for every step

    from support_ops.kpis.compute import refresh
    from support_ops.warehouse import get_engine

    engine = get_engine(f"sqlite:///{db}")
    end = dt.datetime.fromtimestamp(START + SPAN, dt.UTC)
    # The first computation runs a while after the extraction (beyond the look-back), the
    # incremental one 5 minutes after the hourly update.
    now = end + (dt.timedelta(minutes=15) if step == "first" else dt.timedelta(hours=1, minutes=5))
    started, cpu = time.perf_counter(), time.process_time()
    summary = refresh(engine, now=now, full=step == "full")
    seconds = time.perf_counter() - started
    out = {"seconds": round(seconds, 2), "cpu_seconds": round(time.process_time() - cpu, 2), "peak_rss_mb": round(peak_rss_mb(), 1), "mode": summary["mode"],
           "cohort": summary["tickets"], "tickets_read": summary["tickets_read"], "periods": summary["periods"],
           "rows": summary["rows"]}
    if step == "first":
        again = time.perf_counter()
        out["unchanged"] = refresh(engine, now=now + dt.timedelta(minutes=30))["periods"]
        out["rerun_seconds"] = round(time.perf_counter() - again, 2)
    else:
        out["digest"] = digest(engine)
    return out


def child(db: Path, step: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(db), "--step", step], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tickets", nargs="*", type=int, default=[100_000, 1_000_000])
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--step", default="first", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.step)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-kpis-") as tmp:
        for n in args.tickets:
            db = Path(tmp) / f"warehouse-{n}.db"
            t0 = time.perf_counter()
            made = synthesize(db, n)
            built = time.perf_counter() - t0
            res = {**made, "synthesis_seconds": round(built, 1), **child(db, "first")}
            print(f"{n:>9,} tickets ({made['responses']:,} responses, {made['ratings']:,} ratings): "
                  f"first (full) refresh {res['seconds']:.2f} s (CPU {res['cpu_seconds']:.2f} s), peak RSS {res['peak_rss_mb']:,.0f} MB; "
                  f"rerun with nothing changed {res['rerun_seconds']:.2f} s ({res['unchanged']} periods)  "
                  f"[synthesis {built:.1f} s]", flush=True)
            update = hourly_update(db, n)
            inc, full = child(db, "incremental"), child(db, "full")
            res.update(update=update, incremental=inc, full=full)
            results.append(res)
            print(f"{'':>9}  hourly update touching {update['touched']:,} tickets (1%): "
                  f"incremental {inc['seconds']:.2f} s (CPU {inc['cpu_seconds']:.2f} s), peak RSS "
                  f"{inc['peak_rss_mb']:,.0f} MB ({inc['periods']} periods, {inc['tickets_read']:,} tickets read) vs "
                  f"full {full['seconds']:.2f} s (CPU {full['cpu_seconds']:.2f} s), peak RSS "
                  f"{full['peak_rss_mb']:,.0f} MB ({full['periods']} periods): "
                  f"x{full['seconds'] / max(inc['seconds'], 1e-9):.1f} faster "
                  f"(CPU x{full['cpu_seconds'] / max(inc['cpu_seconds'], 1e-9):.1f}), "
                  f"x{full['peak_rss_mb'] / inc['peak_rss_mb']:.1f} less memory; tables "
                  f"{'identical' if inc['digest'] == full['digest'] else 'DIFFERENT'}", flush=True)
            db.unlink()
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"growth {a['tickets']:,} -> {b['tickets']:,} tickets (x{b['tickets'] / a['tickets']:.0f}): "
              f"time x{b['seconds'] / max(a['seconds'], 1e-9):.1f}, peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}")
    big = max(results, key=lambda r: r["tickets"])
    same = all(r["incremental"]["digest"] == r["full"]["digest"] and r["incremental"]["mode"] == "incremental"
               for r in results)
    ok = big["seconds"] < TARGET_SECONDS and big["peak_rss_mb"] < TARGET_RSS_MB and same
    print(f"targets at {big['tickets']:,}: full < {TARGET_SECONDS:.0f} s and < {TARGET_RSS_MB / 1024:.0f} GB, "
          f"incremental tables == full tables -> {'met' if ok else 'NOT met'} "
          f"({big['seconds']:.2f} s, {big['peak_rss_mb']:,.0f} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
