"""Zendesk imitation: the rate limit of `GET /api/v2/views/count_many`.

Zendesk limits view counts to 6 requests every 5 minutes (Zendesk help center, "Why are Views
count from the API returning random results with null values?"), on top of the account's
per-minute limit. A request over it gets Zendesk's 429 with `Retry-After` (seconds until the
oldest request of the window leaves it). The counts themselves come from sandbox.zendesk.misc.

Test knobs (store meta `zendesk.views`): `limit` (requests per window, 0 turns it off) and
`window` (seconds).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.zendesk.common import json_response

COUNT_MANY_LIMIT = 6
COUNT_MANY_WINDOW = 300.0
VIEWS_META = "zendesk.views"
_LOCK = threading.Lock()


def limited_count_many(ctx: ServiceContext,
                       inner: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """`inner` (the count_many handler) behind its own sliding-window limit."""

    async def views_count_many(request: Request) -> Response:
        knobs = ctx.store.get_meta(VIEWS_META, {}) or {}
        limit = int(knobs.get("limit", COUNT_MANY_LIMIT))
        window = float(knobs.get("window", COUNT_MANY_WINDOW))
        now = ctx.now()
        with _LOCK:
            calls: deque = ctx.extra.setdefault("views_count_many_calls", deque())
            while calls and calls[0] <= now - window:
                calls.popleft()
            if limit > 0 and len(calls) >= limit:
                retry = max(1, math.ceil(calls[0] + window - now))
                return json_response(
                    {"error": "APIRateLimitExceeded",
                     "description": f"Number of allowed view count requests ({limit} per "
                                    f"{window:.0f} seconds) exceeded"},
                    429, {"Retry-After": str(retry)})
            calls.append(now)
        return await inner(request)

    return views_count_many
