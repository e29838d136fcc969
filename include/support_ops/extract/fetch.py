"""Fetching one API page, surviving what real APIs do: 429s, 5xx, drops, truncated bodies.

429s are waited out per `Retry-After` (within a total wait budget); server errors,
dropped connections and bodies that are not complete JSON are retried with exponential
backoff; a 401 renews the OAuth token once. When the budget runs out the caller gets an
`ExtractionError` saying which stream, which cursor, and that a rerun resumes there.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {500, 502, 503, 504}


class ExtractionError(RuntimeError):
    """A stream could not go on; its committed cursor is where a rerun resumes."""

    def __init__(self, stream: str, cursor: Any, cause: str):
        self.stream, self.cursor, self.cause = stream, cursor, cause
        super().__init__(
            f"stream {stream!r} stopped at cursor {cursor!r}: {cause}. Everything before this "
            "cursor is committed; a rerun resumes from there."
        )


@dataclass
class RetryPolicy:
    attempts: int = 8  # tries per page for errors other than 429
    backoff: float = 0.5  # first backoff, seconds; doubles each attempt (with jitter)
    max_backoff: float = 30.0
    rate_limit_budget: float = 900.0  # total seconds one page may spend waiting out 429s
    timeout: float = 60.0  # per request
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


@dataclass
class FetchStats:
    calls: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    token_renewals: int = 0


def get_json(
    session: requests.Session,
    url: str,
    params: dict | None,
    *,
    stream: str,
    cursor: Any,
    policy: RetryPolicy,
    stats: FetchStats,
    on_unauthorized: Callable[[], None] | None = None,
) -> dict:
    """GET `url` and return its JSON body, retrying per `policy`."""
    attempt = 0
    waited_429 = 0.0
    renewed = False
    while True:
        stats.calls += 1
        problem: str
        try:
            resp = session.get(url, params=params, timeout=policy.timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            if resp.status_code == 429:
                wait = _retry_after(resp)
                stats.rate_limited += 1
                if waited_429 + wait > policy.rate_limit_budget:
                    raise ExtractionError(stream, cursor, f"rate limited for more than "
                                          f"{policy.rate_limit_budget:.0f}s")
                log.info("%s: 429 rate limited, waiting %.1fs as Retry-After says", stream, wait)
                policy.sleep(wait)
                waited_429 += wait
                stats.waited += wait
                continue
            if resp.status_code == 401 and on_unauthorized and not renewed:
                log.info("%s: 401, renewing the access token", stream)
                on_unauthorized()
                renewed = True
                stats.token_renewals += 1
                continue
            if resp.status_code in RETRYABLE_STATUS:
                problem = f"HTTP {resp.status_code}"
            elif resp.status_code >= 400:
                raise ExtractionError(stream, cursor, f"HTTP {resp.status_code}: {resp.text[:300]}")
            else:
                try:
                    return _decode(resp.content)
                except ValueError:
                    problem = f"incomplete JSON body ({len(resp.content)} bytes)"
        attempt += 1
        _back_off(attempt, problem, stream=stream, cursor=cursor, policy=policy, stats=stats)


def backoff_delay(attempt: int, policy: RetryPolicy) -> float:
    """Seconds to wait before retry `attempt`: exponential from `policy.backoff`, with jitter."""
    return min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _back_off(attempt: int, problem: str, *, stream: str, cursor: Any, policy: RetryPolicy,
              stats: FetchStats) -> None:
    """Sleep before retry `attempt` (exponential, with jitter), or give up past the budget."""
    if attempt >= policy.attempts:
        raise ExtractionError(stream, cursor, f"gave up after {attempt} attempts; last: {problem}")
    delay = backoff_delay(attempt, policy)
    log.warning("%s: %s; retry %d/%d in %.1fs", stream, problem, attempt, policy.attempts - 1, delay)
    stats.retries += 1
    stats.waited += delay
    policy.sleep(delay)


def call_with_retries(
    fn: Callable[[], Any], *, stream: str, cursor: Any, policy: RetryPolicy, stats: FetchStats,
    transient: tuple[type[BaseException], ...] | Callable[[BaseException], bool],
    permanent: tuple[type[BaseException], ...] = (),
) -> Any:
    """Run a client-library call (one page), retrying `transient` errors with backoff.

    `transient` is a tuple of exception types or a predicate. `permanent` errors (a refused
    request: retrying cannot help) stop at once as an `ExtractionError`; others propagate.
    """
    is_transient = transient if callable(transient) else (
        lambda exc: isinstance(exc, transient))  # type: ignore[arg-type]
    attempt = 0
    while True:
        stats.calls += 1
        try:
            return fn()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            if is_transient(exc):
                attempt += 1
                _back_off(attempt, problem, stream=stream, cursor=cursor, policy=policy, stats=stats)
                continue
            if permanent and isinstance(exc, permanent):
                raise ExtractionError(stream, cursor, problem) from exc
            raise


def _decode(body: bytes) -> dict:
    """JSON decoding is a large share of extraction time: msgspec when present (~3x json).

    msgspec refuses numbers beyond a double (`1e400`): such a body is complete JSON, so it is
    decoded again with the standard library (which reads them as infinity) and the record
    holding the number goes to quarantine instead of the page being retried as broken.
    """
    import json

    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec comes with Airflow
        return json.loads(body)
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        try:
            return json.loads(body)
        except ValueError:
            raise ValueError(str(exc)) from None


def _retry_after(resp: requests.Response) -> float:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
