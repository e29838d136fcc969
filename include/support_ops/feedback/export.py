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
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine

from .. import outbound
from ..kpis.definitions import canonical_reason
from ..outbound import gitlab as og
from ..outbound.writers import Writer, register_writer
from . import rules
from . import store as fstore

log = logging.getLogger(__name__)

# One commit per run at most: a cap of 1 is the circuit breaker.
WRITER = register_writer(Writer("feedback_export", "gitlab", default_cap=1))

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


def commit_key(files: dict[str, str], head: str | None = None) -> str:
    """Same files, same content, on the same branch head: same idempotency key (a rerun after a
    crash reads the files back instead of committing twice; content changed back and forth later
    is a new commit, since the head moved)."""
    digest = hashlib.sha256(f"{head or ''}\0".encode())
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return f"feedback:export:{digest.hexdigest()[:32]}"


def commit_message(files: dict[str, str]) -> str:
    months = ", ".join(p.removeprefix("feedback/").removesuffix(".csv") for p in sorted(files))
    return f"Feedback export: {months}"


def _read(project: Any, branch: str, path: str) -> str | None:
    import gitlab

    try:
        return project.files.raw(file_path=path, ref=branch).decode("utf-8")
    except gitlab.GitlabGetError as exc:
        if exc.response_code == 404:
            return None
        raise


def run(engine: Engine, *, gl: Any = None, project: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Commit the months whose file differs from the computed one (one commit, or none)."""
    from .issues import feedback_project, use_client

    project_path = project or feedback_project()
    with use_client(gl or og.gitlab_client()) as client:
        return _run(engine, client, project_path, dry_run)


def _run(engine: Engine, gl: Any, project_path: str, dry_run: bool) -> dict[str, Any]:
    files = month_files(fstore.ratings_with_comment(engine))
    proj = gl.projects.get(project_path)
    branch = getattr(proj, "default_branch", None) or "main"
    todo = changed(files, {path: _read(proj, branch, path) for path in files})
    out: dict[str, Any] = {"project": project_path, "branch": branch, "months": len(files), "changed": len(todo),
                           "files": sorted(todo), "dry_run": dry_run, "status": "unchanged", "plan_id": None}
    if not todo:
        log.info("feedback export: %d month file(s) unchanged in %s@%s: no commit", len(files), project_path, branch)
        return out
    heads = proj.commits.list(ref_name=branch, per_page=1, get_all=False)
    head = heads[0].id if heads else None
    write = og.commit(commit_key(todo, head), project_path, branch, commit_message(todo), todo)
    result = outbound.execute(engine, WRITER, [write], dry_run=dry_run)
    out["plan_id"], out["status"] = result.plan_id, result.status
    return out
