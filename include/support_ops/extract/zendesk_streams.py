"""The Zendesk streams: where each one pages, how its cursor moves, where its rows go.

Three cursor styles, as Zendesk's APIs have them:
- `cursor`: incremental cursor exports (tickets, users): `start_time` once, then `cursor`;
  `end_of_stream` ends a run and its `after_cursor` is where the next run starts.
- `time`: time-based incremental exports (organizations, ticket metric events): the next
  `start_time` is the page's `end_time`; pages may repeat items at boundaries (upserts absorb it).
- `ratings`: satisfaction ratings filtered by `start_time` on their update time and paged by
  cursor, so a rating that changes later (bad -> good) is fetched again.
- `full`: small lists read whole each run (ticket forms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from ..warehouse import schema
from . import records as rec


@dataclass(frozen=True)
class Page:
    records: list[Any]
    side: dict[str, list[Any]]  # side-loaded records by kind (metric_sets)
    next_state: dict[str, Any]
    next_request: tuple[str, dict] | None  # (path, params) of the next page, None when done


@dataclass(frozen=True)
class ZendeskStream:
    name: str
    path: str
    records_key: str
    style: str
    table: Table
    to_row: Callable[[Any], dict]
    params: dict[str, Any] = field(default_factory=dict)

    def first_request(self, state: dict | None, start_time: int) -> tuple[str, dict]:
        p = dict(self.params)
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
        return self.path, p

    def parse(self, body: dict, state: dict | None, request: tuple[str, dict]) -> Page:
        items = body.get(self.records_key)
        if not isinstance(items, list):
            raise ValueError(f"response has no {self.records_key!r} list")
        side = {"metric_sets": body.get("metric_sets") or []}
        path, params = request
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
            start = int(params["start_time"])
            next_start = int(end_time) if end_time is not None else start
            done = bool(body.get("end_of_stream")) or (next_start <= start and not items)
            next_state = {"start_time": next_start}
            nxt = None if done or next_start == start else (self.path, {**self.params, "start_time": next_start})
            return Page(items, side, next_state, nxt)
        if self.style == "ratings":
            meta = body.get("meta") or {}
            start = int(params["start_time"])
            seen = max([start, int((state or {}).get("max_seen", start))]
                       + [_epoch(i.get("updated_at")) for i in items if isinstance(i, dict)])
            if meta.get("has_more") and meta.get("after_cursor"):
                after = meta["after_cursor"]
                return Page(items, side, {"start_time": start, "after": after, "max_seen": seen},
                            (self.path, {**self.params, "start_time": start, "page[after]": after}))
            return Page(items, side, {"start_time": seen}, None)
        # full
        return Page(items, side, {"full": True}, None)


def _epoch(value: Any) -> int:
    try:
        parsed = rec.parse_time(value, "updated_at")
    except rec.BadRecord:
        return 0
    return int(parsed.timestamp()) if parsed else 0


TICKETS = ZendeskStream(
    "zendesk.tickets", "/incremental/tickets/cursor.json", "tickets", "cursor", schema.zd_tickets,
    lambda doc: rec.ticket_row(doc, None), {"per_page": 1000, "include": "metric_sets"}
)
USERS = ZendeskStream(
    "zendesk.users", "/incremental/users/cursor.json", "users", "cursor", schema.zd_users,
    rec.user_row, {"per_page": 1000}
)
ORGANIZATIONS = ZendeskStream(
    "zendesk.organizations", "/incremental/organizations.json", "organizations", "time",
    schema.zd_organizations, rec.organization_row, {"per_page": 1000}
)
METRIC_EVENTS = ZendeskStream(
    "zendesk.ticket_metric_events", "/incremental/ticket_metric_events.json", "ticket_metric_events",
    "time", schema.zd_ticket_metric_events, rec.metric_event_row, {}
)
RATINGS = ZendeskStream(
    "zendesk.satisfaction_ratings", "/satisfaction_ratings.json", "satisfaction_ratings", "ratings",
    schema.zd_satisfaction_ratings, rec.rating_row, {"page[size]": 100}
)
TICKET_FORMS = ZendeskStream(
    "zendesk.ticket_forms", "/ticket_forms.json", "ticket_forms", "full", schema.zd_ticket_forms,
    rec.ticket_form_row, {}
)

STREAMS = {s.name.split(".", 1)[1]: s for s in (TICKETS, RATINGS, ORGANIZATIONS, USERS, TICKET_FORMS, METRIC_EVENTS)}
