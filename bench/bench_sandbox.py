"""Benchmark of the sandbox at size: generation speed and memory, then incremental paging.

    python bench/bench_sandbox.py [TICKETS] [--no-http]      (default 100000; 1000000 for 1M)

Generates TICKETS tickets (scale = TICKETS / 6000) into a temporary store, prints the
generation time, tickets per second and peak RSS, then times 1000-ticket incremental pages
at the END of the range (store.page_by_ts directly, and, unless --no-http, with metric sets through a started
sandbox's cursor export). Run by `make bench`, not by the tests.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sandbox.core.collections import ZD_TICKETS
from sandbox.core.store import Store
from sandbox.generate import generate

NOW = "2026-11-20T12:00:00Z"
PAGE = 1000


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def tail_cursor(store: Store, pages: int) -> tuple[int, int]:
    """The (ts, seq) position `pages` pages before the end of the ticket range."""
    row = store.conn.execute(
        "SELECT ts, seq FROM docs WHERE collection=? ORDER BY ts DESC, seq DESC LIMIT 1 OFFSET ?",
        (ZD_TICKETS, pages * PAGE)).fetchone()
    return (row[0], row[1]) if row else (-1, -1)


def bench_store(store: Store, pages: int) -> list[float]:
    """ms per page for `pages` raw pages walked to the end of the range."""
    after = tail_cursor(store, pages)
    times = []
    for _ in range(pages):
        t0 = time.perf_counter()
        rows = store.page_by_ts(ZD_TICKETS, after, PAGE, raw=True)
        times.append((time.perf_counter() - t0) * 1000)
        if not rows:
            break
        after = (rows[-1][0], rows[-1][1])
    return times


def bench_http(folder: Path, pages: int) -> list[float]:
    """ms per page through the served cursor export (no rate limits), from near the end."""
    import requests

    from sandbox.core.config import SERVICES, SandboxConfig, ServiceRealism
    from sandbox.core.server import Sandbox, free_port

    cfg = SandboxConfig(data_dir=folder, ports={s: free_port() for s in SERVICES},
                        realism={s: ServiceRealism() for s in SERVICES})
    sb = Sandbox(cfg).start_in_thread()
    try:
        creds = sb.credentials["zendesk"]
        auth = (f"{creds['email']}/token", creds["api_token"])
        start = tail_cursor(sb.store, pages)[0]
        url = f"{cfg.base_url('zendesk')}/api/v2/incremental/tickets/cursor.json"
        params: dict | None = {"start_time": start, "per_page": PAGE, "include": "metric_sets"}
        times = []
        with requests.Session() as http:
            for _ in range(pages):
                t0 = time.perf_counter()
                resp = http.get(url, params=params, auth=auth, timeout=60)
                resp.raise_for_status()
                body = resp.json()
                times.append((time.perf_counter() - t0) * 1000)
                if body.get("end_of_stream"):
                    break
                url, params = body["after_url"], None
        return times
    finally:
        sb.stop()


def report(label: str, times: list[float]) -> None:
    if not times:
        print(f"{label}: no pages")
        return
    print(f"{label}: {len(times)} pages of {PAGE}, median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms per page")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20, help="pages to time at the end")
    parser.add_argument("--no-http", dest="http", action="store_false",
                        help="skip timing pages over HTTP (with metric sets side-loaded)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    scale = args.tickets / 6000
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        folder = Path(tmp)
        store = Store(folder / "sandbox.db")
        t0 = time.perf_counter()
        manifest = generate(store, seed=args.seed, scale=scale, now=NOW)
        elapsed = time.perf_counter() - t0
        n = manifest["counts"][ZD_TICKETS]
        size = (folder / "sandbox.db").stat().st_size / 1e6
        print(f"generated {n} tickets (scale {scale:.2f}) in {elapsed:.1f} s: "
              f"{n / elapsed:,.0f} tickets/s, peak RSS {peak_rss_mb():.0f} MB, db {size:.0f} MB")
        print(f"counts: {manifest['counts']}")
        report("store.page_by_ts at the end", bench_store(store, args.pages))
        if args.http:
            report("HTTP cursor export with metric sets, at the end", bench_http(folder, args.pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
