"""Sandbox imitation of the GitLab REST API v4: projects, issues, notes, commits, files, users.

Quick actions (GitLab docs, user/project/quick_actions.md): a line of an issue description
(on create and on edit) or of a note that starts with a known `/command` is executed and removed
from the text, as GitLab does; fenced code blocks are left alone. The imitation is stricter than
GitLab on purpose: it also executes a command indented or inside a `>` quote, so escaping of
customer text is tested against something that would run it. Scoped labels (`scope::value`)
are exclusive, as on GitLab Premium: adding one removes the other of the same scope.

User search (`GET /users?search=`; GitLab REST API docs, api/users.md, and gitlab-org/gitlab
issue 352011: only administrators search by private e-mail): the sandbox's token is an ordinary
(non-admin) bot, so, as on GitLab, a search matches username and name, and an e-mail address
only as a user's public e-mail (exactly); lists show the basic user fields, `/users/:id` adds `public_email`. With
`admin: true` in the GitLab credentials the token is an administrator: search also matches
the primary `email`, and users show it. A user document may carry `_token` (never shown): a
request with it acts as that person (their notes and issues are authored by them).

Project ids may be numeric or URL-encoded paths (`gitlab-com%2Fsupport%2Ffeedback`), and file
paths are URL-encoded too, so requests are dispatched on the raw (still encoded) path. Issue
and note lists are served from small in-memory indexes built once from the store, so filters
and `X-Total` never scan the documents; only the requested page is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.collections import (
    GL_COMMITS,
    GL_FILES,
    GL_ISSUES,
    GL_NOTES,
    GL_PROJECTS,
    GL_USERS,
)
from sandbox.gitlab.seed import file_doc
from sandbox.gitlab.templates import issue_templates

BOT = {"id": 4242, "username": "support-ops-bot", "name": "Support Ops Bot", "state": "active",
       "locked": False, "avatar_url": None, "web_url": "https://gitlab.com/support-ops-bot"}
FIRST_ISSUE_ID = 100001
FIRST_NOTE_ID = 500001


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status_code=status,
                    media_type="application/json", headers=headers)


def _msg(status: int, message: Any) -> Response:
    return _json({"message": message}, status)


def _bad(error: str) -> Response:
    return _json({"error": error}, 400)


def _now_iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        item = str(item).strip()
        if item and item not in out:
            out.append(item)
    return out


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_COMMAND = re.compile(r"^[ \t>]*/([a-z_]+)(?:[ \t]+(.*?))?[ \t]*$")
QUICK_ACTIONS = frozenset({"close", "reopen", "title", "label", "labels", "unlabel", "remove_label",
                           "relabel", "assign", "unassign", "confidential", "lock", "unlock", "due",
                           "remove_due_date", "shrug", "tableflip"})
_LABEL_ARG = re.compile(r'~"([^"]+)"|~([^\s~"]+)')


def extract_quick_actions(text: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    """(the text without its executed command lines, the commands as (name, argument))."""
    if not text:
        return text, []
    kept: list[str] = []
    found: list[tuple[str, str]] = []
    fenced = False
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _COMMAND.match(line)
        if m and m.group(1) in QUICK_ACTIONS:
            found.append((m.group(1), m.group(2) or ""))
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n"), found


def _label_args(arg: str) -> list[str]:
    names = [a or b for a, b in _LABEL_ARG.findall(arg)]
    return names or [x for x in arg.split() if x]


def scoped_exclusive(labels: list[str]) -> list[str]:
    """Keep one label per scope (`a::b` and `a::c` cannot both be set): the last one wins."""
    last: dict[str, str] = {}
    for name in labels:
        if "::" in name:
            last[name.rsplit("::", 1)[0]] = name
    return [n for n in labels if "::" not in n or last[n.rsplit("::", 1)[0]] == n]


@dataclass
class IssueIndex:
    """What list filters need about an issue, kept in memory."""

    iid: int
    state: str
    labels: frozenset[str]
    text: str
    title: str
    created_at: str
    updated_at: str
    author_id: int | None
    assignee_ids: tuple[int, ...]


@dataclass
class ProjectIndex:
    issues: dict[int, IssueIndex] = field(default_factory=dict)
    notes: dict[int, list[int]] = field(default_factory=dict)  # iid -> note ids


class GitLab:
    """Handlers bound to one ServiceContext."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.store = ctx.store
        self._index: dict[int, ProjectIndex] | None = None

    # -- indexes ----------------------------------------------------------------------
    def index(self, pid: int) -> ProjectIndex:
        if self._index is None:
            idx: dict[int, ProjectIndex] = {}
            for doc in self.store.all(GL_ISSUES):
                idx.setdefault(doc["project_id"], ProjectIndex()).issues[doc["iid"]] = \
                    self._issue_index(doc)
            for note in self.store.all(GL_NOTES):
                idx.setdefault(note["project_id"], ProjectIndex()).notes.setdefault(
                    note["noteable_iid"], []).append(note["id"])
            self._index = idx
        return self._index.setdefault(pid, ProjectIndex())

    @staticmethod
    def _issue_index(doc: dict) -> IssueIndex:
        return IssueIndex(
            iid=doc["iid"], state=doc["state"], labels=frozenset(doc.get("labels", [])),
            text=f"{doc.get('title') or ''}\n{doc.get('description') or ''}".lower(),
            title=str(doc.get("title") or "").lower(),
            created_at=doc["created_at"], updated_at=doc["updated_at"],
            author_id=(doc.get("author") or {}).get("id"),
            assignee_ids=tuple(a["id"] for a in doc.get("assignees", [])),
        )

    # -- helpers ----------------------------------------------------------------------
    def now(self) -> str:
        return _now_iso(self.ctx.now())

    def authorized(self, request: Request) -> bool:
        token = self.ctx.credentials.get("token")
        given = request.headers.get("private-token") or request.query_params.get("private_token")
        auth = request.headers.get("authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if bool(token) and given == token:
            request.state.actor = BOT
            return True
        # A person's own token (a data folder's user with `_token`): they act as themselves.
        person = next((u for u in self.store.all(GL_USERS) if given and u.get("_token") == given), None)
        if person is not None:
            request.state.actor = self.basic_user(person)
            return True
        return False

    @staticmethod
    def actor(request: Request) -> dict:
        return getattr(request.state, "actor", BOT)

    def project(self, ident: str) -> dict | None:
        if ident.isdigit():
            return self.store.get(GL_PROJECTS, ident)
        for doc in self.store.all(GL_PROJECTS):
            if doc["path_with_namespace"] == ident:
                return doc
        return None

    @staticmethod
    async def body(request: Request) -> dict:
        raw = await request.body()
        if not raw:
            return dict(request.query_params)
        if "json" in request.headers.get("content-type", ""):
            try:
                data = json.loads(raw)
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        form = await request.form()
        out: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key.endswith("[]"):
                out.setdefault(key[:-2], []).append(value)
            else:
                out[key] = value
        return out

    def web_base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def paginate(self, request: Request, items: list) -> tuple[list, dict[str, str]] | Response:
        q = request.query_params
        try:
            page = max(1, int(q.get("page", 1)))
            per_page = min(100, max(1, int(q.get("per_page", 20))))
        except ValueError:
            return _bad("page and per_page must be integers")
        total = len(items)
        pages = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]

        def link(n: int) -> str:
            return str(request.url.include_query_params(page=n, per_page=per_page))

        rels = []
        if page > 1:
            rels.append(f'<{link(page - 1)}>; rel="prev"')
        if page < pages:
            rels.append(f'<{link(page + 1)}>; rel="next"')
        rels += [f'<{link(1)}>; rel="first"', f'<{link(pages)}>; rel="last"']
        headers = {
            "Link": ", ".join(rels), "X-Total": str(total), "X-Total-Pages": str(pages),
            "X-Page": str(page), "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        return chunk, headers

    # -- dispatch ---------------------------------------------------------------------
    async def dispatch(self, request: Request) -> Response:
        if not self.authorized(request):
            return _msg(401, "401 Unauthorized")
        raw = request.scope.get("raw_path") or request.url.path.encode()
        raw = raw.decode("latin-1").split("?", 1)[0]
        parts = [unquote(p) for p in raw[len("/api/v4/"):].split("/") if p != ""]
        m = request.method
        if parts == ["user"]:  # python-gitlab compares web_url with the URL it was given
            me = self.actor(request)
            return _json({**me, "web_url": f"{self.web_base(request)}/{me['username']}"})
        if parts and parts[0] == "users":
            return self.users(request, parts[1:])
        if not parts or parts[0] != "projects":
            return _msg(404, "404 Not Found")
        if len(parts) == 1:
            return self.list_projects(request) if m == "GET" else _msg(405, "405 Method Not Allowed")
        project = self.project(parts[1])
        if project is None:
            return _msg(404, "404 Project Not Found")
        rest = parts[2:]
        if not rest:
            return _json(self.public_project(project))
        if rest == ["labels"]:
            return self._paged(request, project.get("labels", []))
        if rest[0] == "issues":
            return await self.issues(request, project, rest[1:])
        if rest[:2] == ["repository", "commits"]:
            if len(rest) == 2:
                if m == "POST":
                    return await self.create_commit(request, project)
                return self.list_commits(request, project)
            doc = self.store.get(GL_COMMITS, rest[2])
            if doc is None or doc.get("project_id") != project["id"]:
                return _msg(404, "404 Commit Not Found")
            return _json(self.public_commit(doc))
        if rest[:2] == ["repository", "files"] and len(rest) >= 3:
            return await self.files(request, project, rest[2], rest[3:] == ["raw"])
        if rest[:2] == ["templates", "issues"] and m == "GET":  # templates.py
            return issue_templates(self.store, project, rest[2:])
        return _msg(404, "404 Not Found")

    def _paged(self, request: Request, items: list) -> Response:
        res = self.paginate(request, items)
        if isinstance(res, Response):
            return res
        chunk, headers = res
        return _json(chunk, headers=headers)

    # -- users (loaded from a data folder's gitlab/users.json) ---------------------------
    def is_admin(self) -> bool:
        return bool(self.ctx.credentials.get("admin"))

    def basic_user(self, doc: dict, *, detail: bool = False) -> dict:
        """A user as GitLab lists it (UserBasic); `detail` adds what GET /users/:id shows."""
        out = {k: doc.get(k) for k in ("id", "username", "name", "state", "locked", "avatar_url", "web_url")}
        out["state"] = out["state"] or "active"
        out["locked"] = bool(out["locked"])
        out["web_url"] = out["web_url"] or f"https://gitlab.com/{doc.get('username')}"
        if detail:
            out["public_email"] = doc.get("public_email") or ""
            out["bio"], out["job_title"] = doc.get("bio") or "", doc.get("job_title") or ""
        if self.is_admin():
            out["email"] = doc.get("email")
        return out

    def user_by(self, *, uid: int | None = None, username: str | None = None) -> dict | None:
        for u in self.store.all(GL_USERS):
            if (uid is not None and u.get("id") == uid) or (
                    username is not None and str(u.get("username", "")).lower() == username.lower()):
                return u
        return None

    def assignee(self, uid: int) -> dict:
        doc = self.user_by(uid=uid)
        if doc:
            return self.basic_user(doc)
        return {"id": uid, "username": f"user{uid}", "name": f"User {uid}", "state": "active"}

    def users(self, request: Request, rest: list[str]) -> Response:
        """GET /users (`username`, `search`, `active` filters) and GET /users/:id."""
        if request.method != "GET":
            return _msg(405, "405 Method Not Allowed")
        if rest:
            doc = self.store.get(GL_USERS, rest[0]) if len(rest) == 1 and rest[0].isdigit() else None
            return _json(self.basic_user(doc, detail=True)) if doc else _msg(404, "404 User Not Found")
        q = request.query_params
        name, search = (q.get("username") or "").lower(), (q.get("search") or "").strip().lower()
        admin = self.is_admin()

        def found(u: dict) -> bool:
            if not search:
                return True
            if any(search in str(u.get(f) or "").lower() for f in ("username", "name")):
                return True
            emails = [u.get("public_email")] + ([u.get("email")] if admin else [])
            return any(search == str(e or "").strip().lower() for e in emails)

        items = [self.basic_user(u) for u in self.store.all(GL_USERS)
                 if (not name or str(u.get("username", "")).lower() == name) and found(u)
                 and (not _truthy(q.get("active")) or u.get("state") == "active")]
        return self._paged(request, items)

    # -- quick actions --------------------------------------------------------------------
    def run_quick_actions(self, project: dict, doc: dict, commands: list[tuple[str, str]]) -> None:
        """Apply the commands of a description or note to the issue, as GitLab does."""
        for cmd, arg in commands:
            arg = arg.strip()
            if cmd == "close" and doc["state"] != "closed":
                doc.update(state="closed", closed_at=self.now(), closed_by=BOT)
            elif cmd == "reopen" and doc["state"] != "opened":
                doc.update(state="opened", closed_at=None, closed_by=None)
            elif cmd == "title" and arg:
                doc["title"] = arg
            elif cmd in ("label", "labels"):
                doc["labels"] = doc.get("labels", []) + [x for x in _label_args(arg) if x not in doc.get("labels", [])]
            elif cmd in ("unlabel", "remove_label"):
                gone = set(_label_args(arg)) if arg else set(doc.get("labels", []))
                doc["labels"] = [x for x in doc.get("labels", []) if x not in gone]
            elif cmd == "relabel":
                doc["labels"] = _label_args(arg)
            elif cmd == "assign":
                names = [a.lstrip("@") for a in arg.split() if a]
                users = [BOT if n == "me" else self.user_by(username=n) for n in names]
                refs = [self.basic_user(u) if u is not BOT else BOT for u in users if u]
                have = {a["id"] for a in doc.get("assignees", [])}
                doc["assignees"] = doc.get("assignees", []) + [r for r in refs if r["id"] not in have]
            elif cmd == "unassign":
                names = {a.lstrip("@").lower() for a in arg.split() if a}
                doc["assignees"] = [a for a in doc.get("assignees", [])
                                    if names and str(a.get("username", "")).lower() not in names]
            elif cmd == "confidential":
                doc["confidential"] = True
            elif cmd in ("lock", "unlock"):
                doc["discussion_locked"] = cmd == "lock"
            elif cmd == "due" and arg:
                doc["due_date"] = arg
            elif cmd == "remove_due_date":
                doc["due_date"] = None
        doc["labels"] = sorted(scoped_exclusive(doc.get("labels", [])), key=str.lower)
        doc["assignee"] = doc["assignees"][0] if doc.get("assignees") else None
        self._remember_labels(project, doc["labels"])
        doc.setdefault("_quick_actions", []).extend(f"/{c} {a}".strip() for c, a in commands)

    # -- projects ---------------------------------------------------------------------
    @staticmethod
    def public_project(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if k not in ("labels", "branches", "branch_heads")}

    def list_projects(self, request: Request) -> Response:
        search = (request.query_params.get("search") or "").lower()
        items = [self.public_project(d) for d in self.store.all(GL_PROJECTS)
                 if not search or search in d["path_with_namespace"].lower()
                 or search in d["name"].lower()]
        return self._paged(request, items)

    def _remember_labels(self, project: dict, labels: list[str]) -> None:
        known = {lab["name"] for lab in project.get("labels", [])}
        new = [name for name in labels if name not in known]
        if not new:
            return
        base = max((lab["id"] for lab in project.get("labels", [])), default=project["id"] * 100)
        for i, name in enumerate(new, start=1):
            project.setdefault("labels", []).append(
                {"id": base + i, "name": name, "color": "#6699cc", "description": None,
                 "text_color": "#FFFFFF"})
        self.store.put(GL_PROJECTS, project["id"], project, 0, project["id"])

    # -- issues -----------------------------------------------------------------------
    async def issues(self, request: Request, project: dict, rest: list[str]) -> Response:
        m = request.method
        if not rest:
            if m == "POST":
                return await self.create_issue(request, project)
            return self.list_issues(request, project)
        if not rest[0].isdigit():
            return _msg(404, "404 Not Found")
        iid = int(rest[0])
        doc = self.store.get(GL_ISSUES, f"{project['id']}:{iid}")
        if doc is None:
            return _msg(404, "404 Issue Not Found")
        if len(rest) == 1:
            if m == "PUT":
                return await self.update_issue(request, project, doc)
            return _json(self.public_issue(doc))
        if rest[1:] == ["notes"]:
            if m == "POST":
                return await self.create_note(request, project, doc)
            return self.list_notes(request, project, doc)
        return _msg(404, "404 Not Found")

    @staticmethod
    def public_issue(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def _save_issue(self, doc: dict) -> None:
        self.store.put(GL_ISSUES, f"{doc['project_id']}:{doc['iid']}", doc,
                       int(self.ctx.now()), doc["id"])
        self.index(doc["project_id"]).issues[doc["iid"]] = self._issue_index(doc)

    async def create_issue(self, request: Request, project: dict) -> Response:
        data = await self.body(request)
        title = str(data.get("title") or "").strip()
        if not title:
            return _bad("title is missing")
        idx = self.index(project["id"])
        iid = max(idx.issues, default=0) + 1
        now = self.now()
        labels = sorted(scoped_exclusive(_labels(data.get("labels"))), key=str.lower)
        assignees = [self.assignee(int(a)) for a in _labels(data.get("assignee_ids")) if str(a).isdigit()]
        if data.get("assignee_id") and str(data["assignee_id"]).isdigit() and not assignees:
            assignees = [self.assignee(int(data["assignee_id"]))]
        description, commands = extract_quick_actions(data.get("description"))
        web = f"{self.web_base(request)}/{project['path_with_namespace']}/-/issues/{iid}"
        doc = {
            "id": self.store.next_id(GL_ISSUES, FIRST_ISSUE_ID), "iid": iid,
            "project_id": project["id"], "title": title,
            "description": description, "state": "opened",
            "created_at": now, "updated_at": now, "closed_at": None, "closed_by": None,
            "labels": labels, "milestone": None, "assignees": assignees,
            "assignee": assignees[0] if assignees else None, "author": self.actor(request), "type": "ISSUE",
            "issue_type": "issue", "user_notes_count": 0, "merge_requests_count": 0,
            "upvotes": 0, "downvotes": 0, "due_date": data.get("due_date"),
            "confidential": _truthy(data.get("confidential", False)),
            "discussion_locked": None, "web_url": web,
            "references": {"short": f"#{iid}", "relative": f"#{iid}",
                           "full": f"{project['path_with_namespace']}#{iid}"},
            "time_stats": {"time_estimate": 0, "total_time_spent": 0},
        }
        self._remember_labels(project, labels)
        if commands:
            self.run_quick_actions(project, doc, commands)
        self._save_issue(doc)
        return _json(self.public_issue(doc), 201)

    def list_issues(self, request: Request, project: dict) -> Response:
        q = request.query_params
        state = q.get("state", "all")
        want = _labels(q.get("labels"))
        search = (q.get("search") or "").lower()
        where = {w.strip() for w in (q.get("in") or "title,description").split(",") if w.strip()}
        if not where <= {"title", "description"}:
            return _bad("in does not have a valid value")
        iids = {int(v) for v in q.getlist("iids[]") + q.getlist("iids") if v.isdigit()}
        author = q.get("author_id")
        assignee = q.get("assignee_id")
        bounds = {k: q.get(k) for k in ("created_after", "created_before",
                                        "updated_after", "updated_before")}
        bounded = any(bounds.values())
        rows = []
        for it in self.index(project["id"]).issues.values():
            if state in ("opened", "closed") and it.state != state:
                continue
            if want == ["None"] and it.labels or want == ["Any"] and not it.labels:
                continue
            if want not in (["None"], ["Any"]) and not set(want) <= it.labels:
                continue
            if search and not self._text_matches(it, search, where):
                continue
            if iids and it.iid not in iids:
                continue
            if author and str(it.author_id) != author:
                continue
            if assignee and not self._assignee_matches(assignee, it.assignee_ids):
                continue
            if bounded and not self._in_bounds(it, bounds):
                continue
            rows.append(it)
        order = q.get("order_by", "created_at")
        key = (lambda it: it.updated_at) if order == "updated_at" else (lambda it: it.created_at)
        rows.sort(key=lambda it: (key(it), it.iid), reverse=q.get("sort", "desc") != "asc")
        res = self.paginate(request, rows)
        if isinstance(res, Response):
            return res
        chunk, headers = res
        keys = [f"{project['id']}:{it.iid}" for it in chunk]
        docs = {d["iid"]: d for d in self.store.get_many(GL_ISSUES, keys)}
        return _json([self.public_issue(docs[it.iid]) for it in chunk if it.iid in docs], headers=headers)

    @staticmethod
    def _text_matches(it: IssueIndex, search: str, where: set[str]) -> bool:
        """GitLab's issue `search`, in the title and/or description (`in`)."""
        if where == {"title"}:
            return search in it.title
        if where == {"description"}:
            return search in it.text[len(it.title) + 1:]
        return search in it.text

    @staticmethod
    def _assignee_matches(wanted: str, ids: tuple[int, ...]) -> bool:
        if wanted == "None":
            return not ids
        if wanted == "Any":
            return bool(ids)
        return wanted.isdigit() and int(wanted) in ids

    @staticmethod
    def _in_bounds(it: IssueIndex, bounds: dict[str, str | None]) -> bool:
        def norm(v: str) -> str:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(UTC).isoformat()

        try:
            created, updated = norm(it.created_at), norm(it.updated_at)
            if bounds["created_after"] and created < norm(bounds["created_after"]):
                return False
            if bounds["created_before"] and created > norm(bounds["created_before"]):
                return False
            if bounds["updated_after"] and updated < norm(bounds["updated_after"]):
                return False
            if bounds["updated_before"] and updated > norm(bounds["updated_before"]):
                return False
        except ValueError:
            return True
        return True

    async def update_issue(self, request: Request, project: dict, doc: dict) -> Response:
        data = await self.body(request)
        commands: list[tuple[str, str]] = []
        if "description" in data:
            data["description"], commands = extract_quick_actions(data["description"])
        for fld in ("title", "description", "due_date"):
            if fld in data:
                doc[fld] = data[fld]
        if "confidential" in data:
            doc["confidential"] = _truthy(data["confidential"])
        if "discussion_locked" in data:
            doc["discussion_locked"] = _truthy(data["discussion_locked"])
        labels = list(doc.get("labels", []))
        if "labels" in data:
            labels = _labels(data["labels"])
        labels += [lab for lab in _labels(data.get("add_labels")) if lab not in labels]
        remove = set(_labels(data.get("remove_labels")))
        doc["labels"] = sorted(scoped_exclusive([lab for lab in labels if lab not in remove]), key=str.lower)
        self._remember_labels(project, doc["labels"])
        if "assignee_ids" in data:
            ids = [int(a) for a in _labels(data["assignee_ids"]) if str(a).isdigit()]
            doc["assignees"] = [self.assignee(a) for a in ids]
            doc["assignee"] = doc["assignees"][0] if doc["assignees"] else None
        event = data.get("state_event")
        now = self.now()
        if event == "close" and doc["state"] != "closed":
            doc.update(state="closed", closed_at=now, closed_by=BOT)
        elif event == "reopen" and doc["state"] != "opened":
            doc.update(state="opened", closed_at=None, closed_by=None)
        elif event not in (None, "close", "reopen"):
            return _bad("state_event does not have a valid value")
        if commands:
            self.run_quick_actions(project, doc, commands)
        doc["updated_at"] = now
        self._save_issue(doc)
        return _json(self.public_issue(doc))

    # -- notes ------------------------------------------------------------------------
    async def create_note(self, request: Request, project: dict, issue: dict) -> Response:
        data = await self.body(request)
        text = str(data.get("body") or "").strip()
        if not text:
            return _bad("body is missing")
        text, commands = extract_quick_actions(text)
        if commands:
            self.run_quick_actions(project, issue, commands)
            issue["updated_at"] = self.now()
            self._save_issue(issue)
            if not (text or "").strip():  # only commands: GitLab runs them and keeps no note
                return _json({"commands_changes": {}, "summary": [f"/{c}" for c, _ in commands]}, 202)
        now = self.now()
        nid = self.store.next_id(GL_NOTES, FIRST_NOTE_ID)
        note = {
            "id": nid, "type": None, "body": text, "attachment": None, "author": self.actor(request),
            "created_at": now, "updated_at": now, "system": False,
            "noteable_id": issue["id"], "noteable_type": "Issue", "noteable_iid": issue["iid"],
            "project_id": project["id"], "resolvable": False,
            "confidential": _truthy(data.get("confidential", False)),
            "internal": _truthy(data.get("internal", False)),
        }
        self.store.put(GL_NOTES, f"{project['id']}:{issue['iid']}:{nid}", note,
                       int(self.ctx.now()), nid)
        self.index(project["id"]).notes.setdefault(issue["iid"], []).append(nid)
        issue["user_notes_count"] = issue.get("user_notes_count", 0) + 1
        issue["updated_at"] = now
        self._save_issue(issue)
        return _json(note, 201)

    def list_notes(self, request: Request, project: dict, issue: dict) -> Response:
        ids = list(self.index(project["id"]).notes.get(issue["iid"], []))
        if request.query_params.get("sort", "desc") != "asc":
            ids.reverse()
        res = self.paginate(request, ids)
        if isinstance(res, Response):
            return res
        chunk, headers = res
        keys = [f"{project['id']}:{issue['iid']}:{n}" for n in chunk]
        docs = {d["id"]: d for d in self.store.get_many(GL_NOTES, keys)}
        return _json([docs[n] for n in chunk if n in docs], headers=headers)

    # -- repository -------------------------------------------------------------------
    @staticmethod
    def public_commit(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def list_commits(self, request: Request, project: dict) -> Response:
        q = request.query_params
        ref = q.get("ref_name") or project.get("default_branch", "main")
        path = q.get("path")
        rows = [d for d in self.store.all(GL_COMMITS)
                if d.get("project_id") == project["id"] and d.get("_branch") == ref
                and (not path or path in d.get("_paths", []))
                and (not q.get("since") or d["committed_date"] >= q["since"])
                and (not q.get("until") or d["committed_date"] <= q["until"])]
        rows.reverse()
        return self._paged(request, [self.public_commit(d) for d in rows])

    def _file_key(self, project: dict, ref: str, path: str) -> str:
        return f"{project['id']}:{ref}:{path}"

    def _commit(self, request: Request, project: dict, branch: str, start_branch: str | None,
                message: str, actions: list[dict], data: dict) -> dict | Response:
        """Apply file actions as one commit on `branch`; the shared core of both APIs."""
        if not branch:
            return _bad("branch is missing")
        if not message:
            return _bad("commit_message is missing")
        branches = project.setdefault("branches", [project.get("default_branch", "main")])
        new_branch = branch not in branches
        if new_branch and (not start_branch or start_branch not in branches):
            return _msg(400, "You can only create or edit files when you are on a branch")
        source = start_branch if new_branch else branch
        changes: list[tuple[str, bytes | None]] = []
        for act in actions:
            kind, path = act.get("action"), act.get("file_path")
            if not path or kind not in ("create", "update", "delete"):
                return _bad("actions is invalid")
            exists = self.store.get(GL_FILES, self._file_key(project, source, path)) is not None
            if kind == "create" and exists:
                return _msg(400, "A file with this name already exists")
            if kind != "create" and not exists:
                return _msg(400, "A file with this name doesn't exist")
            if kind == "delete":
                changes.append((path, None))
                continue
            content = act.get("content") or ""
            try:
                raw = (base64.b64decode(content, validate=True)
                       if act.get("encoding") == "base64" else str(content).encode())
            except (binascii.Error, ValueError):
                return _bad("content is not valid base64")
            changes.append((path, raw))
        now = self.now()
        heads = project.setdefault("branch_heads", {})
        parent = heads.get(source)
        sha = hashlib.sha1(f"{project['id']}{branch}{parent}{message}{now}{uuid.uuid4()}"
                           .encode()).hexdigest()
        if new_branch:
            for doc in self.store.all(GL_FILES):
                if doc.get("_project_id") == project["id"] and doc["ref"] == source:
                    self.store.put(GL_FILES, self._file_key(project, branch, doc["file_path"]),
                                   {**doc, "ref": branch})
            branches.append(branch)
        for path, change in changes:
            key = self._file_key(project, branch, path)
            if change is None:
                self.store.delete(GL_FILES, key)
            else:
                self.store.put(GL_FILES, key, file_doc(project["id"], path, branch, change, sha))
        heads[branch] = sha
        project["last_activity_at"] = now
        self.store.put(GL_PROJECTS, project["id"], project, 0, project["id"])
        author = data.get("author_name") or BOT["name"]
        email = data.get("author_email") or "support-ops-bot@example.com"
        commit = {
            "id": sha, "short_id": sha[:8], "title": message.splitlines()[0],
            "message": message, "author_name": author, "author_email": email,
            "authored_date": now, "committer_name": author, "committer_email": email,
            "committed_date": now, "created_at": now, "parent_ids": [parent] if parent else [],
            "web_url": f"{self.web_base(request)}/{project['path_with_namespace']}/-/commit/{sha}",
            "stats": {"additions": 0, "deletions": 0, "total": 0}, "status": None,
            "project_id": project["id"], "_branch": branch, "_paths": [p for p, _ in changes],
        }
        self.store.put(GL_COMMITS, sha, commit, int(self.ctx.now()))
        return commit

    async def create_commit(self, request: Request, project: dict) -> Response:
        data = await self.body(request)
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions:
            return _bad("actions is missing")
        res = self._commit(request, project, data.get("branch", ""), data.get("start_branch"),
                           data.get("commit_message", ""), actions, data)
        return res if isinstance(res, Response) else _json(self.public_commit(res), 201)

    async def files(self, request: Request, project: dict, path: str, raw: bool) -> Response:
        m = request.method
        if m in ("GET", "HEAD"):
            ref = request.query_params.get("ref") or (
                project.get("default_branch", "main") if raw else None)
            if not ref:
                return _bad("ref is missing")
            doc = self.store.get(GL_FILES, self._file_key(project, ref, path))
            if doc is None:
                return _msg(404, "404 File Not Found")
            if raw:
                return Response(base64.b64decode(doc["content"]), media_type="text/plain")
            return _json({k: v for k, v in doc.items() if not k.startswith("_")})
        data = await self.body(request)
        kind = {"POST": "create", "PUT": "update", "DELETE": "delete"}.get(m)
        if kind is None:
            return _msg(405, "405 Method Not Allowed")
        if kind != "delete" and data.get("content") is None:
            return _bad("content is missing")
        action = {"action": kind, "file_path": path, "content": data.get("content"),
                  "encoding": data.get("encoding", "text")}
        res = self._commit(request, project, data.get("branch", ""), data.get("start_branch"),
                           data.get("commit_message", ""), [action], data)
        if isinstance(res, Response):
            return res
        if kind == "delete":
            return Response(status_code=204)
        return _json({"file_path": path, "branch": data.get("branch")},
                     201 if kind == "create" else 200)


def routes(ctx) -> list[Route]:
    gl = GitLab(ctx)
    methods = ["GET", "POST", "PUT", "DELETE", "HEAD"]
    return [Route("/api/v4/{rest:path}", gl.dispatch, methods=methods)]
