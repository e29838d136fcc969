"""GitLab imitation: project issue templates (GitLab REST API, "Project templates").

`GET /api/v4/projects/:id/templates/issues` lists the Markdown files under
`.gitlab/issue_templates/` of the default branch as `[{"key", "name"}]` (the file name without
`.md`); `GET /api/v4/projects/:id/templates/issues/:name` answers `{"name", "content"}`, or 404.
A team installs the project's `Shared Organization Request` template by committing it there,
which the sandbox's generated Support Ops project has done.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.responses import Response

from sandbox.core.collections import GL_FILES

FOLDER = ".gitlab/issue_templates/"


def _templates(store: Any, project: dict) -> dict[str, str]:
    ref = project.get("default_branch", "main")
    out = {}
    for doc in store.all(GL_FILES):
        path = str(doc.get("file_path") or "")
        if doc.get("_project_id") == project["id"] and doc.get("ref") == ref and path.startswith(FOLDER) \
                and path.endswith(".md") and "/" not in path[len(FOLDER):]:
            out[path[len(FOLDER):-3]] = base64.b64decode(doc["content"]).decode("utf-8")
    return out


def issue_templates(store: Any, project: dict, rest: list[str]) -> Response:
    found = _templates(store, project)
    if not rest:
        body: Any = [{"key": k, "name": k} for k in sorted(found)]
    elif len(rest) == 1 and rest[0] in found:
        body = {"name": rest[0], "content": found[rest[0]]}
    else:
        return Response(json.dumps({"message": "404 Template Not Found"}), 404, media_type="application/json")
    return Response(json.dumps(body), 200, media_type="application/json")
