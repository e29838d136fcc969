"""Deterministic seed data for the sandbox's GitLab: the two projects the product writes to
(feedback and support-ops, with their labels and a README each) and the Support Managers as
GitLab users. No randomness: the same call always writes the same documents.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from sandbox.core.collections import GL_FILES, GL_PROJECTS, GL_USERS
from sandbox.core.store import Store
from sandbox.pagerduty.seed import people

GL_WEB = "https://gitlab.com"

FEEDBACK_LABELS = [
    ("feedback::negative", "#d9534f", "A customer gave a bad satisfaction rating."),
    ("feedback::positive", "#5cb85c", "A good rating with a comment."),
    ("route::product", "#428bca", "Reason: GitLab doesn't meet my needs."),
    ("route::support-managers", "#f0ad4e", "Reasons Support Managers follow up."),
    ("reason::needs-not-met", "#8e44ad", "GitLab doesn't meet my needs"),
    ("reason::not-timely", "#8e44ad", "The answer wasn't delivered in a timely manner"),
    ("reason::not-resolved", "#8e44ad", "My issue was not resolved"),
    ("reason::not-helpful", "#8e44ad", "The answer wasn't helpful"),
    ("reason::other", "#8e44ad", "Some other reason"),
    ("reason::none", "#8e44ad", "A bad rating without a reason"),
    ("SSAT", "#34495e", "Support satisfaction feedback."),
    # The labels the feedback issues use (docs/feedback-issues.md).
    ("satisfaction::bad", "#d9534f", "A bad satisfaction rating."),
    ("satisfaction::good", "#5cb85c", "A good satisfaction rating with a comment."),
    ("ssat-route::product", "#428bca", "Routed to the Product team."),
    ("ssat-route::support-managers", "#f0ad4e", "Routed to the Support Managers."),
    *((f"ssat-reason::{key}", "#8e44ad", text) for key, text in (
        ("product-needs", "GitLab doesn't meet my needs"),
        ("not-timely", "The answer wasn't delivered in a timely manner"),
        ("not-resolved", "My issue was not resolved"), ("not-helpful", "The answer wasn't helpful"),
        ("other", "Some other reason"), ("none", "A bad rating without a reason"))),
]
SUPPORT_OPS_LABELS = [
    ("Shared Organization Request", "#428bca", "Make a Zendesk organization shared."),
    ("crm-check", "#d9534f", "Salesforce/Zendesk data-integrity findings."),
    ("bulk-sync", "#5cb85c", "Salesforce → Zendesk organization sync."),
    ("Zendesk", "#34495e", ""),
    ("Salesforce", "#34495e", ""),
]

_GL_PROJECTS = [
    (1001, "gitlab-com/support", "feedback", "Feedback",
     "Customer satisfaction feedback: one issue per negative rating.", FEEDBACK_LABELS),
    (1002, "gitlab-com/support/support-ops", "support-ops-project", "Support Ops Project",
     "Requests and reports for Support Operations.", SUPPORT_OPS_LABELS),
]


def seed_gitlab(store: Store) -> dict[str, int]:
    """Create the feedback and support-ops projects with their labels and a README each."""
    created = "2019-07-09T09:00:00.000Z"
    projects = []
    files = []
    for i, (pid, namespace, path, name, desc, labels) in enumerate(_GL_PROJECTS):
        full = f"{namespace}/{path}"
        ns_name = namespace.rsplit("/", 1)[-1]
        projects.append({
            "id": pid, "name": name, "path": path, "description": desc,
            "name_with_namespace": " / ".join(p.replace("-", " ").title() for p in namespace.split("/"))
            + f" / {name}",
            "path_with_namespace": full, "default_branch": "main", "visibility": "private",
            "created_at": created, "last_activity_at": created, "archived": False,
            "issues_enabled": True, "open_issues_count": 0, "topics": [],
            "namespace": {"id": 500 + i, "name": ns_name, "path": ns_name, "kind": "group",
                          "full_path": namespace, "web_url": f"{GL_WEB}/groups/{namespace}"},
            "web_url": f"{GL_WEB}/{full}",
            "http_url_to_repo": f"{GL_WEB}/{full}.git",
            "branches": ["main"],
            "labels": [{"id": pid * 100 + j, "name": n, "color": c, "description": d,
                        "text_color": "#FFFFFF"} for j, (n, c, d) in enumerate(labels, start=1)],
        })
        readme = f"# {name}\n\n{desc}\n".encode()
        files.append((f"{pid}:main:README.md", file_doc(pid, "README.md", "main", readme, "0" * 40)))
    store.put_many(GL_PROJECTS, [(p["id"], p, 0, p["id"]) for p in projects])
    store.put_many(GL_FILES, [(k, d, 0, None) for k, d in files])
    users = gitlab_users()
    store.put_many(GL_USERS, [(u["id"], u, 0, u["id"]) for u in users])
    return {GL_PROJECTS: len(projects), GL_FILES: len(files), GL_USERS: len(users)}


def gitlab_users() -> list[dict[str, Any]]:
    """The Support Managers (the SSAT reviewing rotation) as GitLab users, public e-mail set to
    their PagerDuty address, so the feedback issues can be assigned to whoever is on call."""
    _, pools = people()
    out = []
    for i, u in enumerate(pools["managers"], start=1):
        username = u["email"].split("@", 1)[0].replace(".", "-")
        out.append({"id": 2000 + i, "username": username, "name": u["name"], "state": "active",
                    "locked": False, "email": u["email"], "public_email": u["email"],
                    "job_title": u["job_title"], "avatar_url": None, "web_url": f"{GL_WEB}/{username}"})
    return out


def file_doc(project_id: int, path: str, ref: str, content: bytes,
             commit_id: str) -> dict[str, Any]:
    """A repository file as GET /projects/:id/repository/files/:path shows it (+ `_project_id`)."""
    return {
        "_project_id": project_id,
        "file_name": path.rsplit("/", 1)[-1], "file_path": path, "size": len(content),
        "encoding": "base64", "content": base64.b64encode(content).decode(),
        "content_sha256": hashlib.sha256(content).hexdigest(), "ref": ref,
        "blob_id": hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(),
        "commit_id": commit_id, "last_commit_id": commit_id,
    }
