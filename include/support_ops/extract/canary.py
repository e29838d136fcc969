"""A canary against silent emptiness: a shape change at the source must not empty the KPIs.

If Zendesk renamed or moved a side-load (as the metric sets once were read from the wrong
place), every page would still parse, every run would be green, and `solved_at` would
quietly become NULL everywhere. The canary watches two things per stream and run:

- tickets: solved (or closed) tickets that arrive without a metric set;
- watched fields: a field the stream's rows always had (the warehouse holds non-empty
  values of it) that this run's rows suddenly all lack.

Each finding is a warning with counts; above `SUPPORT_OPS_CANARY_MAX_MISSING_RATIO` (with
at least `SUPPORT_OPS_CANARY_MIN_SAMPLE` records seen) the run fails with `CanaryTripped`
*before* the page is committed, so the warehouse keeps its last good values (an upsert of
tickets without `solved_at` would otherwise wipe them). See docs/zendesk-api-shapes.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..config import settings

log = logging.getLogger(__name__)

SOLVED_STATUSES = {"solved", "closed"}


class CanaryTripped(RuntimeError):
    """The source's answers look emptied (a shape change?): nothing of this page was written."""


@dataclass(frozen=True)
class Watch:
    """A row column the stream always fills for rows where `applies(row)` holds."""

    column: str
    applies: Callable[[dict], bool] = lambda row: True
    what: str = ""


@dataclass
class _Count:
    seen: int = 0
    missing: int = 0


@dataclass
class Canary:
    """One stream's canary for one run; `check(conn)` runs inside the page's transaction."""

    stream: str
    table: Table | None = None
    watches: tuple[Watch, ...] = ()
    max_missing_ratio: float | None = None
    min_sample: int | None = None
    metric_sets: _Count = field(default_factory=_Count)
    fields: dict[str, _Count] = field(default_factory=dict)
    _page_metric_sets: _Count = field(default_factory=_Count)
    _page_fields: dict[str, _Count] = field(default_factory=dict)
    _had_before: dict[str, bool] = field(default_factory=dict)
    _pending: bool = False
    pages: int = 0

    def __post_init__(self) -> None:
        s = settings()
        if self.max_missing_ratio is None:
            self.max_missing_ratio = float(getattr(s, "canary_max_missing_ratio", 0.2))
        if self.min_sample is None:
            self.min_sample = int(getattr(s, "canary_min_sample", 20))

    # -- observing ---------------------------------------------------------------------
    def begin_page(self) -> None:
        """A new page was fetched; its counts follow (the next `check` judges them once)."""
        self._pending = True
        self._page_metric_sets = _Count()
        self._page_fields = {}

    def tickets_page(self, tickets: list[Any], with_metric_set: Callable[[dict], bool]) -> None:
        """Count the page's solved tickets and those of them carrying a metric set."""
        page = self._page_metric_sets = _Count()
        for t in tickets:
            if isinstance(t, dict) and t.get("status") in SOLVED_STATUSES:
                page.seen += 1
                if not with_metric_set(t):
                    page.missing += 1

    def row(self, row: dict) -> None:
        """Count one loaded row for every watched field that applies to it."""
        for w in self.watches:
            if w.applies(row):
                c = self._page_fields.setdefault(w.column, _Count())
                c.seen += 1
                if row.get(w.column) in (None, "", [], {}):
                    c.missing += 1

    # -- judging -----------------------------------------------------------------------
    def check(self, conn: Connection) -> None:
        """Fold the page into the run's counts, warn, and raise above the threshold.

        Called inside the page's transaction; a second call for the same page (the runner
        writes a page again when the database refused a row) finds nothing new to judge.
        """
        if not self._pending:
            return
        self._pending = False
        self.pages += 1
        page_ms, self._page_metric_sets = self._page_metric_sets, _Count()
        page_fields, self._page_fields = self._page_fields, {}
        problems: list[str] = []
        self.metric_sets.seen += page_ms.seen
        self.metric_sets.missing += page_ms.missing
        if page_ms.missing:
            log.warning(
                "%s: canary: page %d carries %d solved tickets, %d of them without a metric set "
                "(this run: %d of %d); solved_at and the CSAT cohort come from metric sets",
                self.stream, self.pages, page_ms.seen, page_ms.missing,
                self.metric_sets.missing, self.metric_sets.seen)
            if self._over(self.metric_sets):
                problems.append(f"{self.metric_sets.missing} of {self.metric_sets.seen} solved "
                                "tickets arrived without a metric set")
        for w in self.watches:
            page = page_fields.get(w.column)
            if page is None:
                continue
            run = self.fields.setdefault(w.column, _Count())
            run.seen += page.seen
            run.missing += page.missing
            if run.missing < run.seen or not self._always_had(conn, w.column):
                continue  # some rows have it, or it never had values to lose
            log.warning(
                "%s: canary: %d rows this run, none with %s%s, which earlier rows always had",
                self.stream, run.seen, w.column, f" ({w.what})" if w.what else "")
            if self._over(run):
                problems.append(f"{run.seen} rows this run and none has {w.column}, "
                                "which the rows loaded before had")
        if problems:
            raise CanaryTripped(
                f"{self.stream}: the source's answers look emptied: {'; '.join(problems)} "
                f"(threshold {self.max_missing_ratio:.0%} of at least {self.min_sample}). Did the "
                "API's response shape change? Nothing of this page was written; the cursor "
                "stays where it was. See docs/zendesk-api-shapes.md.")

    def _over(self, c: _Count) -> bool:
        assert self.min_sample is not None and self.max_missing_ratio is not None
        return c.seen >= self.min_sample and c.missing / c.seen > self.max_missing_ratio

    def prime(self, engine: Engine) -> None:
        """Ask the warehouse, before the run writes anything, which watched fields earlier
        rows had (one cheap query per field and run)."""
        with engine.connect() as conn:
            for w in self.watches:
                self._always_had(conn, w.column)

    def _always_had(self, conn: Connection, column: str) -> bool:
        """Whether the warehouse holds a non-empty value of `column` (asked once per run)."""
        if column not in self._had_before:
            had = False
            if self.table is not None and column in self.table.c:
                col = self.table.c[column]
                had = conn.execute(select(col).where(col.is_not(None)).limit(1)).first() is not None
            self._had_before[column] = had
        return self._had_before[column]

    def summary(self) -> dict[str, Any]:
        return {"metric_sets": vars(self.metric_sets),
                "fields": {k: vars(v) for k, v in self.fields.items()}}
