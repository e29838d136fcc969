"""Targets: how a write reaches a system, and whether a rerun can read it back.

A target sends writes in batches of at most `batch_size` (Zendesk's update_many takes 100) and
says per write whether it was applied. A target that can be read back implements `reconcile`:
given writes whose earlier attempt was interrupted, it answers for each `Outcome.applied(...)`
when the effect is there, or None when it is not (then the write is sent). Targets without
reconcile declare `delivery` AT_LEAST_ONCE or AT_MOST_ONCE (docs/outbound-writes.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import Delivery, Outcome, StoredWrite


class Target:
    """Base class: override `send_one` (or `send` for real batches) and, if possible, `reconcile_one`."""

    name: str = ""
    delivery: Delivery = Delivery.AT_MOST_ONCE
    batch_size: int = 1

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        """One outcome per write, in order. An exception fails the whole batch."""
        return [self.send_one(w) for w in writes]

    def send_one(self, write: StoredWrite) -> Outcome:
        raise NotImplementedError(f"target {self.name} cannot send {write.action}")

    @property
    def can_read_back(self) -> bool:
        return self.delivery is Delivery.READ_BACK

    def reconcile(self, writes: Sequence[StoredWrite]) -> list[Outcome | None]:
        """For each write: applied (found on the target) or None (absent: send it)."""
        return [self.reconcile_one(w) for w in writes]

    def reconcile_one(self, write: StoredWrite) -> Outcome | None:
        raise NotImplementedError(f"target {self.name} cannot be read back")


_TARGETS: dict[str, Target] = {}


def register(target: Target) -> Target:
    """Make `target` available by its name (a later registration replaces an earlier one)."""
    if not target.name:
        raise ValueError("a target needs a name")
    if target.delivery is Delivery.READ_BACK and type(target).reconcile is Target.reconcile \
            and type(target).reconcile_one is Target.reconcile_one:
        raise TypeError(f"target {target.name} declares READ_BACK but has no reconcile")
    _TARGETS[target.name] = target
    return target


def get(name: str) -> Target:
    """The registered target `name`; the project's own targets register on first use."""
    if name not in _TARGETS:
        from . import builtin  # noqa: F401 - registers slack, zendesk, gitlab, salesforce, pagerduty
    try:
        return _TARGETS[name]
    except KeyError:
        raise LookupError(f"no outbound target named {name!r}; known: {sorted(_TARGETS)}") from None


def unregister(name: str) -> None:
    _TARGETS.pop(name, None)
