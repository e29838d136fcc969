"""`make conformance`: independent Zendesk clients against the sandbox, counted record by record.

Starts a sandbox with a small generated organization, serves its Zendesk service through the
TLS front on https://<subdomain>.zendesk.com (run.sh points that host at 127.0.0.1), then
runs each client from its own virtual environment: the Singer `tap-zendesk` discovers, then
syncs tickets (with their metric sets), ticket metrics, satisfaction ratings, organizations,
users and ticket forms. For each stream it prints the records delivered, the distinct ids
among them and the sandbox's own count, and exits 1 when any of them differs.

Run with the project's venv (it imports the sandbox package); see docs/conformance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from front import Front, make_certificates  # noqa: E402

from sandbox.core.app import ServiceContext, build_app  # noqa: E402
from sandbox.core.collections import (  # noqa: E402
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKET_FORMS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.core.config import SandboxConfig, load_credentials  # noqa: E402
from sandbox.core.store import Store  # noqa: E402
from sandbox.generate import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ["tickets", "ticket_metrics", "satisfaction_ratings", "organizations", "users",
           "ticket_forms"]
START_DATE = "2000-01-01T00:00:00Z"
TOKEN_TTL = 6 * 3600  # longer than the tap's 3-hour refresh margin: it checks, then keeps it


@dataclass
class StreamCount:
    records: int = 0
    ids: set = field(default_factory=set)


def expected_counts(store: Store) -> dict[str, int]:
    """What the sandbox holds, per stream, as the API serves it from start_date on."""
    deleted = {row[0] for row in store.conn.execute(
        "SELECT seq FROM docs WHERE collection = ? AND json_extract(doc, '$.status') = 'deleted'",
        (ZD_TICKETS,))}
    metrics = store.conn.execute(
        "SELECT key FROM docs WHERE collection = ?", (ZD_TICKET_METRICS,)).fetchall()
    return {
        "tickets": store.count(ZD_TICKETS),
        # Zendesk serves no metric set for a deleted ticket (and the tap skips them too).
        "ticket_metrics": sum(1 for (key,) in metrics if int(key) not in deleted),
        "satisfaction_ratings": store.count(ZD_SATISFACTION_RATINGS),
        "organizations": store.count(ZD_ORGANIZATIONS),
        "users": store.count(ZD_USERS),
        "ticket_forms": store.count(ZD_TICKET_FORMS),
    }


def select(catalog: dict, streams: list[str]) -> dict:
    """Mark `streams` (and every property of them) selected in a discovered Singer catalog."""
    found = {s["tap_stream_id"] for s in catalog["streams"]}
    missing = [s for s in streams if s not in found]
    if missing:
        raise SystemExit(f"conformance: discovery did not offer {', '.join(missing)}")
    for stream in catalog["streams"]:
        chosen = stream["tap_stream_id"] in streams
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == [] or chosen:
                entry["metadata"]["selected"] = chosen
    return catalog


def count_records(lines: list[str]) -> dict[str, StreamCount]:
    """RECORD messages of a Singer stream, per stream: how many, and their distinct ids."""
    out: dict[str, StreamCount] = defaultdict(StreamCount)
    for line in lines:
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("type") == "RECORD":
            c = out[msg["stream"]]
            c.records += 1
            c.ids.add(msg["record"].get("id"))
    return out


def run(cmd: list[str], env: dict[str, str], log: Path, timeout: float,
        stdout: Path | None = None) -> str:
    """Run a client command; its stderr goes to `log`. Fails loudly with the log's tail."""
    with open(log, "w") as err:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                              timeout=timeout, check=False)
    if stdout is not None:
        stdout.write_text(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-25:])
        raise SystemExit(f"conformance: {' '.join(cmd[:3])} ... exited {proc.returncode}; "
                         f"last lines of {log}:\n{tail}")
    return proc.stdout


def tap_zendesk(workdir: Path, venv: Path, host: str, subdomain: str, creds: dict,
                bundle: Path, timeout: float) -> dict[str, StreamCount]:
    """The Singer tap-zendesk: discover, select the streams, sync; records per stream."""
    token = requests.post(f"https://{host}/oauth/tokens", verify=str(bundle), timeout=30, data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "scope": "read"})
    token.raise_for_status()
    tok = token.json()
    config = workdir / "config.json"
    config.write_text(json.dumps({
        "subdomain": subdomain, "start_date": START_DATE, "access_token": tok["access_token"],
        "refresh_token": tok["refresh_token"], "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "request_timeout": 60,
    }, indent=2))
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZENPY_", "AIRFLOW_CONN_")) and k.lower() not in
           ("http_proxy", "https_proxy", "all_proxy")}
    env.update(REQUESTS_CA_BUNDLE=str(bundle), SSL_CERT_FILE=str(bundle))
    exe = str(venv / "bin" / "tap-zendesk")
    discovered = run([exe, "--config", str(config), "--discover"], env,
                     workdir / "discover.log", timeout)
    catalog = workdir / "catalog.json"
    catalog.write_text(json.dumps(select(json.loads(discovered), STREAMS), indent=2))
    out = run([exe, "--config", str(config), "--catalog", str(catalog)], env,
              workdir / "sync.log", timeout, stdout=workdir / "sync.jsonl")
    return count_records(out.splitlines())


def report(client: str, got: dict[str, StreamCount], want: dict[str, int]) -> int:
    """Print one line per stream; the number of streams that did not deliver exactly what the
    sandbox holds (each record once)."""
    failed = 0
    print(f"\n{client}: records delivered vs the sandbox")
    print(f"  {'stream':<22}{'delivered':>10}{'distinct':>10}{'sandbox':>10}  result")
    for stream in STREAMS:
        c = got.get(stream, StreamCount())
        good = c.records == len(c.ids) == want[stream]
        dupes = c.records - len(c.ids)
        note = "ok" if good else ("DUPLICATES " if dupes else "") + (
            "MISMATCH" if len(c.ids) != want[stream] else "")
        print(f"  {stream:<22}{c.records:>10}{len(c.ids):>10}{want[stream]:>10}  {note.strip()}")
        failed += not good
    return failed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", default=str(ROOT / ".conformance" / "run"))
    p.add_argument("--venvs", default=str(ROOT / ".conformance"))
    p.add_argument("--scale", type=float, default=float(os.environ.get("CONFORMANCE_SCALE", "0.05")))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--timeout", type=float, default=900, help="seconds per client command")
    args = p.parse_args(argv)
    host = os.environ.get("CONFORMANCE_ZENDESK_HOST", "sandbox.zendesk.com")
    subdomain = host.removesuffix(".zendesk.com")

    workdir = Path(args.workdir)
    if workdir.exists():
        for path in sorted(workdir.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    (workdir / "tap-zendesk").mkdir(parents=True)
    cfg = SandboxConfig(data_dir=workdir / "sandbox", seed=args.seed, scale=args.scale,
                        token_ttl=TOKEN_TTL)
    store = Store(cfg.db_path)
    started = time.monotonic()
    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    creds = load_credentials(cfg.data_dir)["zendesk"]
    if creds["subdomain"] != subdomain:
        raise SystemExit(f"conformance: the sandbox's subdomain is {creds['subdomain']!r}, "
                         f"the hosts entry is for {host}")
    want = expected_counts(store)
    print(f"conformance: sandbox generated at scale {cfg.scale} in "
          f"{time.monotonic() - started:.1f}s: {json.dumps(want)}")

    ctx = ServiceContext("zendesk", cfg, store, creds)
    app, _state = build_app(ctx)
    tls = make_certificates(workdir / "tls", host)
    front = Front(app, tls["cert"], tls["key"], port=args.port).start()
    print(f"conformance: Zendesk sandbox on https://{host}:{args.port} (TLS front on 127.0.0.1)")
    try:
        started = time.monotonic()
        got = tap_zendesk(workdir / "tap-zendesk", Path(args.venvs) / "tap-zendesk", host,
                          subdomain, creds, tls["bundle"], args.timeout)
        print(f"conformance: tap-zendesk finished in {time.monotonic() - started:.1f}s "
              f"(logs in {workdir / 'tap-zendesk'})")
    finally:
        front.stop()
    failed = report("tap-zendesk", got, want)
    print("\nconformance: " + ("PASSED" if not failed else "FAILED: a client did not receive "
                              "every record exactly once"))
    print(f"conformance: {len(STREAMS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
