"""The live feeds: tickets created or updated since the last run, one message per channel.

Form `Self-Managed` -> `slack_feed_self_managed` (#zd-self-managed-feed), form `SaaS`
(GitLab.com) -> `slack_feed_gitlab_com` (#zd-gitlab-com-feed); other forms are not posted
(docs/alerts.md). Each feed has a cursor in `ops_feed_state`: tickets whose `updated_at` is
up to `posted_until` have been posted. A run takes the window (posted_until, newest update in
the warehouse], records it as `pending` with its message key *before* posting, posts, and
then moves the cursor. A run after a crash finds the pending window and plans the same key
again: a message that was posted is not posted again (the outbound layer has it applied, or
pending: the feed target is at most once), so no ticket is listed twice. A first run looks
back `FIRST_LOOKBACK`. Deleted tickets are not listed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ..outbound import apply, plan
from ..outbound.model import APPLIED, SKIPPED
from ..outbound.slack import message
from . import store
from .messages import feed_text
from .targets import FEED

log = logging.getLogger(__name__)
FIRST_LOOKBACK = dt.timedelta(hours=24)  # a first run lists the last day (cut to one message)


@dataclass(frozen=True)
class Feed:
    key: str
    form: str
    conn_id: str
    title: str


FEEDS = (
    Feed("self_managed", "Self-Managed", "slack_feed_self_managed", "Self-Managed tickets"),
    Feed("gitlab_com", "SaaS", "slack_feed_gitlab_com", "GitLab.com tickets"),
)


def _stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def run(engine: Engine, *, now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    newest = store.newest_ticket_update(engine)
    return {"at": now.isoformat(), "dry_run": dry_run,
            "feeds": {f.key: run_feed(engine, f, now, newest, dry_run=dry_run) for f in FEEDS}}


def run_feed(engine: Engine, feed: Feed, now: dt.datetime, newest: dt.datetime | None, *,
             dry_run: bool = False) -> dict[str, Any]:
    state = store.feed_state(engine, feed.key)
    pending = (state or {}).get("pending")
    if pending:
        since = dt.datetime.fromisoformat(pending["since"])
        until = dt.datetime.fromisoformat(pending["until"])
        log.info("%s feed: the window %s..%s was being posted when a run stopped: settling it first",
                 feed.key, since, until)
    else:
        since = state["posted_until"] if state else now - FIRST_LOOKBACK
        until = max(since, min(newest or since, now))
    key = f"slack:feed:{feed.key}:{_stamp(since)}:{_stamp(until)}"
    out: dict[str, Any] = {"since": since.isoformat(), "until": until.isoformat(), "tickets": 0, "posted": False}
    tickets = []
    if until > since:
        found = store.tickets(engine, since=since, until=until)
        forms = store.ticket_forms(engine, found)
        tickets = [t for t in found.values() if forms.get(t.id) == feed.form and not t.is_deleted]
    out["tickets"] = len(tickets)
    if not tickets:
        if not dry_run and (state is None or until > since):
            store.save_feed_state(engine, feed.key, until, None)
        return out
    created = {t.id for t in tickets if t.created_at is not None and t.created_at > since}
    text = feed_text(feed.title, tickets, created, since, until)
    if not dry_run and not pending:
        store.save_feed_state(engine, feed.key, since, {"since": since.isoformat(), "until": until.isoformat(),
                                                        "key": key})
    plan_id = plan(engine, FEED, [message(key, text, conn_id=feed.conn_id)], dry_run=dry_run)
    result = apply(engine, plan_id, writer=FEED, raise_on_failure=not dry_run)
    out.update(plan_id=plan_id, status=result.statuses.get(key), text=text[:500])
    if not dry_run and result.statuses.get(key) in (APPLIED, SKIPPED):
        store.save_feed_state(engine, feed.key, until, None)
        out["posted"] = result.statuses.get(key) == APPLIED
    return out
