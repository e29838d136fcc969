"""A PagerDuty REST API client from the `pagerduty_default` connection, and who is on call.

Built by the Airflow provider's PagerdutyHook (password = REST API token), which returns the
`pagerduty` package's RestApiV2Client. The hook takes no base URL, so the connection's extra
`base_url` (a proxy, or the sandbox) is set on the client here; without it the client talks
to https://api.pagerduty.com. On-call: `GET /oncalls` for one schedule at one instant
(PagerDuty REST API v2, "List all of the on-calls"); e-mail addresses from `GET /users/:id`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..config import PAGERDUTY_CONN_ID


def rest_client(conn_id: str = PAGERDUTY_CONN_ID) -> Any:
    """`pagerduty.RestApiV2Client` for the connection, pointed at its `base_url` extra if any."""
    from airflow.providers.pagerduty.hooks.pagerduty import PagerdutyHook

    hook = PagerdutyHook(pagerduty_conn_id=conn_id)
    client = hook.client()
    base = (hook.get_connection(conn_id).extra_dejson or {}).get("base_url")
    if base:
        client.url = str(base).rstrip("/")
    return client


@dataclass(frozen=True)
class OnCall:
    """The person on call in a schedule at one instant."""

    schedule_id: str
    schedule_name: str
    user_id: str
    name: str
    email: str | None


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_id(client: Any, name: str) -> str:
    """The id of the schedule named exactly `name` (a clear error when there is none, or two)."""
    found = [s for s in client.iter_all("schedules", params={"query": name}) if s.get("name") == name]
    if not found:
        raise LookupError(f"PagerDuty has no schedule named {name!r}")
    if len(found) > 1:
        raise LookupError(f"PagerDuty has {len(found)} schedules named {name!r}: "
                          f"{', '.join(s['id'] for s in found)}")
    return found[0]["id"]


def on_call(client: Any, schedule_name: str, at: dt.datetime | None = None) -> OnCall | None:
    """Who is on call in `schedule_name` at `at` (now by default); None when nobody is."""
    at = at or dt.datetime.now(dt.UTC)
    sid = schedule_id(client, schedule_name)
    entries = client.list_all("oncalls", params={
        "schedule_ids": [sid], "since": _iso(at), "until": _iso(at + dt.timedelta(seconds=1))})
    entries = [e for e in entries if (e.get("schedule") or {}).get("id") == sid and e.get("user")]
    if not entries:
        return None
    entries.sort(key=lambda e: (e.get("escalation_level") or 0, e.get("start") or ""))
    user = entries[0]["user"]
    email = user.get("email")
    if not email:
        email = (client.rget(f"users/{user['id']}") or {}).get("email")
    return OnCall(sid, schedule_name, user["id"], user.get("summary") or user.get("name") or user["id"], email)
