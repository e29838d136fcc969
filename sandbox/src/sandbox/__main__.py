"""`python -m sandbox` / `sandbox`: serve, reset, dump, show connections and statistics."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
import urllib.request
from pathlib import Path

from sandbox.core.clientenv import client_env, connections
from sandbox.core.config import SERVICES, SandboxConfig

log = logging.getLogger("sandbox")


def _config(args) -> SandboxConfig:
    cfg = SandboxConfig.from_env()
    if getattr(args, "dir", None):
        cfg.data_dir = Path(args.dir)
    for key in ("seed", "scale", "now", "token_ttl"):
        if getattr(args, key, None) is not None:
            setattr(cfg, key, getattr(args, key))
    if getattr(args, "no_api_tokens", False):
        cfg.api_tokens_enabled = False
    for svc in SERVICES:
        port = getattr(args, f"{svc}_port", None)
        if port:
            cfg.ports[svc] = port
    return cfg


def _lenient(args) -> bool:
    if getattr(args, "lenient", False):
        return True
    return os.environ.get("SANDBOX_DATA_LENIENT", "").lower() in ("1", "true", "yes", "on")


def populate(cfg: SandboxConfig, data: str | None = None, lenient: bool = False) -> dict:
    """Replace the sandbox's state: from a data folder if given (or SANDBOX_DATA), else generate.

    Either way the new state is built in a file beside the current one and swapped in only
    when complete: a refused folder or an interrupted generation leaves the old state.
    """
    from sandbox.core.store import Store, rebuild

    data = data or os.environ.get("SANDBOX_DATA")
    if data:
        from sandbox.core.datadir import load

        warnings: list[str] = []
        counts = load(cfg.db_path, Path(data), lenient=lenient, warnings=warnings)
        log.info("sandbox: loaded %s from %s", counts, data)
        for line in warnings:  # "sandbox:" lines are what make demo / make up show
            print(f"sandbox: lenient: loaded anyway: {line}", flush=True)
    else:
        from sandbox.generate import generate

        manifest = rebuild(cfg.db_path, lambda store: generate(
            store, seed=cfg.seed, scale=cfg.scale, now=cfg.now))
        counts = manifest.get("counts", {})
    Store(cfg.db_path).set_meta("populated", counts)
    return counts


def ports_in_use(cfg: SandboxConfig) -> list[str]:
    """The services whose port something already listens on (another sandbox, or not)."""
    import socket

    busy = []
    for svc in SERVICES:
        with socket.socket(socket.AF_INET6 if ":" in cfg.host else socket.AF_INET) as s:
            # As uvicorn binds: SO_REUSEADDR, so a closed server's TIME_WAIT does not count.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((cfg.host, cfg.ports[svc]))
            except OSError:
                busy.append(f"{svc} ({cfg.host}:{cfg.ports[svc]})")
    return busy


def _refuse_if_running(cfg: SandboxConfig, doing: str) -> bool:
    busy = ports_in_use(cfg)
    if busy:
        print(f"sandbox: cannot {doing}: these ports are already in use: {', '.join(busy)}. "
              "Stop what listens there (make down / make sandbox-stop) or choose other ports "
              "(SANDBOX_<SYSTEM>_PORT).", file=sys.stderr)
    return bool(busy)


def _populate_or_explain(cfg: SandboxConfig, data: str | None, lenient: bool) -> dict | None:
    from sandbox.core.datadir import DataFolderError

    try:
        return populate(cfg, data, lenient)
    except DataFolderError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        print("sandbox: the previous sandbox state is unchanged"
              + ("" if lenient else "; --lenient (SANDBOX_DATA_LENIENT=1) loads records that "
                 "break the real systems' guarantees, but not broken structure"), file=sys.stderr)
        return None


def cmd_serve(args) -> int:
    from sandbox.core.server import Sandbox
    from sandbox.core.store import Store

    cfg = _config(args)
    if _refuse_if_running(cfg, "serve"):
        return 2
    data = args.data or os.environ.get("SANDBOX_DATA")
    # A data folder always replaces the state; otherwise generate on first start or --reset.
    if data or args.reset or Store(cfg.db_path).get_meta("populated") is None:
        counts = _populate_or_explain(cfg, data, _lenient(args))
        if counts is None:
            return 2
        print(f"sandbox: populated {json.dumps(counts)}", flush=True)
    sb = Sandbox(cfg)
    for name, url in sb.addresses().items():
        print(f"sandbox: {name:<10} {url}", flush=True)
    print(f"sandbox: CA bundle {sb.tls['bundle']}", flush=True)
    stop = threading.Event()
    if args.live:
        from sandbox.core.live import run_live

        threading.Thread(target=run_live, args=(sb.store, cfg, stop, args.live_interval),
                         daemon=True).start()
        print(f"sandbox: live activity every {args.live_interval}s", flush=True)
    try:
        asyncio.run(sb.serve())
    finally:
        stop.set()
    return 0


def cmd_reset(args) -> int:
    cfg = _config(args)
    if _refuse_if_running(cfg, "reset while a sandbox may be serving this state"):
        return 2
    counts = _populate_or_explain(cfg, args.data, _lenient(args))
    if counts is None:
        return 2
    print(f"sandbox: reset and populated {json.dumps(counts)}")
    return 0


def cmd_dump(args) -> int:
    from sandbox.core.datadir import dump
    from sandbox.core.store import Store

    cfg = _config(args)
    counts = dump(Store(cfg.db_path), Path(args.out))
    print(f"sandbox: dumped {json.dumps(counts)} to {args.out}")
    return 0


def cmd_connections(args) -> int:
    cfg = _config(args)
    conns = connections(cfg)
    text = json.dumps(conns, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
        os.chmod(args.out, 0o600)
    else:
        print(text)
    return 0


def cmd_stats(args) -> int:
    cfg = _config(args)
    import ssl

    ctx = ssl.create_default_context(cafile=str(cfg.tls_dir / "ca-bundle.pem"))
    out = {}
    for svc in SERVICES:
        try:
            with urllib.request.urlopen(cfg.base_url(svc) + "/_sandbox/stats", context=ctx, timeout=5) as r:
                out[svc] = json.loads(r.read())
        except OSError as exc:
            out[svc] = {"error": str(exc)}
    print(json.dumps(out, indent=2))
    return 0


def cmd_env(args) -> int:
    """Shell `export` lines that point clients (and Airflow) at this sandbox."""
    import shlex

    cfg = _config(args)
    for key, value in client_env(cfg).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_wait(args) -> int:
    """Wait until every service answers its health check (for scripts)."""
    import ssl
    import time

    cfg = _config(args)
    deadline = time.time() + args.timeout
    pending = set(SERVICES)
    while pending and time.time() < deadline:
        if args.pid and not _alive(args.pid):
            print(f"sandbox: the sandbox process {args.pid} exited before it answered",
                  file=sys.stderr)
            return 1
        ctx = None
        bundle = cfg.tls_dir / "ca-bundle.pem"
        if bundle.exists():
            ctx = ssl.create_default_context(cafile=str(bundle))
        for svc in sorted(pending):
            try:
                url = cfg.base_url(svc) + "/_sandbox/health"
                with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                    if r.status == 200:
                        pending.discard(svc)
            except OSError:
                pass
        if pending:
            time.sleep(0.5)
    if pending:
        print(f"sandbox: not answering after {args.timeout}s: {', '.join(sorted(pending))}", file=sys.stderr)
        return 1
    return 0


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def cmd_check_ports(args) -> int:
    """Exit 1 (saying which) when a port the sandbox would serve on is already taken."""
    return 1 if _refuse_if_running(_config(args), "start") else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    p = argparse.ArgumentParser(prog="sandbox", description=__doc__)
    p.add_argument("--dir", help="data folder (default data/sandbox or $SANDBOX_DIR)")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--seed", type=int)
        sp.add_argument("--scale", type=float)
        sp.add_argument("--now", help="ISO timestamp the generated history is relative to")
        sp.add_argument("--data", help="load this folder of JSON arrays instead of generating")
        sp.add_argument("--lenient", action="store_true",
                        help="load records that break the real systems' guarantees "
                             "(also SANDBOX_DATA_LENIENT=1)")

    s = sub.add_parser("serve", help="serve every service on loopback")
    common(s)
    s.add_argument("--reset", action="store_true", help="regenerate the state first")
    s.add_argument("--live", action="store_true", help="keep creating and updating tickets")
    s.add_argument("--live-interval", type=float, default=5.0)
    s.add_argument("--token-ttl", type=int, help="OAuth access-token lifetime, seconds")
    s.add_argument("--no-api-tokens", action="store_true", help="refuse Zendesk API tokens")
    for svc in SERVICES:
        s.add_argument(f"--{svc}-port", type=int)
    s.set_defaults(func=cmd_serve)
    r = sub.add_parser("reset", help="wipe the state and repopulate")
    common(r)
    r.set_defaults(func=cmd_reset)
    d = sub.add_parser("dump", help="write the state as a SANDBOX_DATA folder")
    d.add_argument("out")
    d.set_defaults(func=cmd_dump)
    c = sub.add_parser("connections", help="Airflow connections for this sandbox (JSON)")
    c.add_argument("--out")
    c.set_defaults(func=cmd_connections)
    st = sub.add_parser("stats", help="calls, 429s and faults served, per service")
    st.set_defaults(func=cmd_stats)
    e = sub.add_parser("env", help="export lines that point clients at this sandbox")
    e.set_defaults(func=cmd_env)
    w = sub.add_parser("wait", help="wait until every service answers")
    w.add_argument("--timeout", type=float, default=120)
    w.add_argument("--pid", type=int, help="stop waiting (and fail) as soon as this process exits")
    w.set_defaults(func=cmd_wait)
    cp = sub.add_parser("check-ports", help="fail, saying which, if a sandbox port is taken")
    cp.set_defaults(func=cmd_check_ports)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
