"""The monthly feedback export: every rated ticket with a comment, one CSV file per month of
`updated_at`, committed to the feedback project's repository (docs/feedback-issues.md).

A month whose file already holds exactly the content computed now gets no commit; the
changed months go in one commit through the outbound layer (commits API, read back by
comparing the files after a crash).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from typing import Any

from ..kpis.definitions import canonical_reason
from . import rules

COLUMNS = ("rating_id", "ticket_id", "score", "reason", "comment", "organization", "support_level",
           "created_at", "updated_at")
# A spreadsheet opening the file would run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t")


def _iso(ts: dt.datetime | None) -> str:
    if ts is None:
        return ""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: Any) -> str:
    """Customer text as a CSV cell: newlines normalised, a would-be formula prefixed with `'`."""
    s = rules.plain_text(value) if value is not None else ""
    return "'" + s if s.startswith(_FORMULA_START) else s


def month_of(r: rules.Rating) -> str | None:
    ts = r.updated_at or r.created_at
    return None if ts is None else f"{ts.astimezone(dt.UTC) if ts.tzinfo else ts:%Y-%m}"


def exported(ratings: Iterable[rules.Rating]) -> list[rules.Rating]:
    """Good and bad ratings whose comment is not empty (of any month)."""
    return [r for r in ratings if r.score in (rules.GOOD, rules.BAD) and (r.comment or "").strip()]


def month_files(ratings: Iterable[rules.Rating]) -> dict[str, str]:
    """{`feedback/<YYYY>-<MM>.csv`: CSV text} for every month with exported feedback."""
    by_month: dict[str, list[rules.Rating]] = {}
    for r in exported(ratings):
        month = month_of(r)
        if month:
            by_month.setdefault(month, []).append(r)
    return {rules.month_file(m): render(rows) for m, rows in sorted(by_month.items())}


def render(rows: Iterable[rules.Rating]) -> str:
    """One month's CSV (header, rows sorted by rating id, LF line ends, every field quoted as needed)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in sorted(rows, key=lambda r: r.rating_id):
        w.writerow([r.rating_id, r.ticket_id, r.score,
                    canonical_reason(r.reason) if r.score == rules.BAD else "",
                    _cell(r.comment), _cell(r.organization), _cell(r.support_level),
                    _iso(r.created_at), _iso(r.updated_at)])
    return out.getvalue()


def changed(wanted: dict[str, str], current: dict[str, str | None]) -> dict[str, str]:
    """The files whose content differs from the repository's (absent files included)."""
    return {path: text for path, text in wanted.items() if current.get(path) != text}


def commit_key(files: dict[str, str]) -> str:
    """Same files, same content: same idempotency key (a rerun never commits twice)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return f"feedback:export:{digest.hexdigest()[:32]}"


def commit_message(files: dict[str, str]) -> str:
    months = ", ".join(p.removeprefix("feedback/").removesuffix(".csv") for p in sorted(files))
    return f"Feedback export: {months}"
