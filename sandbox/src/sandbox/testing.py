"""Test helpers: start sandboxes on free loopback ports and point clients at them.

Both test suites (the sandbox's own in sandbox/tests/ and the product's in tests/) build
their `sandbox_factory`, `sandbox` and `sandbox_env` fixtures from these, so the fixture
code exists once. No pytest import: the sandbox's image does not install it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sandbox.core.clientenv import client_env
from sandbox.core.config import SERVICES, SandboxConfig, ServiceRealism
from sandbox.core.server import Sandbox, free_port
from sandbox.core.store import Store

TEST_SEED = 7
TEST_SCALE = 0.05
TEST_NOW = "2026-11-20T12:00:00Z"

Populate = Callable[[Store, SandboxConfig], None] | str | None


class SetEnv(Protocol):
    """What `use_sandbox` needs of pytest's `monkeypatch`."""

    def setenv(self, name: str, value: str) -> None: ...


def sandbox_config(folder: Path, **overrides) -> SandboxConfig:
    """A sandbox on free ports with no rate limits or faults (tests switch them on)."""
    cfg = SandboxConfig(
        data_dir=folder,
        ports={svc: free_port() for svc in SERVICES},
        seed=TEST_SEED,
        scale=TEST_SCALE,
        now=TEST_NOW,
        realism={svc: ServiceRealism() for svc in SERVICES},
    )
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


class SandboxFactory:
    """`factory(populate=fn(store, cfg) | "generate" | None, **config)` starts a sandbox in a
    fresh folder from `mktemp`; `stop_all()` stops every one it started.

    Each sandbox carries `.env`, the client environment (CA bundle, zenpy netloc,
    AIRFLOW_CONN_*) to apply with `use_sandbox(monkeypatch, sb)`.
    """

    def __init__(self, mktemp: Callable[[str], Path]):
        self._mktemp = mktemp
        self.started: list[Sandbox] = []

    def __call__(self, populate: Populate = None, **overrides) -> Sandbox:
        cfg = sandbox_config(self._mktemp("sandbox"), **overrides)
        if populate == "generate":
            from sandbox.generate import generate

            generate(Store(cfg.db_path), seed=cfg.seed, scale=cfg.scale, now=cfg.now)
        elif callable(populate):
            populate(Store(cfg.db_path), cfg)
        sb = Sandbox(cfg).start_in_thread()
        self.started.append(sb)
        sb.env = client_env(cfg)
        return sb

    def stop_all(self) -> None:
        for sb in self.started:
            sb.stop()
        self.started.clear()


def use_sandbox(monkeypatch: SetEnv, sb: Sandbox) -> Sandbox:
    """Point this test's clients (env: CA bundle, zenpy, AIRFLOW_CONN_*) at `sb`."""
    for key, value in sb.env.items():
        monkeypatch.setenv(key, value)
    return sb
