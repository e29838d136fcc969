"""The CSAT definitions of docs/kpi-definitions.md as constants and small pure helpers.

Kept apart from the computation so the report, the alert and the tests all read the same
words: which tags mean "surveyed", which rating reasons go to which route, what a period is.
"""

from __future__ import annotations

import datetime as dt
import re

from .. import names

SURVEY_TAGS = ("csat_survey_sent", "csat-survey-sent")
MERGED_TAG = "close_by_merge"
SURVEYED_SCORES = frozenset({"offered", "good", "bad"})
RESPONDED_SCORES = frozenset({"good", "bad"})
STAFF_ORG_NAME = names.STAFF_ORG_NAME  # exactly; 'GitLab Inc.' and friends are ordinary customers

PERIOD_TYPES = ("week", "month")
SEGMENT_TYPES = ("all", "support_level", "form")
UNKNOWN_SEGMENT = "unknown"
UNSURVEYED_REASONS = ("merged", "mail_list", "gitlab_team", "other")

# The negative-feedback dropdown (since 2019-07-09) and where each reason is routed.
PRODUCT_REASON = "GitLab doesn't meet my needs"
OTHER_REASON = "Some other reason"
BAD_REASON_ROUTES = {
    PRODUCT_REASON: "product",
    "The answer wasn't delivered in a timely manner": "support_managers",
    "My issue was not resolved": "support_managers",
    "The answer wasn't helpful": "support_managers",
    OTHER_REASON: "support_managers",
}
NO_REASON = "none"
NO_REASON_ROUTE = "support_managers"
# Zendesk reports reason code 0 as this text: the customer picked nothing.
_NO_REASON_TEXTS = frozenset({"", "no reason provided", "none"})


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip().casefold()


_BY_NORM = {_norm(k): k for k in BAD_REASON_ROUTES}


def canonical_reason(text: str | None) -> str:
    """The contract's reason for a bad rating's reason text.

    Matching ignores case, spacing and typographic apostrophes. No reason (or Zendesk's
    "No reason provided") is `none`. Decision for text that is none of the five options
    (a renamed or new dropdown option): it counts as "Some other reason" — routed to the
    support managers, who see the raw text in Zendesk — so the contract's reason set stays
    closed and every bad rating is still counted and routed.
    """
    if not isinstance(text, str):  # None, or a missing value (NaN) from a DataFrame
        return NO_REASON
    key = _norm(text)
    if key in _NO_REASON_TEXTS:
        return NO_REASON
    return _BY_NORM.get(key, OTHER_REASON)


def route_for(reason: str) -> str:
    """`product` or `support_managers` for a canonical reason (or `none`)."""
    return BAD_REASON_ROUTES.get(reason, NO_REASON_ROUTE)


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week containing `day`."""
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def period_start(period_type: str, day: dt.date) -> dt.date:
    if period_type == "week":
        return week_start(day)
    if period_type == "month":
        return month_start(day)
    raise ValueError(f"unknown period type {period_type!r}")


def next_period(period_type: str, start: dt.date) -> dt.date:
    if period_type == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_period(period_type: str, start: dt.date) -> dt.date:
    if period_type == "week":
        return start - dt.timedelta(days=7)
    return (start - dt.timedelta(days=1)).replace(day=1)


def latest_complete(period_type: str, as_of: dt.datetime | dt.date) -> dt.date:
    """Start of the newest period that ended at or before `as_of` (UTC)."""
    if isinstance(as_of, dt.datetime):
        if as_of.tzinfo is not None:
            as_of = as_of.astimezone(dt.UTC)
        day = as_of.date()
    else:
        day = as_of
    return previous_period(period_type, period_start(period_type, day))


def period_label(period_type: str, start: dt.date) -> str:
    """'2026-W46' for weeks (ISO year and week), '2026-10' for months."""
    if period_type == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start:%Y-%m}"


def period_title(period_type: str, start: dt.date) -> str:
    """Human wording: 'Week 2026-W46 (9–15 Nov 2026)' or 'October 2026'."""
    if period_type == "week":
        end = start + dt.timedelta(days=6)
        return f"Week {period_label('week', start)} ({start.day} {start:%b} – {end.day} {end:%b %Y})"
    return f"{start:%B %Y}"


def parse_period(period_type: str, text: str) -> dt.date:
    """A period start from '2026-11-09', '2026-W46' or '2026-10' (CLI input)."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-W(\d{1,2})", text, flags=re.IGNORECASE)
    if m:
        day = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        day = dt.date.fromisoformat(text + "-01")
    else:
        day = dt.date.fromisoformat(text)
    return period_start(period_type, day)


def ratio(numerator: int, denominator: int) -> float | None:
    """The contract's rates: NULL (None) when the denominator is 0."""
    return numerator / denominator if denominator else None
