"""Running the five services on loopback, in the foreground or in a background thread."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import uvicorn

from sandbox.core.app import ServiceContext, build_app
from sandbox.core.config import SERVICES, SandboxConfig, load_credentials
from sandbox.core.store import Store
from sandbox.core.tls import ensure_certificates

log = logging.getLogger("sandbox")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Sandbox:
    """All services of one sandbox: contexts, apps and uvicorn servers."""

    def __init__(self, config: SandboxConfig, services: tuple[str, ...] = SERVICES):
        self.config = config
        self.store = Store(config.db_path)
        self.credentials = load_credentials(config.data_dir)
        self.tls = ensure_certificates(config.tls_dir)
        self.contexts: dict[str, ServiceContext] = {}
        self.states = {}
        self.servers: list[uvicorn.Server] = []
        for name in services:
            ctx = ServiceContext(name, config, self.store, self.credentials.get(name, {}))
            app, state = build_app(ctx)
            self.contexts[name] = ctx
            self.states[name] = state
            kwargs = {}
            if name in ("salesforce", "pagerduty"):
                kwargs = {"ssl_certfile": str(self.tls["cert"]), "ssl_keyfile": str(self.tls["key"])}
            ucfg = uvicorn.Config(
                app, host=config.host, port=config.ports[name], log_level="warning",
                access_log=False, lifespan="off", timeout_keep_alive=30, **kwargs,
            )
            self.servers.append(uvicorn.Server(ucfg))

    async def serve(self) -> None:
        await asyncio.gather(*(s.serve() for s in self.servers))

    def addresses(self) -> dict[str, str]:
        return {name: self.config.base_url(name) for name in self.contexts}

    # -- background mode, for tests ------------------------------------------------
    def start_in_thread(self, timeout: float = 30) -> Sandbox:
        for s in self.servers:
            s.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=lambda: asyncio.run(self.serve()), daemon=True)
        self._thread.start()
        deadline = time.time() + timeout
        while not all(s.started for s in self.servers):
            if time.time() > deadline or not self._thread.is_alive():
                raise RuntimeError("sandbox did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        for s in self.servers:
            s.should_exit = True
        if getattr(self, "_thread", None):
            self._thread.join(timeout=10)
