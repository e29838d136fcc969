"""The Zendesk streams: where each one pages, how its cursor moves, where its rows go.

Cursor styles, as Zendesk's APIs have them (docs/zendesk-api-shapes.md names the sources):
- `cursor`: incremental cursor exports (tickets, users): `start_time` once, then `cursor`;
  `end_of_stream` ends a run and its `after_cursor` is where the next run starts.
- `time`: time-based incremental exports (organizations, ticket metric events): the next
  `start_time` is the page's `end_time`; pages may repeat items at boundaries (upserts absorb
  it). When 1000 or more items share one second Zendesk answers `end_time == start_time` and
  the export cannot move on: the stream then pages that second through the cursor-paginated
  list (`fallback`), keeps the items of that second, and resumes the export one second later.
- `ratings`: satisfaction ratings, whose `start_time` filters on `created_at`: new ratings
  come from here (sorted by `created_at`, the sort kept in the cursor links); a rating that
  changes later (bad -> good) reaches the warehouse through the ticket export, whose tickets
  carry their current `satisfaction_rating`. The saved `start_time` never passes the run's
  start minus the safety lag, so one future-dated rating cannot hide later real ones.
- `full`: small lists read whole each run (ticket forms).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from ..assets import ZENDESK_STREAMS
from . import records as rec
from .canary import Watch
from .tables import (
    zd_organizations,
    zd_satisfaction_ratings,
    zd_ticket_forms,
    zd_ticket_metric_events,
    zd_tickets,
    zd_users,
)

log = logging.getLogger(__name__)
FALLBACK_PAGE_SIZE = 100  # the cursor-paginated lists' maximum


@dataclass(frozen=True)
class Page:
    records: list[Any]
    side: dict[str, list[Any]]  # side-loaded records by kind (filled by the extraction)
    next_state: dict[str, Any]
    next_request: tuple[str, dict] | None  # (path, params) of the next page, None when done


@dataclass(frozen=True)
class Fallback:
    """Another listing of a time-based stream's records, paged by cursor, for a stuck second."""

    path: str
    records_key: str
    time_field: str  # the record's field the export's seconds come from
    from_start: bool = False  # takes `start_time` and lists in time order: stop past the second

    def request(self, stuck: int, after: str | None) -> tuple[str, dict]:
        q: dict[str, Any] = {"page[size]": FALLBACK_PAGE_SIZE}
        if self.from_start:
            q["start_time"] = stuck
        if after:
            q["page[after]"] = after
        return self.path, q


@dataclass(frozen=True)
class ZendeskStream:
    name: str
    path: str
    records_key: str
    style: str
    table: Table
    to_row: Callable[[Any], dict]
    params: dict[str, Any] = field(default_factory=dict)
    fallback: Fallback | None = None  # a cursor-paged listing for a stuck time-based export
    watches: tuple[Watch, ...] = ()  # fields the canary expects on every (applicable) row

    def first_request(self, state: dict | None, start_time: int) -> tuple[str, dict]:
        p = dict(self.params)
        if self.style == "time" and state and state.get("stuck") is not None and self.fallback:
            return self.fallback.request(int(state["stuck"]), state.get("after"))
        if self.style == "cursor":
            if state and state.get("cursor"):
                p["cursor"] = state["cursor"]
            else:
                p["start_time"] = int(state.get("start_time", start_time)) if state else start_time
        elif self.style == "time":
            p["start_time"] = int(state["start_time"]) if state else start_time
        elif self.style == "ratings":
            p["start_time"] = int(state["start_time"]) if state else start_time
            if state and state.get("after"):
                p["page[after]"] = state["after"]
        elif self.style == "full" and state and state.get("page"):
            p["page"] = int(state["page"])
        return self.path, p

    def parse(self, body: dict, state: dict | None, request: tuple[str, dict],
              ceiling: int | None = None) -> Page:
        """The page's records and the state after it. `ceiling`: the latest epoch second a
        cursor taken from the data may hold (the run's start minus the safety lag)."""
        path, params = request
        if self.style == "time" and state and state.get("stuck") is not None and self.fallback:
            return self._parse_fallback(body, state)
        items = body.get(self.records_key)
        if not isinstance(items, list):
            raise ValueError(f"response has no {self.records_key!r} list")
        side: dict[str, list[Any]] = {}
        if self.style == "cursor":
            cursor = body.get("after_cursor")
            done = bool(body.get("end_of_stream")) or not cursor
            next_state = {"cursor": cursor} if cursor else dict(state or {})
            if not cursor and "start_time" in params:
                next_state = {"start_time": params["start_time"]}
            nxt = None if done else (self.path, {**self.params, "cursor": cursor})
            return Page(items, side, next_state, nxt)
        if self.style == "time":
            end_time = body.get("end_time")
            if isinstance(end_time, bool) or not isinstance(end_time, int):
                raise ValueError(f"time-based export page without an integer end_time: {end_time!r}")
            start = int(params["start_time"])
            next_start = end_time
            done = bool(body.get("end_of_stream")) or (next_start <= start and not items)
            if not done and next_start <= start:
                return self._stuck(items, side, start)
            next_state = {"start_time": next_start}
            nxt = None if done else (self.path, {**self.params, "start_time": next_start})
            return Page(items, side, next_state, nxt)
        if self.style == "ratings":
            meta = body.get("meta") or {}
            start = int(params["start_time"])
            seen = max([start, int((state or {}).get("max_seen", start))]
                       + [_epoch(i.get("created_at")) for i in items if isinstance(i, dict)])
            if meta.get("has_more") and meta.get("after_cursor"):
                after = meta["after_cursor"]
                return Page(items, side, {"start_time": start, "after": after, "max_seen": seen},
                            (self.path, {**self.params, "start_time": start, "page[after]": after}))
            if ceiling is not None and seen > ceiling:
                log.info("%s: newest rating is dated %s, after this run's cursor ceiling %s; the "
                         "cursor stays at the ceiling and later runs read it again", self.name,
                         seen, ceiling)
                seen = ceiling
            return Page(items, side, {"start_time": seen}, None)
        # full: one list, read whole each run (offset pages if the list has them)
        if body.get("next_page"):
            page = int(params.get("page", 1)) + 1
            return Page(items, side, {"page": page}, (self.path, {**self.params, "page": page}))
        return Page(items, side, {"full": True}, None)

    def _stuck(self, items: list[Any], side: dict, start: int) -> Page:
        """`end_time == start_time` with items: 1000 or more items share second `start`."""
        if self.fallback is None:
            raise ValueError(
                f"the time-based export is stuck at start_time={start}: {len(items)} or more items "
                "share that second, so end_time does not advance, and this stream has no other "
                "listing to page through them")
        log.warning("%s: time-based export stuck at start_time=%d (%d+ items share that second, "
                    "end_time does not advance); paging that second through %s by cursor instead",
                    self.name, start, len(items), self.fallback.path)
        # This page's items are loaded now; the cursor pass loads the rest of that second.
        return Page(items, side, {"start_time": start, "stuck": start, "after": None},
                    self.fallback.request(start, None))

    def _parse_fallback(self, body: dict, state: dict) -> Page:
        """A page of the cursor-paged listing while a stuck second is paged through: keep the
        items of that second; when they are all read resume the export one second later."""
        fb = self.fallback
        assert fb is not None
        items = body.get(fb.records_key)
        if not isinstance(items, list):
            raise ValueError(f"response has no {fb.records_key!r} list")
        stuck = int(state["stuck"])
        times = [_epoch(i.get(fb.time_field)) if isinstance(i, dict) else None for i in items]
        kept = [i for i, t in zip(items, times, strict=True) if t is None or t == stuck]
        meta = body.get("meta") or {}
        past = fb.from_start and any(t is not None and t > stuck for t in times)
        if not past and meta.get("has_more") and meta.get("after_cursor"):
            after = meta["after_cursor"]
            return Page(kept, {}, {"start_time": stuck, "stuck": stuck, "after": after},
                        fb.request(stuck, after))
        log.info("%s: second %d paged through by cursor; resuming the time-based export at %d",
                 self.name, stuck, stuck + 1)
        return Page(kept, {}, {"start_time": stuck + 1},
                    (self.path, {**self.params, "start_time": stuck + 1}))


def _epoch(value: Any) -> int:
    try:
        parsed = rec.parse_time(value, "updated_at")
    except rec.BadRecord:
        return 0
    return int(parsed.timestamp()) if parsed else 0


def _solved(row: dict) -> bool:
    return row.get("status") in ("solved", "closed")


def _named(stream: str) -> str:
    """The stream's name in extract_state; the short names are defined once, in assets.py."""
    if stream not in ZENDESK_STREAMS:
        raise ValueError(f"{stream!r} is not one of assets.ZENDESK_STREAMS {ZENDESK_STREAMS}")
    return f"zendesk.{stream}"


TICKETS = ZendeskStream(
    _named("tickets"), "/incremental/tickets/cursor.json", "tickets", "cursor", zd_tickets,
    lambda doc: rec.ticket_row(doc, None), {"per_page": 1000, "include": "metric_sets"},
    watches=(Watch("solved_at", _solved, "the metric set's solved_at"), Watch("created_at"),
             Watch("updated_at")),
)
USERS = ZendeskStream(
    _named("users"), "/incremental/users/cursor.json", "users", "cursor", zd_users,
    rec.user_row, {"per_page": 1000}, watches=(Watch("role"), Watch("created_at")),
)
ORGANIZATIONS = ZendeskStream(
    _named("organizations"), "/incremental/organizations.json", "organizations", "time",
    zd_organizations, rec.organization_row, {"per_page": 1000},
    # Zendesk has no cursor variant of the organization export: the cursor-paginated list.
    fallback=Fallback("/organizations.json", "organizations", "updated_at"),
    watches=(Watch("created_at"), Watch("updated_at")),
)
METRIC_EVENTS = ZendeskStream(
    _named("ticket_metric_events"), "/incremental/ticket_metric_events.json", "ticket_metric_events",
    "time", zd_ticket_metric_events, rec.metric_event_row, {},
    # The same export pages by cursor (100 per page, chronological) when asked for page[size].
    fallback=Fallback("/incremental/ticket_metric_events.json", "ticket_metric_events", "time",
                      from_start=True),
)
RATINGS = ZendeskStream(
    _named("satisfaction_ratings"), "/satisfaction_ratings.json", "satisfaction_ratings", "ratings",
    zd_satisfaction_ratings, rec.rating_row, {"page[size]": 100, "sort": "created_at"},
    watches=(Watch("created_at"), Watch("updated_at")),
)
TICKET_FORMS = ZendeskStream(
    _named("ticket_forms"), "/ticket_forms.json", "ticket_forms", "full", zd_ticket_forms,
    rec.ticket_form_row, {}
)

STREAMS = {s.name.split(".", 1)[1]: s for s in (TICKETS, RATINGS, ORGANIZATIONS, USERS, TICKET_FORMS, METRIC_EVENTS)}
if set(STREAMS) != set(ZENDESK_STREAMS):  # every asset has a stream and every stream an asset
    raise RuntimeError(f"Zendesk streams {sorted(STREAMS)} differ from assets.ZENDESK_STREAMS")
