"""GitLab issues, notes, issue updates and commits through python-gitlab (connection `gitlab_default`:
host = GitLab URL, password = access token).

Every issue and note carries a marker (an HTML comment, invisible when rendered) naming its
write, so a rerun finds what an interrupted attempt created instead of creating it twice
(GitLab REST API: issue search `search` + `in=description`, issue notes, repository files).
Issue updates and commits are found by reading the issue or the files back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..config import GITLAB_CONN_ID
from .compare import differences, same
from .model import Delivery, Outcome, StoredWrite, Write
from .targets import Target

_KEY_OK = re.compile(r"^[A-Za-z0-9:._/+-]+$")
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-!|~])")
_REFERENCE = re.compile(r"([@~%$#!])(?=\w)")
_QUICK_ACTION = re.compile(r"^(\s*)/", re.M)


def escape_markdown(text: object) -> str:
    """Untrusted text (a customer's comment, an organization name) as plain text in GitLab Markdown.

    HTML is entity-escaped (no raw HTML, and no `<!--` that could forge a write marker);
    Markdown punctuation is backslash-escaped (no links, images, emphasis or headings); a line
    starting with `/` cannot be a quick action; `@user`, `~label`, `%milestone`, `$snippet`,
    `#issue` and `!merge request` references are broken with a word joiner. Plain URLs stay
    as the customer wrote them."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    s = _QUICK_ACTION.sub(r"\1\\/", s)
    return _REFERENCE.sub("\\1\u2060", s)


def marker_for(key: str) -> str:
    """The invisible marker that names a write in an issue or note body."""
    if not _KEY_OK.match(key) or "--" in key:
        raise ValueError(f"GitLab write key {key!r}: letters, digits and :._/+- only, no '--'")
    return f"<!-- support-ops:write:{key} -->"


def issue(key: str, project: str, title: str, description: str, *, labels: Sequence[str] = (),
          assignee_ids: Sequence[int] = (), confidential: bool = False, marker: str | None = None) -> Write:
    """A planned new issue; `description` is already escaped for GitLab Markdown."""
    marker = marker or marker_for(key)
    body = description if marker in description else f"{description}\n\n{marker}"
    after = {"project": project, "title": title, "description": body, "labels": list(labels),
             "assignee_ids": list(assignee_ids), "confidential": confidential, "marker": marker}
    return Write(key=key, action="create_issue", target_ref=project, summary=f"{title}\n\n{description}",
                 after=after)


def note(key: str, project: str, issue_iid: int, body: str, *, marker: str | None = None) -> Write:
    """A planned comment on an issue; `body` is already escaped."""
    marker = marker or marker_for(key)
    after = {"project": project, "issue_iid": int(issue_iid), "body": f"{body}\n\n{marker}", "marker": marker}
    return Write(key=key, action="create_note", target_ref=f"{project}#{issue_iid}", summary=body, after=after)


def issue_update(key: str, project: str, issue_iid: int, changes: dict[str, Any], expect: dict[str, Any], *,
                 before: dict[str, Any] | None = None, summary: str | None = None) -> Write:
    """A planned issue edit (`changes` as the API takes them, e.g. add_labels, state_event) and
    `expect`, the issue fields that show it was applied (e.g. {"state": "closed"})."""
    return Write(key=key, action="update_issue", target_ref=f"{project}#{issue_iid}",
                 summary=summary or f"{project}#{issue_iid}: {changes}", before=before,
                 after={"project": project, "issue_iid": int(issue_iid), "changes": changes, "expect": expect})


def commit(key: str, project: str, branch: str, message: str, files: dict[str, str]) -> Write:
    """A planned commit creating or updating `files` ({path: content}) on `branch`."""
    return Write(key=key, action="commit", target_ref=f"{project}@{branch}",
                 summary=f"{message}: {', '.join(sorted(files))}",
                 after={"project": project, "branch": branch, "commit_message": message, "files": files})


def gitlab_client(conn_id: str = GITLAB_CONN_ID) -> Any:
    import gitlab
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if not conn.host or not conn.password:
        raise ValueError(f"connection {conn_id!r} needs host (the GitLab URL) and password (a token)")
    host = conn.host if "://" in conn.host else f"https://{conn.host}"
    return gitlab.Gitlab(host.rstrip("/"), private_token=conn.password, per_page=100)


class GitLabTarget(Target):
    name = "gitlab"
    delivery = Delivery.READ_BACK

    def __init__(self, client_factory: Any = None) -> None:
        self._client_factory = client_factory or gitlab_client
        self._gl: Any = None

    def _client(self) -> Any:
        if self._gl is None:
            self._gl = self._client_factory()
        return self._gl

    def _project(self, path: str) -> Any:
        return self._client().projects.get(path, lazy=True)

    def send_one(self, write: StoredWrite) -> Outcome:
        a = write.after
        project = self._project(a["project"])
        if write.action == "create_issue":
            data = {k: a[k] for k in ("title", "description", "labels", "assignee_ids", "confidential")
                    if a.get(k) not in (None, [])}
            if "labels" in data:
                data["labels"] = ",".join(data["labels"])
            created = project.issues.create(data)
            return Outcome.applied(iid=created.iid, web_url=created.web_url)
        if write.action == "create_note":
            made = project.issues.get(a["issue_iid"], lazy=True).notes.create({"body": a["body"]})
            return Outcome.applied(note_id=made.id, issue_iid=a["issue_iid"])
        if write.action == "update_issue":
            self._client().http_put(f"/projects/{project.encoded_id}/issues/{a['issue_iid']}",
                                    post_data=a["changes"])
            return Outcome.applied(issue_iid=a["issue_iid"])
        if write.action == "commit":
            actions = [{"action": "update" if self._file(project, a["branch"], path) is not None else "create",
                        "file_path": path, "content": content} for path, content in sorted(a["files"].items())]
            made = project.commits.create({"branch": a["branch"], "commit_message": a["commit_message"],
                                           "actions": actions})
            return Outcome.applied(commit=made.id)
        raise ValueError(f"gitlab target cannot {write.action}")

    def reconcile_one(self, write: StoredWrite) -> Outcome | None:
        a = write.after
        project = self._project(a["project"])
        if write.action == "create_issue":
            term = a["marker"].removeprefix("<!-- ").removesuffix(" -->")
            for found in project.issues.list(search=term, iterator=True):
                if a["marker"] in (found.description or ""):
                    return Outcome.applied(iid=found.iid, web_url=found.web_url, read_back=True)
            return None
        if write.action == "create_note":
            for n in project.issues.get(a["issue_iid"], lazy=True).notes.list(iterator=True):
                if a["marker"] in (n.body or ""):
                    return Outcome.applied(note_id=n.id, issue_iid=a["issue_iid"], read_back=True)
            return None
        if write.action == "update_issue":
            current = project.issues.get(a["issue_iid"]).attributes
            return None if differences(a["expect"], current) else Outcome.applied(read_back=True)
        if write.action == "commit":
            ok = all(same(content, self._file(project, a["branch"], path)) for path, content in a["files"].items())
            return Outcome.applied(read_back=True) if ok else None
        raise ValueError(f"gitlab target cannot read back {write.action}")

    @staticmethod
    def _file(project: Any, branch: str, path: str) -> str | None:
        import gitlab

        try:
            return project.files.raw(file_path=path, ref=branch).decode("utf-8")
        except gitlab.GitlabGetError as exc:
            if exc.response_code == 404:
                return None
            raise
