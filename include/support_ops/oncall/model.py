"""What the on-call audits produce: findings, with the check names of docs/oncall.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

CHECK_NAMES = (
    "coverage_gap",
    "handoff_not_monday_0700",
    "schedule_missing",
    "policy_missing",
    "policy_rule_mismatch",
    "policy_repeat_mismatch",
    "service_without_policy",
)


@dataclass(frozen=True)
class Finding:
    """One finding. (check_name, entity_id, item) identifies it across runs: `item` tells two
    findings of one entity apart (a gap's start, a layer's id) and is empty when there is one."""

    check_name: str
    entity_id: str
    item: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check_name, self.entity_id, self.item)


def parse_time(value: str) -> dt.datetime:
    """A PagerDuty timestamp (Z or an offset) as an aware UTC datetime."""
    t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
