"""Feedback issues: which ratings get an issue, its labels, its title and description, its marker.

Pure functions, no I/O, so the rules are tested alone (docs/feedback-issues.md). Reason texts and
routes come from the KPI definitions (one place for the dropdown's words); customer-written text
goes through the project's GitLab Markdown escaping and is quoted, never rendered.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..kpis.definitions import (
    BAD_REASON_ROUTES,
    NO_REASON,
    OTHER_REASON,
    PRODUCT_REASON,
    canonical_reason,
    route_for,
)
from ..outbound.gitlab import escape_markdown

GOOD, BAD = "good", "bad"
SCORE_LABELS = {GOOD: "satisfaction::good", BAD: "satisfaction::bad"}
REASON_LABEL, ROUTE_LABEL = "ssat-reason::", "ssat-route::"

# The dropdown text (canonical, from kpis.definitions) -> the label key of docs/feedback-issues.md.
REASON_KEYS: dict[str, str] = {
    PRODUCT_REASON: "product-needs",
    "The answer wasn't delivered in a timely manner": "not-timely",
    "My issue was not resolved": "not-resolved",
    "The answer wasn't helpful": "not-helpful",
    OTHER_REASON: "other",
    NO_REASON: "none",
}
if set(REASON_KEYS) != set(BAD_REASON_ROUTES) | {NO_REASON}:  # a new dropdown reason needs a label key
    raise RuntimeError("feedback.rules.REASON_KEYS does not cover kpis.definitions.BAD_REASON_ROUTES")

MARKER_PREFIX = "support-ops:satisfaction-rating:"
_MARKER_RE = re.compile(r"<!-- support-ops:satisfaction-rating:(\d+) -->")
# The comment shown in the issue is cut here (the export keeps it whole); long enough to read,
# short enough that a pasted log does not bury the rest of the issue.
COMMENT_LIMIT = 5000
STALE_GOOD_DAYS = 7
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def is_feedback(score: str | None, comment: str | None) -> bool:
    """Every bad rating, and a good one with a non-empty comment."""
    return score == BAD or (score == GOOD and bool((comment or "").strip()))


def reason_key(reason_text: str | None) -> str:
    """The label key of a bad rating's reason text; unrecognised text is `other`, none is `none`."""
    return REASON_KEYS[canonical_reason(reason_text)]


def route_key(reason_text: str | None) -> str:
    """`product` or `support-managers` (label spelling of the KPI routes)."""
    return route_for(canonical_reason(reason_text)).replace("_", "-")


def labels(score: str, reason_text: str | None) -> list[str]:
    """The issue's labels: the score, and for bad ratings the reason and its route."""
    if score not in SCORE_LABELS:
        raise ValueError(f"a feedback issue is for a good or bad rating, not {score!r}")
    if score == GOOD:
        return [SCORE_LABELS[GOOD]]
    return [SCORE_LABELS[BAD], REASON_LABEL + reason_key(reason_text), ROUTE_LABEL + route_key(reason_text)]


def feedback_labels(all_labels: list[str] | tuple[str, ...]) -> list[str]:
    """The labels of an issue this capability manages (the rest are people's own)."""
    return [x for x in all_labels if x.startswith(("satisfaction::", REASON_LABEL, ROUTE_LABEL))]


def score_of(issue_labels: list[str] | tuple[str, ...]) -> str | None:
    """The score an issue's labels say (None when it has neither satisfaction label)."""
    for score, label in SCORE_LABELS.items():
        if label in issue_labels:
            return score
    return None


def marker(rating_id: int) -> str:
    """The invisible marker naming the rating; found again when the warehouse lost the mapping."""
    return f"<!-- {MARKER_PREFIX}{int(rating_id)} -->"


def rating_id_in(description: str | None) -> int | None:
    """The rating id of the marker in an issue description (the last one: ours is appended)."""
    found = _MARKER_RE.findall(description or "")
    return int(found[-1]) if found else None


def plain_text(text: Any) -> str:
    """Customer text normalised: CRLF and lone CR to LF, control and bidi characters dropped."""
    s = "" if text is None else str(text)
    return _CONTROL.sub("", s.replace("\r\n", "\n").replace("\r", "\n"))


def quote_comment(comment: Any, limit: int = COMMENT_LIMIT) -> str:
    """The customer's comment as a Markdown quote of escaped plain text (docs/feedback-issues.md)."""
    s = plain_text(comment).strip("\n")
    if not s.strip():
        return "_No comment._"
    extra = ""
    if len(s) > limit:
        extra = (f"\n>\n> _(cut at {limit:,} of {len(s):,} characters; the whole comment is in Zendesk "
                 f"and in the feedback export)_")
        s = s[:limit]
    lines = escape_markdown(s).split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines) + extra


@dataclass(frozen=True)
class Rating:
    """What an issue shows about one rating (joined from the warehouse; no requester data)."""

    rating_id: int
    ticket_id: int
    score: str
    reason: str | None
    comment: str | None
    organization: str | None
    support_level: str | None
    group_id: int | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class Manager:
    """The SSAT reviewing manager on call: from PagerDuty, matched (or not) to a GitLab user."""

    name: str
    email: str | None
    gitlab_id: int | None = None
    gitlab_username: str | None = None


def title(r: Rating) -> str:
    return f"Satisfaction {r.score}: ticket #{int(r.ticket_id)}"


def _when(ts: dt.datetime | None) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "unknown"


def _field(value: Any) -> str:
    return escape_markdown(plain_text(value).replace("\n", " ").strip()) if value not in (None, "") else "_none_"


def description(r: Rating, ticket_url: str, manager: Manager | None) -> str:
    """The issue body: the ticket link, score, reason, organization, plan, group, the quoted
    comment and the marker. Every value that is not ours is escaped."""
    lines = [
        f"**Ticket:** [#{int(r.ticket_id)}]({ticket_url})",
        f"**Score:** {r.score}",
    ]
    if r.score == BAD:
        canonical = canonical_reason(r.reason)
        shown = "none given" if canonical == NO_REASON else escape_markdown(canonical)
        given = plain_text(r.reason).strip()
        if canonical == OTHER_REASON and given.casefold() != OTHER_REASON.casefold():
            shown += f" (as given: {_field(given)})"
        lines.append(f"**Reason:** {shown} (route: {route_key(r.reason)})")
    lines += [
        f"**Organization:** {_field(r.organization)}",
        f"**Plan:** {_field(r.support_level)}",
        f"**Assignee group:** {int(r.group_id) if r.group_id is not None else '_none_'}",
        f"**Rated:** {_when(r.updated_at or r.created_at)}",
    ]
    if manager is None:
        lines.append("**Reviewing manager:** nobody is on call in the PagerDuty schedule; not assigned")
    elif manager.gitlab_id is None:
        lines.append(f"**Reviewing manager:** {_field(manager.name)} (on call in PagerDuty; no GitLab user "
                     f"found by their e-mail address, so not assigned)")
    else:
        lines.append(f"**Reviewing manager:** {_field(manager.name)} (assigned)")
    lines += ["", "### Customer comment", "", "_Written by the customer; shown as plain text._", "",
              quote_comment(r.comment), "", marker(r.rating_id)]
    return "\n".join(lines)


def change_note(old: str, new: str) -> str:
    """The note on an issue whose rating changed score."""
    if new == GOOD:
        return f"The customer changed the rating from **{old}** to **{new}**: relabelled `{SCORE_LABELS[GOOD]}`."
    return (f"The customer changed the rating from **{old}** to **{new}**: relabelled `{SCORE_LABELS[BAD]}`"
            f" and reopened if it was closed. Please review.")


CLEANUP_NOTE = (f"Closed automatically: a good rating with no activity on this issue for "
                f"{STALE_GOOD_DAYS} days.")


def month_file(month: str) -> str:
    """`feedback/<YYYY>-<MM>.csv` for a month `YYYY-MM`."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"a month is YYYY-MM, got {month!r}")
    return f"feedback/{month}.csv"
