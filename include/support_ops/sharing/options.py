"""The seed's five shared-organization options and the Zendesk settings they mean, both ways.

Zendesk keeps an organization's sharing in `shared_tickets` (end users see each other's
tickets) and `shared_comments` (and may comment on them); an end user's own access in
`ticket_restriction` (`organization`: the user sees the organization's tickets; `requested`:
only their own; Zendesk API reference, Users and Organizations). Zendesk's Users API has no
per-user comment permission, so the "may comment" of `selected_view_and_comment` is recorded in
the end user's checkbox field named by SUPPORT_OPS_SHARED_COMMENT_FIELD (default
`shared_org_comments`); docs/sharing.md says why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OWN_TICKETS = "own_tickets"
VIEW_ALL = "view_all"
VIEW_AND_COMMENT_ALL = "view_and_comment_all"
SELECTED_VIEW = "selected_view"
SELECTED_VIEW_AND_COMMENT = "selected_view_and_comment"
OPTIONS = (OWN_TICKETS, VIEW_ALL, VIEW_AND_COMMENT_ALL, SELECTED_VIEW, SELECTED_VIEW_AND_COMMENT)
SELECTED = (SELECTED_VIEW, SELECTED_VIEW_AND_COMMENT)

# The seed's wording, accepted in a request block too.
DESCRIPTIONS = {
    OWN_TICKETS: "Users can view and edit their own tickets only",
    VIEW_ALL: "All users can view all tickets but not add comments",
    VIEW_AND_COMMENT_ALL: "All users can view all tickets and add comments to all tickets",
    SELECTED_VIEW: "Only selected users can view all org's tickets",
    SELECTED_VIEW_AND_COMMENT: "Only selected users can view and comment on all org's tickets",
}

# A user's access to the organization's tickets beyond their own.
VIEW, COMMENT = "view", "comment"

# How wide an exposure is, for ordering findings: everyone commenting, everyone reading, some users.
EXPOSURE = {VIEW_AND_COMMENT_ALL: 4, VIEW_ALL: 3, SELECTED_VIEW_AND_COMMENT: 2, SELECTED_VIEW: 1, OWN_TICKETS: 0}


def comment_field() -> str:
    return os.environ.get("SUPPORT_OPS_SHARED_COMMENT_FIELD", "").strip() or "shared_org_comments"


@dataclass(frozen=True)
class Settings:
    """What an option sets: the organization's two flags and the selected users' access."""

    shared_tickets: bool
    shared_comments: bool
    selected_access: str | None  # VIEW or COMMENT for the selected options; None otherwise


_SETTINGS = {
    OWN_TICKETS: Settings(False, False, None),
    VIEW_ALL: Settings(True, False, None),
    VIEW_AND_COMMENT_ALL: Settings(True, True, None),
    SELECTED_VIEW: Settings(False, False, VIEW),
    SELECTED_VIEW_AND_COMMENT: Settings(False, False, COMMENT),
}

# What an organization-wide option already lets every end user do.
ORG_WIDE_ALLOWS: dict[str, tuple[str, ...]] = {OWN_TICKETS: (), VIEW_ALL: (VIEW,),
                                               VIEW_AND_COMMENT_ALL: (VIEW, COMMENT)}


def normalize(option: str) -> str:
    """An option name from a request block: the name, or the seed's wording (any case)."""
    text = " ".join(str(option or "").replace("`", "").split()).strip().lower()
    for name, words in DESCRIPTIONS.items():
        if text in (name, words.lower(), name.replace("_", " ")):
            return name
    raise ValueError(f"unknown option {option!r}; one of: {', '.join(OPTIONS)}")


def settings_for(option: str) -> Settings:
    """Option -> settings."""
    if option not in _SETTINGS:
        raise ValueError(f"unknown option {option!r}; one of: {', '.join(OPTIONS)}")
    return _SETTINGS[option]


def option_for(shared_tickets: bool, shared_comments: bool, user_accesses: Iterable[str | None] = ()) -> str | None:
    """Settings -> option: what an organization and its end users' access amount to.

    None when the flags are no option at all (comments shared, tickets not: Zendesk's own
    screens cannot set that)."""
    if shared_tickets:
        return VIEW_AND_COMMENT_ALL if shared_comments else VIEW_ALL
    if shared_comments:
        return None
    accesses = set(user_accesses)
    if COMMENT in accesses:
        return SELECTED_VIEW_AND_COMMENT
    if VIEW in accesses:
        return SELECTED_VIEW
    return OWN_TICKETS


def user_access(user: dict[str, Any]) -> str | None:
    """An end user's own access to the organization's tickets: COMMENT, VIEW or None."""
    if user.get("ticket_restriction") != "organization":
        return None
    fields = user.get("user_fields") or {}
    return COMMENT if _true(fields.get(comment_field())) else VIEW


def user_settings(access: str | None) -> dict[str, Any]:
    """The user fields that give `access` (None: own tickets only)."""
    return {"ticket_restriction": "organization" if access else "requested",
            "user_fields": {comment_field(): access == COMMENT}}


def org_settings(org: dict[str, Any]) -> dict[str, bool]:
    """An organization's two flags as booleans."""
    return {"shared_tickets": bool(org.get("shared_tickets")), "shared_comments": bool(org.get("shared_comments"))}


def allowed_access(option: str, listed: bool) -> str | None:
    """The widest own access an end user may have under `option` (listed: named in the request)."""
    s = settings_for(option)
    if option in SELECTED:
        return s.selected_access if listed else None
    allows = ORG_WIDE_ALLOWS[option]
    return COMMENT if COMMENT in allows else VIEW if VIEW in allows else None


def wider(have: str | None, allowed: str | None) -> bool:
    rank = {None: 0, VIEW: 1, COMMENT: 2}
    return rank[have] > rank[allowed]


def _true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")
