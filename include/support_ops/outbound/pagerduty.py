"""PagerDuty Events API v2 (connection `pagerduty_events_default`: password = routing key;
extra `base_url` only for a proxy or the sandbox).

An event cannot be read back, but PagerDuty folds events with the same `dedup_key` into one
alert while it is open, so sending again is safe: at least once, with the write's key as the
dedup_key (PagerDuty Events API v2, "Alert De-Duplication").
"""

from __future__ import annotations

from typing import Any

from ..config import PAGERDUTY_EVENTS_CONN_ID
from .model import Delivery, Outcome, StoredWrite, Write
from .targets import Target


def event(key: str, summary: str, *, action: str = "trigger", severity: str = "warning",
          source: str = "support-ops", dedup_key: str | None = None,
          custom_details: dict[str, Any] | None = None, conn_id: str = PAGERDUTY_EVENTS_CONN_ID) -> Write:
    """A planned event; `dedup_key` defaults to the write's key."""
    return Write(key=key, action=f"event_{action}", target_ref=conn_id, summary=summary,
                 after={"conn_id": conn_id, "action": action, "summary": summary, "severity": severity,
                        "source": source, "dedup_key": dedup_key or key, "custom_details": custom_details})


class PagerDutyEvents(Target):
    name = "pagerduty"
    delivery = Delivery.AT_LEAST_ONCE

    def send_one(self, write: StoredWrite) -> Outcome:
        import pagerduty
        from airflow.providers.pagerduty.hooks.pagerduty_events import (
            PagerdutyEventsHook,
            prepare_event_data,
        )

        a = write.after
        hook = PagerdutyEventsHook(pagerduty_events_conn_id=a["conn_id"])
        base = hook.get_connection(a["conn_id"]).extra_dejson.get("base_url")
        client = pagerduty.EventsApiV2Client(hook.integration_key, **({"base_url": base} if base else {}))
        if a["action"] == "trigger":
            data = prepare_event_data(summary=a["summary"], severity=a["severity"], source=a["source"],
                                      dedup_key=a["dedup_key"], custom_details=a.get("custom_details"))
            return Outcome.applied(dedup_key=client.send_event(**data))
        if a["action"] in ("acknowledge", "resolve"):
            getattr(client, a["action"])(a["dedup_key"])
            return Outcome.applied(dedup_key=a["dedup_key"])
        raise ValueError(f"pagerduty target cannot {a['action']}")

    @staticmethod
    def describe_error(exc: BaseException) -> str:
        return f"{type(exc).__name__}: {str(exc)[:500]}"
