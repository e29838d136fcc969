"""What the feedback issues read from GitLab (python-gitlab): the project's feedback issues found
by their marker, the GitLab user of an e-mail address, and the first response on an issue.

The marker search is GitLab's issue search (`search` in the description) for the marker prefix,
every page (Link headers), open and closed; the marker in each description names its rating.
User search: `GET /users?search=<address>`. With an ordinary token GitLab matches an address only
as a user's public e-mail; an administrator's token also matches the primary e-mail. Either way
the answer is checked: a user counts only when one of their addresses equals the one asked for.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from . import rules

log = logging.getLogger(__name__)


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    ts = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


@dataclass
class FoundIssue:
    """A feedback issue as GitLab shows it now."""

    rating_id: int
    iid: int
    state: str
    labels: list[str]
    web_url: str | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    closed_at: dt.datetime | None
    user_notes_count: int = 0
    assignees: list[str] = field(default_factory=list)

    @property
    def score(self) -> str | None:
        return rules.score_of(self.labels)

    def label_value(self, prefix: str) -> str | None:
        return next((x.removeprefix(prefix) for x in self.labels if x.startswith(prefix)), None)


def feedback_issues(gl: Any, project: str) -> dict[int, FoundIssue]:
    """{rating id: issue} of every issue of `project` whose description carries a rating marker."""
    found: dict[int, FoundIssue] = {}
    proj = gl.projects.get(project, lazy=True)
    for it in proj.issues.list(search=rules.MARKER_PREFIX, state="all", order_by="created_at", sort="asc",
                               iterator=True, per_page=100, **{"in": "description"}):
        a = it.attributes
        rid = rules.rating_id_in(a.get("description"))
        if rid is None:
            continue
        if rid in found:  # never made by this pipeline; a person copied a description
            log.warning("feedback issues: rating %s is named by %s#%s and #%s; keeping the older #%s",
                        rid, project, found[rid].iid, a["iid"], found[rid].iid)
            continue
        found[rid] = FoundIssue(
            rating_id=rid, iid=int(a["iid"]), state=a.get("state") or "opened", labels=list(a.get("labels") or []),
            web_url=a.get("web_url"), created_at=parse_time(a.get("created_at")),
            updated_at=parse_time(a.get("updated_at")), closed_at=parse_time(a.get("closed_at")),
            user_notes_count=int(a.get("user_notes_count") or 0),
            assignees=[x.get("username") for x in a.get("assignees") or [] if x.get("username")])
    return found


def user_by_email(gl: Any, email: str) -> tuple[int, str] | None:
    """(id, username) of the active GitLab user with this e-mail address, or None."""
    wanted = email.strip().lower()
    for u in gl.users.list(search=email.strip(), iterator=True, per_page=100):
        a = u.attributes
        addresses = {a.get("email"), a.get("public_email")} - {None}
        if not addresses:  # a list shows basic fields only: the user's page has the public e-mail
            detail = gl.users.get(u.id).attributes
            addresses = {detail.get("email"), detail.get("public_email")} - {None}
        if wanted in {str(x).strip().lower() for x in addresses} and a.get("state", "active") == "active":
            return int(a["id"]), str(a["username"])
    return None


def first_response(gl: Any, project: str, iid: int, bot_id: int | None) -> dt.datetime | None:
    """When someone other than the bot first commented (system notes do not count)."""
    issue = gl.projects.get(project, lazy=True).issues.get(iid, lazy=True)
    for n in issue.notes.list(sort="asc", order_by="created_at", iterator=True, per_page=100):
        a = n.attributes
        if not a.get("system") and (a.get("author") or {}).get("id") != bot_id:
            return parse_time(a.get("created_at"))
    return None


def bot_id(gl: Any) -> int | None:
    """The id of the user the token belongs to (whose notes are not responses)."""
    gl.auth()
    return getattr(gl.user, "id", None)
