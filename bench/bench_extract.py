"""Benchmark: Zendesk ticket extraction against the sandbox, ours vs the naive connector.

Ours: the cursor export, 1,000 tickets per page with metric sets side-loaded, committed
page by page into a SQLite warehouse. Naive: zenpy's default ticket listing (100 per page)
plus one metrics call per ticket, timed on a sample and extrapolated.

    python bench/bench_extract.py [--tickets 100000] [--with-1m] [--naive-sample 1000]

Each extraction runs in its own process so its peak RSS is its own; the sandbox runs in
another process with its rate limits off (the figures under Zendesk's real limits are
computed from the call counts).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rss import peak_rss_mb  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
INCREMENTAL_PER_MIN = 10  # Zendesk's incremental export limit
ACCOUNT_PER_MIN = 700  # Zendesk's account-wide limit (Enterprise)


def _admin(cfg, path: str, body: dict | None = None) -> dict:
    import requests

    url = cfg.base_url("zendesk") + path
    resp = requests.post(url, json=body, timeout=30) if body is not None else requests.get(url, timeout=30)
    resp.raise_for_status()
    return resp.json()


def start_sandbox(folder: Path, tickets: int):
    """Generate `tickets` tickets (scale 1 = 6,000) and serve them from a child process."""
    from sandbox.core.config import SERVICES, SandboxConfig
    from sandbox.core.server import free_port
    from sandbox.core.store import Store
    from sandbox.generate import generate

    cfg = SandboxConfig(data_dir=folder, ports={s: free_port() for s in SERVICES}, seed=11,
                        scale=tickets / 6000, now="2026-11-20T12:00:00Z")
    t0 = time.perf_counter()
    store = Store(cfg.db_path)
    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    store.set_meta("populated", {"bench": tickets})
    gen_s = time.perf_counter() - t0
    n = store.count("zd_tickets")
    args = [sys.executable, "-m", "sandbox", "--dir", str(folder), "serve"]
    for svc, port in cfg.ports.items():
        args += [f"--{svc}-port", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "SANDBOX_DIR": str(folder)})
    subprocess.run([sys.executable, "-m", "sandbox", "--dir", str(folder), "wait", "--timeout", "120"],
                   check=True, env={**os.environ, **{f"SANDBOX_{s.upper()}_PORT": str(p) for s, p in cfg.ports.items()}})
    _admin(cfg, "/_sandbox/realism", {"rate_limit": 0, "incremental_rate_limit": 0})
    return cfg, proc, n, gen_s


def worker(mode: str, cfg_json: str, sample: int) -> None:
    """Runs in a child process: one extraction, prints a JSON line of figures."""
    from sandbox.core.clientenv import client_env
    from sandbox.core.config import SandboxConfig

    raw = json.loads(cfg_json)
    cfg = SandboxConfig(data_dir=Path(raw["data_dir"]), ports=raw["ports"])
    os.environ.update(client_env(cfg))
    from support_ops.clients.zendesk import SupportZendeskHook

    hook = SupportZendeskHook()
    session, base = hook.api_session()  # the OAuth token call is not counted below
    before = _admin(cfg, "/_sandbox/stats")["total_calls"]
    t0 = time.perf_counter()
    if mode == "ours":
        from support_ops.extract.zendesk import extract_stream
        from support_ops.extract.zendesk_streams import TICKETS
        from support_ops.warehouse import get_engine, upgrade

        engine = get_engine(f"sqlite:///{raw['warehouse']}")
        upgrade(engine)
        t0 = time.perf_counter()
        res = extract_stream(engine, TICKETS, session, base, start_time=0,
                             on_unauthorized=hook.tokens.invalidate if hook.tokens else None)
        done = res.loaded
    else:
        client = hook.get_conn()
        t0 = time.perf_counter()
        done = 0
        for ticket in client.tickets():  # zenpy's default listing, 100 per page
            client.tickets.metrics(ticket.id)  # and one metrics call per ticket
            done += 1
            if done >= sample:
                break
    wall = time.perf_counter() - t0
    calls = _admin(cfg, "/_sandbox/stats")["total_calls"] - before
    peak = peak_rss_mb()
    print(json.dumps({"tickets": done, "wall": wall, "calls": calls, "peak_mb": peak}))


def run_worker(mode: str, cfg, warehouse: Path, sample: int = 0) -> dict:
    payload = json.dumps({"data_dir": str(cfg.data_dir), "ports": cfg.ports, "warehouse": str(warehouse)})
    out = subprocess.run([sys.executable, __file__, "--worker", mode, "--cfg", payload,
                          "--naive-sample", str(sample)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(n_target: int, sample: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        folder = Path(tmp)
        cfg, proc, n, gen_s = start_sandbox(folder / "sandbox", n_target)
        try:
            ours = run_worker("ours", cfg, folder / "warehouse.db")
            naive = run_worker("naive", cfg, folder / "naive.db", sample)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lower = math.ceil(n / 1000) + 1
    per_ticket = naive["wall"] / max(1, naive["tickets"])
    naive_calls = math.ceil(n / 100) + n
    return {"n": n, "gen_s": gen_s, "ours": ours, "naive": naive, "lower": lower,
            "naive_calls": naive_calls, "naive_wall": per_ticket * n}


def report(r: dict) -> None:
    n, ours = r["n"], r["ours"]
    print(f"\nZendesk ticket extraction, {n:,} tickets with metrics (sandbox generation {r['gen_s']:.0f}s)")
    print(f"{'':<28}{'ours':>16}{'naive (extrap.)':>18}{'ratio':>10}")
    rows = [
        ("wall time, s", ours["wall"], r["naive_wall"]),
        ("tickets/s", n / ours["wall"], n / r["naive_wall"]),
        ("API calls", ours["calls"], r["naive_calls"]),
    ]
    for label, a, b in rows:
        ratio = b / a if label != "tickets/s" else a / b
        print(f"{label:<28}{a:>16,.1f}{b:>18,.1f}{ratio:>9.1f}x")
    print(f"{'API calls lower bound':<28}{r['lower']:>16,}   (ceil(N/1000)+1; ours = {ours['calls']})")
    ours_min = ours["calls"] / INCREMENTAL_PER_MIN
    naive_min = r["naive_calls"] / ACCOUNT_PER_MIN
    print(f"{'minutes at Zendesk limits':<28}{ours_min:>16,.1f}{naive_min:>18,.1f}{naive_min / ours_min:>9.1f}x"
          f"   ({INCREMENTAL_PER_MIN}/min incremental vs {ACCOUNT_PER_MIN}/min account-wide)")
    print(f"{'peak RSS, MB':<28}{ours['peak_mb']:>16,.0f}{r['naive']['peak_mb']:>18,.0f}"
          f"   (naive measured on a {r['naive']['tickets']:,}-ticket sample)")
    ok_time = "met" if ours["wall"] < 60 or n > 150_000 else "MISSED"
    ok_mem = "met" if ours["peak_mb"] < 500 else "MISSED"
    ok_calls = "met" if ours["calls"] <= r["lower"] else "MISSED"
    print(f"targets: calls <= lower bound {ok_calls}; under 60 s at 100k {ok_time}; peak RSS < 500 MB {ok_mem}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--with-1m", action="store_true", help="also run 1M tickets (memory flatness)")
    p.add_argument("--naive-sample", type=int, default=1000)
    p.add_argument("--worker")
    p.add_argument("--cfg")
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.cfg, args.naive_sample)
        return
    results = [bench(args.tickets, args.naive_sample)]
    report(results[0])
    if args.with_1m:
        results.append(bench(1_000_000, args.naive_sample))
        report(results[1])
        a, b = results
        print(f"\nmemory growth 100k -> 1M: {a['ours']['peak_mb']:.0f} MB -> {b['ours']['peak_mb']:.0f} MB "
              f"({b['ours']['peak_mb'] / a['ours']['peak_mb']:.2f}x for {b['n'] / a['n']:.0f}x the tickets)")


if __name__ == "__main__":
    main()
