"""Building one Starlette app per service, with the admin endpoints and realism around it."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.core.config import SandboxConfig, realism_from_dict, realism_to_dict
from sandbox.core.realism import RealismMiddleware, RealismState
from sandbox.core.store import Store


@dataclass
class ServiceContext:
    """What a service's handlers need: settings, state, credentials and a clock."""

    name: str
    config: SandboxConfig
    store: Store
    credentials: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # per-service scratch (tokens, jobs)

    @property
    def base_url(self) -> str:
        return self.config.base_url(self.name)

    def now(self) -> float:
        return time.time()


def _admin_routes(ctx: ServiceContext, state: RealismState) -> list[Route]:
    async def health(request: Request):
        return JSONResponse({"service": ctx.name, "status": "ok", "base_url": ctx.base_url})

    async def stats(request: Request):
        return JSONResponse({"service": ctx.name, **state.stats.snapshot()})

    async def reset_stats(request: Request):
        state.configure(state.realism)
        return JSONResponse({"service": ctx.name, "reset": True})

    async def realism(request: Request):
        if request.method == "POST":
            body = await request.json()
            current = realism_to_dict(state.realism)
            faults = {**current["faults"], **body.get("faults", {})}
            state.configure(realism_from_dict({**current, **body, "faults": faults}))
            ctx.config.realism[ctx.name] = state.realism
        return JSONResponse(realism_to_dict(state.realism))

    async def settings(request: Request):
        """Runtime knobs that are not realism: e.g. token TTL, API tokens on/off."""
        if request.method == "POST":
            body = await request.json()
            if "token_ttl" in body:
                ctx.config.token_ttl = int(body["token_ttl"])
            if "api_tokens_enabled" in body:
                ctx.config.api_tokens_enabled = bool(body["api_tokens_enabled"])
        return JSONResponse(
            {"token_ttl": ctx.config.token_ttl, "api_tokens_enabled": ctx.config.api_tokens_enabled}
        )

    return [
        Route("/_sandbox/health", health),
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/stats/reset", reset_stats, methods=["POST"]),
        Route("/_sandbox/realism", realism, methods=["GET", "POST"]),
        Route("/_sandbox/settings", settings, methods=["GET", "POST"]),
    ]


def build_app(ctx: ServiceContext) -> tuple[Any, RealismState]:
    """The ASGI app of one service: its routes, admin routes, realism middleware."""
    module = importlib.import_module(f"sandbox.{ctx.name}.service")
    state = RealismState(
        ctx.name,
        ctx.config.realism[ctx.name],
        getattr(module, "is_incremental", lambda path: False),
    )
    routes = _admin_routes(ctx, state) + module.routes(ctx)
    app = Starlette(routes=routes)
    return RealismMiddleware(app, state), state
