"""View counts, as the support bot gave them: `views/count_many`, Slack, and a time series.

The views are named by a Param (ids or titles; empty: every active view, from `GET /views`,
following `next_page`). `GET /views/count_many.json?ids=` takes at most 20 ids a call and is
limited to 6 requests every 5 minutes (Zendesk help center, "Why are Views count from the API
returning random results with null values?"): a 429 is waited out per `Retry-After` by the
retrying session; 5xx and dropped connections are retried. A count Zendesk has not finished
(`fresh: false`, `value: null`) is kept as such. Each run posts one message to
`slack_view_counts` and adds its counts to `zd_view_counts` (view_id, title, counted_at,
value, fresh), which the report draws. A dry run counts and records, and posts nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from ..org_sync.http import CallStats, Policy, RetryingSession
from ..outbound import execute
from ..outbound.slack import message
from . import store
from .messages import MAX_TEXT, view_counts_text
from .targets import VIEW_COUNTS

log = logging.getLogger(__name__)
COUNT_MANY_MAX = 20
CONN_ID = "slack_view_counts"


class UnknownViews(ValueError):
    """The Param names views Zendesk does not have (or that are not active)."""


def _session(factory: Any = None, stats: CallStats | None = None,
             policy: Policy | None = None) -> tuple[RetryingSession, str]:
    if factory is not None:
        session, api = factory()
    else:
        from ..clients.zendesk import SupportZendeskHook

        session, api = SupportZendeskHook().api_session()
    return RetryingSession(session, policy or Policy(), stats if stats is not None else CallStats()), api


def list_views(session: RetryingSession, api: str) -> list[dict]:
    out: list[dict] = []
    url: str | None = f"{api}/views.json"
    params: dict | None = {"per_page": 100}
    while url:
        body = session.get(url, params=params).json()
        out += [v for v in body.get("views") or [] if isinstance(v, dict)]
        url, params = body.get("next_page"), None
    return out


def select_views(views: Sequence[dict], wanted: Sequence[Any]) -> list[dict]:
    """The views the Param names, in its order (ids or titles, titles without case); every
    active view when it names none. Names that match nothing fail the run before any count."""
    active = [v for v in views if v.get("active", True)]
    if not wanted:
        return sorted(active, key=lambda v: (v.get("position") or 0, v["id"]))
    by_id = {int(v["id"]): v for v in views}
    by_title: dict[str, list[dict]] = {}
    for v in views:
        by_title.setdefault(str(v.get("title", "")).strip().lower(), []).append(v)
    chosen: list[dict] = []
    unknown: list[str] = []
    for w in wanted:
        text = str(w).strip()
        if text.isdigit() and int(text) in by_id:
            chosen.append(by_id[int(text)])
        elif by_title.get(text.lower()):
            chosen += by_title[text.lower()]
        else:
            unknown.append(text)
    if unknown:
        titles = ", ".join(sorted(str(v.get("title")) for v in active)[:30])
        raise UnknownViews(f"no Zendesk view with the id or title {', '.join(map(repr, unknown))}; "
                           f"the active views are: {titles}")
    return list({int(v["id"]): v for v in chosen}.values())


def count(session: RetryingSession, api: str, view_ids: Sequence[int]) -> dict[int, dict]:
    """view id -> its count, `count_many` 20 ids a call."""
    out: dict[int, dict] = {}
    ids = list(dict.fromkeys(int(i) for i in view_ids))
    for i in range(0, len(ids), COUNT_MANY_MAX):
        chunk = ids[i:i + COUNT_MANY_MAX]
        body = session.get(f"{api}/views/count_many.json", params={"ids": ",".join(map(str, chunk))}).json()
        for c in body.get("view_counts") or []:
            out[int(c["view_id"])] = c
    return out


def run(engine: Engine, wanted: Sequence[Any] = (), *, now: dt.datetime | None = None, dry_run: bool = False,
        session_factory: Any = None, policy: Policy | None = None) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    stats = CallStats()
    session, api = _session(session_factory, stats, policy)
    chosen = select_views(list_views(session, api), wanted)
    counts = count(session, api, [int(v["id"]) for v in chosen])
    rows = []
    for v in chosen:
        c = counts.get(int(v["id"])) or {}
        value = c.get("value")
        rows.append({"view_id": int(v["id"]), "title": str(v.get("title") or v["id"])[:255], "counted_at": now,
                     "value": int(value) if isinstance(value, int) and not isinstance(value, bool) else None,
                     "fresh": None if c.get("fresh") is None else bool(c.get("fresh"))})
    store.record_view_counts(engine, rows)
    text = view_counts_text(rows, now)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rsplit("\n", 1)[0] + f"\n… {len(rows)} views in all: see the report"
    slack = "none"
    if rows:
        key = f"slack:view-counts:{now.strftime('%Y%m%dT%H%M%S')}"
        result = execute(engine, VIEW_COUNTS, [message(key, text, conn_id=CONN_ID)], dry_run=dry_run)
        slack = result.statuses[key]
    log.info("view counts: %d views, Slack %s, Zendesk calls %s", len(rows), slack, stats.as_dict())
    return {"at": now.isoformat(), "views": len(rows), "slack": slack, "dry_run": dry_run,
            "zendesk_calls": stats.as_dict(), "text": text[:1000]}
