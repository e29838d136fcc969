"""Sandbox settings: ports, data folder, realism knobs. Environment overrides: SANDBOX_*."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

SERVICES = ("zendesk", "salesforce", "pagerduty", "gitlab", "slack")
DEFAULT_PORTS = {"zendesk": 8701, "salesforce": 8702, "pagerduty": 8703, "gitlab": 8704, "slack": 8705}
# simple-salesforce and the pagerduty package only speak https; the others accept http.
TLS_SERVICES = frozenset({"salesforce", "pagerduty"})


@dataclass
class FaultConfig:
    """Deterministic fault injection: each request draws from a seeded RNG.

    Rates are probabilities per request; `burst_429` serves that many 429s in a
    row each time one is drawn. Admin paths (/_sandbox/...) never fault.
    """

    seed: int = 0
    rate_429: float = 0.0
    burst_429: int = 1
    rate_5xx: float = 0.0
    rate_drop: float = 0.0
    rate_truncate: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 1.0
    retry_after: int = 1


@dataclass
class ServiceRealism:
    """Per-service rate limits (requests per minute; 0 = unlimited) and faults."""

    rate_limit: int = 0
    incremental_rate_limit: int = 0
    faults: FaultConfig = field(default_factory=FaultConfig)


def _default_realism() -> dict[str, ServiceRealism]:
    return {
        # Zendesk's account-wide limit on the Enterprise plan and its incremental export limit.
        "zendesk": ServiceRealism(rate_limit=700, incremental_rate_limit=10),
        "salesforce": ServiceRealism(),
        "pagerduty": ServiceRealism(rate_limit=960),
        "gitlab": ServiceRealism(rate_limit=2000),
        "slack": ServiceRealism(rate_limit=60),
    }


@dataclass
class SandboxConfig:
    data_dir: Path = Path("data/sandbox")
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    seed: int = 42
    scale: float = 1.0
    now: str | None = None  # ISO timestamp; None = wall clock
    token_ttl: int = 1800  # OAuth access-token lifetime, seconds
    api_tokens_enabled: bool = True  # Zendesk turns API tokens off on 2027-04-30
    realism: dict[str, ServiceRealism] = field(default_factory=_default_realism)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sandbox.db"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    def scheme(self, service: str) -> str:
        return "https" if service in TLS_SERVICES else "http"

    def base_url(self, service: str) -> str:
        return f"{self.scheme(service)}://{self.host}:{self.ports[service]}"

    @classmethod
    def from_env(cls, **overrides) -> SandboxConfig:
        cfg = cls()
        env = os.environ
        if env.get("SANDBOX_DIR"):
            cfg.data_dir = Path(env["SANDBOX_DIR"])
        if env.get("SANDBOX_HOST"):
            cfg.host = env["SANDBOX_HOST"]
        for svc in SERVICES:
            if env.get(f"SANDBOX_{svc.upper()}_PORT"):
                cfg.ports[svc] = int(env[f"SANDBOX_{svc.upper()}_PORT"])
        if env.get("SANDBOX_SEED"):
            cfg.seed = int(env["SANDBOX_SEED"])
        if env.get("SANDBOX_SCALE"):
            cfg.scale = float(env["SANDBOX_SCALE"])
        if env.get("SANDBOX_NOW"):
            cfg.now = env["SANDBOX_NOW"]
        if env.get("SANDBOX_TOKEN_TTL"):
            cfg.token_ttl = int(env["SANDBOX_TOKEN_TTL"])
        if env.get("SANDBOX_API_TOKENS"):
            cfg.api_tokens_enabled = env["SANDBOX_API_TOKENS"].lower() not in ("0", "false", "off")
        for key, value in overrides.items():
            setattr(cfg, key, value)
        return cfg


def realism_to_dict(r: ServiceRealism) -> dict:
    return asdict(r)


def realism_from_dict(d: dict) -> ServiceRealism:
    faults = FaultConfig(**d.get("faults", {}))
    return ServiceRealism(
        rate_limit=int(d.get("rate_limit", 0)),
        incremental_rate_limit=int(d.get("incremental_rate_limit", 0)),
        faults=faults,
    )


def load_credentials(data_dir: Path) -> dict[str, dict[str, str]]:
    """The sandbox's credentials: random per data folder, never in git.

    `sandbox connections` turns them into Airflow connections.
    """
    path = data_dir / "credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    tok = secrets.token_urlsafe
    creds = {
        "zendesk": {
            "email": "ops-bot@example.com",
            "client_id": "support_ops_pipelines",
            "client_secret": tok(24),
            "api_token": tok(24),
            "subdomain": "sandbox",
        },
        "salesforce": {
            "username": "integration@example.com",
            "password": tok(12),
            "security_token": tok(12),
            "consumer_key": "support_ops_pipelines",
            "consumer_secret": tok(24),
        },
        "pagerduty": {"api_key": tok(20), "routing_key": tok(16)},
        "gitlab": {"token": tok(20)},
        "slack": {"webhook_path": "/services/T0SANDBOX/B0SUPPORT/" + tok(12)},
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds
