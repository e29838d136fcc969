"""The vocabulary of the outbound layer: writes, outcomes, delivery choices, errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# Statuses of one write in one plan (outbound_writes.status).
PLANNED = "planned"  # stored, not attempted yet
PENDING = "pending"  # the intent: recorded just before the effect
APPLIED = "applied"  # the target confirmed it (or reading it back found it)
FAILED = "failed"  # the target refused it or could not be reached; error says why
SKIPPED = "skipped"  # nothing to do: applied before under the same key (or not resent, at most once)
INTERRUPTED = "interrupted"  # an earlier pending attempt whose outcome a later plan settled
DRY_RUN = "dry_run"  # a dry run's write: stored, never sent
WRITE_STATUSES = (PLANNED, PENDING, APPLIED, FAILED, SKIPPED, INTERRUPTED, DRY_RUN)

# Statuses of a plan (outbound_plans.status).
PLAN_PLANNED, PLAN_APPLIED, PLAN_FAILED, PLAN_CAPPED, PLAN_DRY_RUN = (
    "planned", "applied", "failed", "capped", "dry_run")


class Delivery(enum.Enum):
    """What a rerun does with a write whose earlier attempt was interrupted (left `pending`)."""

    READ_BACK = "read back"  # the target can be read: reconcile, write only if the effect is absent
    AT_LEAST_ONCE = "at least once"  # cannot be read back: send again (a duplicate beats a loss)
    AT_MOST_ONCE = "at most once"  # cannot be read back: never send again (a loss beats a duplicate)


@dataclass(frozen=True)
class Write:
    """One intended write. `key` is stable: the same effect has the same key in every run."""

    key: str
    action: str
    target_ref: str
    summary: str
    after: dict[str, Any]
    before: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > 255:
            raise ValueError(f"an idempotency key must be 1-255 characters: {self.key!r}")
        if not self.action or not self.target_ref:
            raise ValueError(f"write {self.key!r} needs an action and a target_ref")


@dataclass
class StoredWrite:
    """A write as the plan stored it, handed to a target to send or to read back."""

    plan_id: str
    key: str
    seq: int
    action: str
    target_ref: str
    summary: str
    after: dict[str, Any]
    before: dict[str, Any] | None
    status: str
    attempts: int = 0


@dataclass(frozen=True)
class Outcome:
    """What a target says about one write: applied (with what it answered) or failed (why)."""

    ok: bool
    result: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def applied(cls, **result: Any) -> Outcome:
        return cls(True, result or None)

    @classmethod
    def failed(cls, error: str, **result: Any) -> Outcome:
        return cls(False, result or None, error)


@dataclass
class ApplyResult:
    """The end of one apply: the plan's status and each write's status by key."""

    plan_id: str
    status: str
    statuses: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.statuses.values():
            out[s] = out.get(s, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """Small enough for XCom."""
        return {"plan_id": self.plan_id, "status": self.status, "counts": self.counts(),
                "errors": dict(list(self.errors.items())[:20])}


class OutboundError(RuntimeError):
    """A plan could not be applied as asked."""


class CapExceeded(OutboundError):
    """More changes were planned than the writer's cap allows; nothing was applied."""

    def __init__(self, writer: str, plan_id: str, planned: int, cap: int, how: str) -> None:
        self.writer, self.plan_id, self.planned, self.cap = writer, plan_id, planned, cap
        super().__init__(
            f"{writer}: {planned} changes planned, above the cap of {cap}; nothing was applied and "
            f"the plan is kept as {plan_id!r}. To approve, review the plan and rerun with a cap of at "
            f"least {planned} ({how})."
        )


class WritesFailed(OutboundError):
    """Some writes of a plan failed; the others are applied and recorded."""

    def __init__(self, plan_id: str, errors: dict[str, str]) -> None:
        self.plan_id, self.errors = plan_id, errors
        first = "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:3])
        super().__init__(f"plan {plan_id}: {len(errors)} write(s) failed: {first}")
