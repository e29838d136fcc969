"""Extracting the Zendesk streams through a session built by the Zendesk hook.

The hook (with the project's OAuth lifecycle) authenticates the session; pages are
requested here rather than through zenpy's generators because each page's cursor must
be committed with that page's rows, which zenpy's iterators do not expose.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine

from ..config import settings
from .fetch import ExtractionError, FetchStats, RetryPolicy, get_json
from .records import parse_time, ticket_row
from .runner import StreamResult, run_pages, ticket_metrics_writer
from .zendesk_streams import STREAMS, ZendeskStream

log = logging.getLogger(__name__)


def default_start_time() -> int:
    parsed = parse_time(settings().extract_start, "SUPPORT_OPS_EXTRACT_START")
    assert parsed is not None
    return int(parsed.timestamp())


def extract_stream(
    engine: Engine,
    stream: ZendeskStream,
    session: Any,
    api_base: str,
    *,
    start_time: int | None = None,
    policy: RetryPolicy | None = None,
    on_unauthorized=None,
    max_pages: int | None = None,
    quarantine_max_ratio: float | None = None,
) -> StreamResult:
    """Run one Zendesk stream to its end (or `max_pages`), committing page by page."""
    policy = policy or RetryPolicy()
    stats = FetchStats()
    start = default_start_time() if start_time is None else start_time
    page_metrics: dict[Any, dict] = {}  # the current page's side-loaded metric sets by ticket id

    def fetch_page(state: dict | None):
        path, params = stream.first_request(state, start)
        try:
            body = get_json(session, api_base + path, params, stream=stream.name, cursor=state,
                            policy=policy, stats=stats, on_unauthorized=on_unauthorized)
            page = stream.parse(body, state, (path, params))
        except ValueError as exc:  # a body that is JSON but not the expected shape
            raise ExtractionError(stream.name, state, f"unexpected response: {exc}") from exc
        side = page.side if is_tickets else {}
        page_metrics.clear()
        for m in side.get("metric_sets") or []:
            if isinstance(m, dict):
                page_metrics[m.get("ticket_id")] = m
        return page.records, side, page.next_state, page.next_request is None

    is_tickets = stream.name == "zendesk.tickets"
    to_row = (lambda doc: ticket_row(doc, page_metrics.get(doc.get("id") if isinstance(doc, dict) else None))
              ) if is_tickets else stream.to_row
    writer = ticket_metrics_writer(stream.name) if is_tickets else None
    result = run_pages(
        engine, stream.name, stream.table, fetch_page, to_row,
        quarantine_max_ratio=quarantine_max_ratio, max_pages=max_pages, extra_writer=writer,
    )
    result.api_calls = stats.calls
    if stats.rate_limited or stats.retries or stats.token_renewals:
        log.info("%s: %d API calls, %d 429s waited out, %d retries, %d token renewals, %.1fs waited",
                 stream.name, stats.calls, stats.rate_limited, stats.retries, stats.token_renewals,
                 stats.waited)
    return result


def extract_all(engine: Engine, hook: Any, names: list[str] | None = None, **kwargs) -> dict[str, dict]:
    """Every (or the named) Zendesk stream with one authenticated session."""
    session, api_base = hook.api_session()
    tokens = getattr(hook, "tokens", None)
    out = {}
    for name in names or list(STREAMS):
        began = dt.datetime.now(dt.UTC)
        res = extract_stream(engine, STREAMS[name], session, api_base,
                             on_unauthorized=tokens.invalidate if tokens else None, **kwargs)
        out[name] = {**res.as_dict(), "started": began.isoformat()}
    return out
