"""Shared-organization requests: issues of the Support Ops project made from the
`Shared Organization Request` template (templates/), approved by the label `shared-org::approved`.

The template carries a fixed block that this module reads:

    ```shared-org
    zendesk_ticket: 123456          (a ticket number or its URL)
    organization_id: 360000000123
    option: selected_view           (one of the five options, or the seed's wording)
    users: a@example.com, b@example.com   (the selected options only)
    ```

The project comes from the connection `gitlab_default`, extra `support_ops_project`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..config import GITLAB_CONN_ID
from . import options

APPROVED = "shared-org::approved"
TEMPLATE = "Shared Organization Request"
BLOCK = "shared-org"
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_TICKET_URL = re.compile(r"/tickets/(\d+)\b")
KEYS = ("zendesk_ticket", "organization_id", "option", "users")


class RequestError(ValueError):
    """The issue's request block cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Request:
    iid: int
    title: str
    state: str
    labels: tuple[str, ...]
    web_url: str | None
    ticket_id: int | None = None
    organization_id: int | None = None
    option: str | None = None
    users: tuple[str, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def approved(self) -> bool:
        return APPROVED in self.labels

    @property
    def closed(self) -> bool:
        return self.state == "closed"


def support_ops_project(conn_id: str = GITLAB_CONN_ID) -> str:
    """The project path from the connection's extra `support_ops_project`."""
    from airflow.sdk import BaseHook

    project = (BaseHook.get_connection(conn_id).extra_dejson or {}).get("support_ops_project")
    if not project:
        raise ValueError(f"connection {conn_id!r} needs extra 'support_ops_project' (the GitLab project path)")
    return str(project)


def parse_block(text: str | None) -> dict[str, Any]:
    """The request block of an issue description -> {ticket_id, organization_id, option, users}."""
    lines = (text or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"```{BLOCK}"), None)
    if start is None:
        raise RequestError(f"no ```{BLOCK} block: make the issue from the '{TEMPLATE}' template")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("```")), None)
    if end is None:
        raise RequestError(f"the ```{BLOCK} block is not closed with ```")
    values: dict[str, str] = {}
    key = None
    for raw in lines[start + 1:end]:
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.lstrip().startswith("- ") and key == "users":
            values["users"] = f"{values.get('users', '')} {line.lstrip()[2:]}"
            continue
        if ":" not in line:
            raise RequestError(f"cannot read the line {raw.strip()!r} (expected 'key: value')")
        key, value = (p.strip() for p in line.split(":", 1))
        key = key.lower()
        if key not in KEYS:
            raise RequestError(f"unknown key {key!r} in the request block; keys: {', '.join(KEYS)}")
        if key in values:
            raise RequestError(f"{key} is given twice")
        values[key] = value
    missing = [k for k in KEYS[:3] if not values.get(k)]
    if missing:
        raise RequestError(f"the request block lacks {', '.join(missing)}")
    out: dict[str, Any] = {"ticket_id": _ticket(values["zendesk_ticket"]),
                           "organization_id": _number(values["organization_id"], "organization_id")}
    try:
        out["option"] = options.normalize(values["option"])
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    users = [u.strip().strip("<>").lower() for u in re.split(r"[\s,;]+", values.get("users", "")) if u.strip()]
    bad = [u for u in users if not _EMAIL.match(u)]
    if bad:
        raise RequestError(f"not an e-mail address: {', '.join(bad[:5])}")
    if out["option"] in options.SELECTED and not users:
        raise RequestError(f"option {out['option']} needs the selected users' e-mail addresses (users:)")
    if out["option"] not in options.SELECTED and users:
        raise RequestError(f"option {out['option']} applies to every user: leave users: empty")
    out["users"] = tuple(dict.fromkeys(users))
    return out


def _number(value: str, name: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise RequestError(f"{name} must be a number, got {value!r}") from None
    if n <= 0:
        raise RequestError(f"{name} must be a positive number, got {n}")
    return n


def _ticket(value: str) -> int:
    m = _TICKET_URL.search(value)
    return int(m.group(1)) if m else _number(value.lstrip("#"), "zendesk_ticket")


def from_issue(attrs: dict[str, Any]) -> Request:
    """A request from an issue's attributes (python-gitlab `issue.attributes`); a block that
    cannot be read gives a request with `error` set."""
    base = {"iid": int(attrs["iid"]), "title": str(attrs.get("title") or ""), "state": str(attrs.get("state") or ""),
            "labels": tuple(attrs.get("labels") or ()), "web_url": attrs.get("web_url")}
    try:
        parsed = parse_block(attrs.get("description"))
    except RequestError as exc:
        return Request(**base, error=str(exc))
    return Request(**base, **parsed)


def approved_requests(gl: Any, project: str) -> list[Request]:
    """Every issue labelled shared-org::approved (open and closed), oldest first."""
    proj = gl.projects.get(project, lazy=True)
    found = proj.issues.list(labels=[APPROVED], state="all", order_by="created_at", sort="asc",
                             iterator=True, per_page=100)
    return [from_issue(it.attributes) for it in found]


def read_request(gl: Any, project: str, iid: int) -> Request:
    """One issue as a request (any labels)."""
    return from_issue(gl.projects.get(project, lazy=True).issues.get(int(iid)).attributes)


def latest_by_org(requests: list[Request]) -> dict[int, Request]:
    """The request that counts per organization: its most recent approved one (highest iid)."""
    out: dict[int, Request] = {}
    for r in requests:
        if r.approved and r.error is None and r.organization_id is not None:
            if r.organization_id not in out or r.iid > out[r.organization_id].iid:
                out[r.organization_id] = r
    return out
