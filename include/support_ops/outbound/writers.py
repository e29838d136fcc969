"""Writers: who plans writes, to which target, under which change cap.

Each writer has a cap, a circuit breaker rather than a batch size: a plan with more changes
than the cap applies nothing. The cap comes from, in order: the run's Param (`max_changes`,
passed as `max_changes=`), the setting `SUPPORT_OPS_<WRITER>_MAX_CHANGES`, the writer's default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Writer:
    name: str
    target: str
    default_cap: int
    param: str = "max_changes"

    @property
    def setting(self) -> str:
        return f"SUPPORT_OPS_{self.name.upper()}_MAX_CHANGES"

    def cap(self, max_changes: int | str | None = None) -> int:
        """The cap in force: the Param if given, else the setting, else the default."""
        if max_changes not in (None, ""):
            return _positive(max_changes, f"Param {self.param}")
        if os.environ.get(self.setting, "").strip():
            return _positive(os.environ[self.setting], self.setting)
        return self.default_cap

    def how_to_approve(self) -> str:
        return f"Param {self.param!r} of the run, or the setting {self.setting}"


def _positive(value: int | str, where: str) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{where} must be a whole number of changes, got {value!r}") from None
    if n < 0:
        raise ValueError(f"{where} must not be negative, got {n}")
    return n


# The project's writers; a new capability declares its own beside its code and lists it here.
KPI_ALERT = Writer("kpi_alert", "slack", default_cap=1)
INTEGRITY_SUMMARY = Writer("integrity_summary", "slack", default_cap=1)
FAILURE_NOTICE = Writer("failure_notice", "slack", default_cap=1)
SLACK_NOTICE = Writer("slack_notice", "slack", default_cap=1)  # a message whose sender names no writer

WRITERS: dict[str, Writer] = {w.name: w for w in (KPI_ALERT, INTEGRITY_SUMMARY, FAILURE_NOTICE, SLACK_NOTICE)}


def register_writer(writer: Writer) -> Writer:
    """Make a capability's writer known by name (so `support_ops outbound apply PLAN` finds it)."""
    WRITERS[writer.name] = writer
    return writer
