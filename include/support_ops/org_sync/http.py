"""Zendesk calls of the sync that survive what Zendesk does: 429s waited out, 5xx retried.

A 429 (the per-minute limit, or the queued-jobs limit of 30 background jobs) is waited out per
its `Retry-After` within a total budget; 500/502/503/504, dropped connections and cut bodies
are retried with exponential backoff. Repeating a request is safe here: every request the sync
makes is a read or an `update_many` whose values are absolute (sending it twice leaves the same
fields). Calls are counted per endpoint so the bench and the logs can say what a run cost.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from ..extract.fetch import backoff_delay

log = logging.getLogger(__name__)

RETRYABLE = {500, 502, 503, 504}
_ID = re.compile(r"/(?:\d+|V3-[0-9a-f]+)(?=\.json|/|$)")


class ZendeskCallError(RuntimeError):
    """A Zendesk call failed for good (refused, or the retry budget ran out)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


@dataclass
class Policy:
    attempts: int = 6  # tries per call for 5xx and broken connections
    backoff: float = 0.5
    max_backoff: float = 30.0
    rate_limit_budget: float = 900.0  # seconds one call may spend waiting out 429s
    timeout: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


@dataclass
class CallStats:
    calls: Counter = field(default_factory=Counter)
    rate_limited: int = 0
    retried: int = 0
    waited: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"calls": dict(self.calls), "total_calls": sum(self.calls.values()),
                "rate_limited": self.rate_limited, "retried": self.retried, "waited_s": round(self.waited, 1)}


def endpoint(method: str, url: str) -> str:
    path = url.split("/api/v2", 1)[-1].split("?", 1)[0]
    return f"{method} {_ID.sub('/{id}', path)}"


class RetryingSession:
    """`get`/`put`/`post` like a requests session, with the retry rules above."""

    def __init__(self, session: Any, policy: Policy | None = None, stats: CallStats | None = None) -> None:
        self.session = session
        self.policy = policy or Policy()
        self.stats = stats if stats is not None else CallStats()

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.request("GET", url, **kw)

    def put(self, url: str, **kw: Any) -> requests.Response:
        return self.request("PUT", url, **kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self.request("POST", url, **kw)

    def request(self, method: str, url: str, *, ok_status: tuple[int, ...] = (), **kw: Any) -> requests.Response:
        """The response (2xx, or a status in `ok_status`); ZendeskCallError otherwise."""
        p = self.policy
        kw.setdefault("timeout", p.timeout)
        name = endpoint(method, url)
        attempt, waited_429 = 0, 0.0
        while True:
            self.stats.calls[name] += 1
            try:
                resp = self.session.request(method, url, **kw)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                problem, status = f"{type(exc).__name__}: {str(exc)[:200]}", None
            else:
                status = resp.status_code
                if status == 429:
                    wait = _retry_after(resp)
                    if waited_429 + wait > p.rate_limit_budget:
                        raise ZendeskCallError(f"{name}: rate limited for more than {p.rate_limit_budget:.0f} s "
                                               f"({resp.text[:200]})", 429)
                    log.info("%s: 429 (%s), waiting %.1f s as Retry-After says", name, resp.text[:120], wait)
                    self.stats.rate_limited += 1
                    self.stats.waited += wait
                    waited_429 += wait
                    p.sleep(wait)
                    continue
                if status < 400 or status in ok_status:
                    try:
                        if resp.content:
                            resp.json()
                        return resp
                    except ValueError:
                        problem = f"incomplete JSON body ({len(resp.content)} bytes)"
                elif status in RETRYABLE:
                    problem = f"HTTP {status}"
                else:
                    raise ZendeskCallError(f"{name}: HTTP {status}: {resp.text[:300]}", status)
            attempt += 1
            if attempt >= p.attempts:
                raise ZendeskCallError(f"{name}: gave up after {attempt} attempts; last: {problem}", status)
            delay = backoff_delay(attempt, _BackoffPolicy(p.backoff, p.max_backoff))
            log.warning("%s: %s; retry %d/%d in %.1f s", name, problem, attempt, p.attempts - 1, delay)
            self.stats.retried += 1
            self.stats.waited += delay
            p.sleep(delay)


@dataclass
class _BackoffPolicy:
    backoff: float
    max_backoff: float


def _retry_after(resp: requests.Response) -> float:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
