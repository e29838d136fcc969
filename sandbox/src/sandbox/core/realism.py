"""Operational realism shared by every sandbox service.

An ASGI middleware that, per service, counts calls per endpoint, enforces
per-minute rate limits with Zendesk-style `429 + Retry-After` and rate headers,
and injects faults drawn from a seeded RNG (429 bursts, 500/502/503, dropped
connections, slow responses, truncated bodies). `/_sandbox/...` admin paths are
exempt and expose the statistics and the knobs.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.core.config import ServiceRealism

_ID = re.compile(r"/\d+(?=/|\.json|$)")
_SFID = re.compile(r"/[0-9A-Za-z]{15,18}(?=/|$)")


def endpoint_key(method: str, path: str) -> str:
    """A route template for statistics: numeric ids become `{id}`."""
    path = _ID.sub("/{id}", path)
    if "/sobjects/" in path:
        path = _SFID.sub("/{id}", path)
    return f"{method} {path}"


@dataclass
class Stats:
    calls: Counter = field(default_factory=Counter)
    rate_limited: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.time)

    def snapshot(self) -> dict:
        return {
            "calls": dict(self.calls),
            "total_calls": sum(self.calls.values()),
            "rate_limited": dict(self.rate_limited),
            "total_429": sum(self.rate_limited.values()),
            "faults": dict(self.faults),
            "total_faults": sum(self.faults.values()),
            "uptime_seconds": round(time.time() - self.started, 1),
        }


class RealismState:
    """Mutable per-service realism: limits, faults, counters and the fault RNG."""

    def __init__(self, service: str, realism: ServiceRealism,
                 is_incremental: Callable[[str], bool] = lambda path: False):
        self.service = service
        self.lock = threading.Lock()
        self.is_incremental = is_incremental
        self.configure(realism)

    def configure(self, realism: ServiceRealism) -> None:
        with self.lock:
            self.realism = realism
            self.rng = random.Random(realism.faults.seed)
            self.pending_429 = 0
            self.windows: dict[str, deque] = {"all": deque(), "incremental": deque()}
            self.stats = Stats()

    def _window_check(self, name: str, limit: int, now: float) -> tuple[bool, int, int]:
        """Sliding 60-second window; returns (allowed, remaining, retry_after)."""
        if limit <= 0:
            return True, 0, 0
        win = self.windows[name]
        while win and win[0] <= now - 60:
            win.popleft()
        if len(win) >= limit:
            return False, 0, max(1, int(win[0] + 60 - now) + 1)
        win.append(now)
        return True, limit - len(win), 0

    def decide(self, path: str) -> tuple[str | None, dict[str, str], int]:
        """What to do with a request: (fault or None, rate headers, retry_after)."""
        now = time.monotonic()
        with self.lock:
            r = self.realism
            headers: dict[str, str] = {}
            ok, remaining, retry = self._window_check("all", r.rate_limit, now)
            if r.rate_limit:
                headers["X-Rate-Limit"] = str(r.rate_limit)
                headers["X-Rate-Limit-Remaining"] = str(remaining)
            if not ok:
                return "rate_limit", headers, retry
            if self.is_incremental(path) and r.incremental_rate_limit:
                ok, remaining, retry = self._window_check("incremental", r.incremental_rate_limit, now)
                headers["zendesk-ratelimit-incremental-exports"] = (
                    f"total={r.incremental_rate_limit}; remaining={remaining}; resets={retry or 60}"
                )
                if not ok:
                    return "rate_limit_incremental", headers, retry
            f = r.faults
            if self.pending_429 > 0:
                self.pending_429 -= 1
                return "429", headers, f.retry_after
            draw = self.rng.random()
            edge = 0.0
            for kind, rate in (
                ("429", f.rate_429), ("5xx", f.rate_5xx), ("drop", f.rate_drop),
                ("truncate", f.rate_truncate), ("slow", f.rate_slow),
            ):
                edge += rate
                if draw < edge:
                    if kind == "429":
                        self.pending_429 = max(0, f.burst_429 - 1)
                        return "429", headers, f.retry_after
                    if kind == "5xx":
                        return f"5xx:{self.rng.choice([500, 502, 503])}", headers, 0
                    return kind, headers, 0
            return None, headers, 0


class RealismMiddleware:
    """ASGI middleware applying a RealismState to every non-admin request."""

    def __init__(self, app, state: RealismState):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        st = self.state
        key = endpoint_key(scope["method"], scope["path"])
        fault, headers, retry_after = st.decide(scope["path"])
        with st.lock:
            st.stats.calls[key] += 1
        if fault and (fault.startswith("rate_limit") or fault == "429"):
            with st.lock:
                if fault == "429":
                    st.stats.faults["429"] += 1
                else:
                    st.stats.rate_limited[key] += 1
            desc = (
                "Number of allowed incremental export API requests per minute exceeded"
                if fault == "rate_limit_incremental"
                else "Number of allowed API requests per minute exceeded"
            )
            body = json.dumps({"error": "APIRateLimitExceeded", "description": desc}).encode()
            await _send(send, 429, body, {**headers, "Retry-After": str(retry_after)})
            return
        if fault and fault.startswith("5xx:"):
            code = int(fault[4:])
            with st.lock:
                st.stats.faults[str(code)] += 1
            await _send(send, code, b'{"error":"ServerError","description":"Sandbox injected fault"}', {})
            return
        if fault == "slow":
            with st.lock:
                st.stats.faults["slow"] += 1
            await asyncio.sleep(st.realism.faults.slow_seconds)
        if fault in ("drop", "truncate"):
            with st.lock:
                st.stats.faults[fault] += 1
            await self._broken(scope, receive, send, fault)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start" and headers:
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in headers.items()
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _broken(self, scope, receive, send, fault: str):
        """Run the real handler, then break its response on the wire."""
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if fault == "truncate":
            # Headers and a Content-Length that match the bytes sent: a proxy cut the JSON.
            cut = body[: max(1, len(body) // 2)]
            hdrs = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            hdrs.append((b"content-length", str(len(cut)).encode()))
            await send({"type": "http.response.start", "status": start.get("status", 200), "headers": hdrs})
            await send({"type": "http.response.body", "body": cut})
            return
        # drop: announce the full body, send part of it, then close the connection.
        await send({"type": "http.response.start", "status": start.get("status", 200),
                    "headers": start.get("headers", [])})
        await send({"type": "http.response.body", "body": body[: len(body) // 3], "more_body": True})
        raise ConnectionAbortedError("sandbox: injected dropped connection")


async def _send(send, status: int, body: bytes, headers: dict[str, str]) -> None:
    hdrs = [(b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode())]
    hdrs += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})
