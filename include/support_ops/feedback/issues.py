"""Feedback issues through the outbound layer: create, relabel on a score change (reopen when it
turns bad), notes, and the 7-day clean-up of good issues (docs/feedback-issues.md).

One run: read the project's feedback issues from GitLab (marker search) and the mapping table,
restore mappings GitLab has and the warehouse lost, plan every write (creations capped at
`max_issues`, oldest rating first), apply them (or only store the plan on a dry run), then record
what GitLab shows in `feedback_issues`. No rating ever gets two issues: a rating is skipped when
the table or a marker in GitLab names its issue, and the create's idempotency key is the rating id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from .. import outbound
from ..config import GITLAB_CONN_ID, settings
from ..links import zendesk_ticket_url
from ..outbound import gitlab as og
from ..outbound.writers import Writer, register_writer
from . import gitlab_read, rules
from . import store as fstore

log = logging.getLogger(__name__)

SCHEDULE = "SSAT Reviewing Manager"
DEFAULT_MAX_ISSUES = 200


@dataclass(frozen=True)
class FeedbackWriter(Writer):
    """The issue writes' circuit breaker: a setting only (the DAG's Param is max_issues)."""

    def how_to_approve(self) -> str:
        return (f"review the plan (`support_ops outbound show PLAN`), then raise the setting {self.setting} "
                f"or trigger ssat_feedback_issues with a lower max_issues")


# The outbound circuit breaker of the issue writes (creations are also limited by max_issues).
WRITER = register_writer(FeedbackWriter("feedback_issues", "gitlab", default_cap=1000))


def feedback_project(conn_id: str = GITLAB_CONN_ID) -> str:
    """The project path from the connection's extra `feedback_project`."""
    from airflow.sdk import BaseHook

    project = (BaseHook.get_connection(conn_id).extra_dejson or {}).get("feedback_project")
    if not project:
        raise ValueError(f"connection {conn_id!r} needs extra 'feedback_project' (the GitLab project path)")
    return str(project)


@contextlib.contextmanager
def use_client(gl: Any) -> Iterator[Any]:
    """Send this run's writes with the run's own client (the connection may have changed since
    the target was first registered); the target registered before is restored afterwards."""
    from ..outbound import targets

    before = targets.get(og.GitLabTarget.name)
    outbound.register(og.GitLabTarget(lambda: gl))
    try:
        yield gl
    finally:
        outbound.register(before)


def _epoch(ts: dt.datetime | None) -> int:
    return int(ts.timestamp()) if ts else 0


@dataclass
class Plan:
    """What one run intends, before anything is sent."""

    writes: list[outbound.Write] = field(default_factory=list)
    create: list[rules.Rating] = field(default_factory=list)
    deferred: int = 0
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (rating, from, to)
    cleanup: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # in the table, not found in GitLab


def manager_on_call(gl: Any, pd: Any, at: dt.datetime) -> rules.Manager | None:
    """The SSAT reviewing manager on call at `at`, matched to a GitLab user by e-mail address."""
    from ..clients.pagerduty import on_call

    who = on_call(pd, SCHEDULE, at)
    if who is None:
        log.warning("feedback issues: nobody is on call in the PagerDuty schedule %r: issues stay unassigned",
                    SCHEDULE)
        return None
    user = gitlab_read.user_by_email(gl, who.email) if who.email else None
    if user is None:
        log.warning("feedback issues: %s is on call in %r but no GitLab user has the e-mail address %s "
                    "(with an ordinary token GitLab matches public e-mail only): issues stay unassigned and "
                    "name the manager", who.name, SCHEDULE, who.email or "(none in PagerDuty)")
        return rules.Manager(who.name, who.email)
    return rules.Manager(who.name, who.email, user[0], user[1])


def _relabel(project: str, r: rules.Rating, issue: gitlab_read.FoundIssue) -> list[outbound.Write]:
    old, new = issue.score or "?", r.score
    stamp = f"{r.rating_id}:{new}:{_epoch(r.updated_at)}"
    remove = rules.feedback_labels(issue.labels)
    add = rules.labels(new, r.reason)
    keep = [x for x in issue.labels if x not in remove]
    changes: dict[str, Any] = {"remove_labels": ",".join(x for x in remove if x not in add), "add_labels": ",".join(add)}
    expect: dict[str, Any] = {"labels": keep + add}
    if new == rules.BAD and issue.state == "closed":
        changes["state_event"], expect["state"] = "reopen", "opened"
    return [
        og.issue_update(f"feedback:relabel:{stamp}", project, issue.iid, changes, expect,
                        before={"labels": issue.labels, "state": issue.state},
                        summary=f"{project}#{issue.iid}: rating {r.rating_id} {old} -> {new}: labels {add}"
                                + (", reopen" if "state_event" in changes else "")),
        og.note(f"feedback:change-note:{stamp}", project, issue.iid, rules.change_note(old, new)),
    ]


def _cleanup(project: str, issue: gitlab_read.FoundIssue) -> list[outbound.Write]:
    stamp = f"{issue.rating_id}:{_epoch(issue.updated_at)}"
    return [
        og.note(f"feedback:cleanup-note:{stamp}", project, issue.iid, rules.CLEANUP_NOTE),
        og.issue_update(f"feedback:cleanup:{stamp}", project, issue.iid, {"state_event": "close"},
                        {"state": "closed"}, before={"state": issue.state},
                        summary=f"{project}#{issue.iid}: close (good rating, no activity for "
                                f"{rules.STALE_GOOD_DAYS} days)"),
    ]


def make_plan(project: str, ratings: list[rules.Rating], found: dict[int, gitlab_read.FoundIssue],
              known: set[int], now: dt.datetime, max_issues: int) -> Plan:
    """Decide the writes (no I/O): creations, score changes, clean-up. The manager comes later."""
    p = Plan()
    changing: set[int] = set()
    candidates = []
    for r in ratings:
        issue = found.get(r.rating_id)
        if issue is None:
            if r.rating_id in known:
                p.missing.append(r.rating_id)
            elif rules.is_feedback(r.score, r.comment):
                candidates.append(r)
            continue
        if issue.score and issue.score != r.score:
            p.writes += _relabel(project, r, issue)
            p.changes.append((r.rating_id, issue.score, r.score))
            changing.add(r.rating_id)
    p.create, p.deferred = candidates[:max_issues], max(0, len(candidates) - max_issues)
    stale = now - dt.timedelta(days=rules.STALE_GOOD_DAYS)
    for issue in sorted(found.values(), key=lambda i: i.iid):
        if (issue.state == "opened" and rules.SCORE_LABELS[rules.GOOD] in issue.labels
                and issue.rating_id not in changing and issue.updated_at and issue.updated_at <= stale):
            p.writes += _cleanup(project, issue)
            p.cleanup.append(issue.rating_id)
    return p


def creation(project: str, r: rules.Rating, manager: rules.Manager | None) -> outbound.Write:
    return og.issue(f"feedback:issue:{r.rating_id}", project, rules.title(r),
                    rules.description(r, zendesk_ticket_url(r.ticket_id), manager),
                    labels=rules.labels(r.score, r.reason),
                    assignee_ids=[manager.gitlab_id] if manager and manager.gitlab_id else [],
                    marker=rules.marker(r.rating_id))


def default_since(now: dt.datetime) -> dt.datetime:
    """`SUPPORT_OPS_FEEDBACK_SINCE` if set, else 30 days before `now`."""
    return parse_since(settings().feedback_since, now)


def parse_since(value: Any, now: dt.datetime) -> dt.datetime:
    """An ISO date or date-time (UTC if no zone), or empty for 30 days before `now`."""
    if value in (None, ""):
        return now - dt.timedelta(days=30)
    if isinstance(value, dt.datetime):
        ts = value
    else:
        try:
            ts = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"since must be an ISO date or date-time, got {value!r}") from None
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def run(engine: Engine, *, gl: Any = None, pd: Any = None, project: str | None = None,
        since: Any = None, now: dt.datetime | None = None, max_issues: int | None = DEFAULT_MAX_ISSUES,
        dry_run: bool = False, max_changes: int | None = None) -> dict[str, Any]:
    """One run of the feedback issues; returns counts (small enough for XCom)."""
    now = now or dt.datetime.now(dt.UTC)
    max_issues = DEFAULT_MAX_ISSUES if max_issues is None else int(max_issues)
    if max_issues < 0:
        raise ValueError(f"max_issues must not be negative, got {max_issues}")
    since_ts = parse_since(since, now) if since not in (None, "") else default_since(now)
    project = project or feedback_project()
    with use_client(gl or og.gitlab_client()) as client:
        return _run(engine, client, pd, project, since_ts, now, max_issues, dry_run, max_changes)


def _run(engine: Engine, gl: Any, pd: Any, project: str, since_ts: dt.datetime, now: dt.datetime,
         max_issues: int, dry_run: bool, max_changes: int | None) -> dict[str, Any]:
    ratings = fstore.ratings_since(engine, since_ts)
    found = gitlab_read.feedback_issues(gl, project)
    table = fstore.mappings(engine, project)
    recovered = sorted(set(found) - set(table))
    if recovered:
        log.info("feedback issues: %d mapping(s) restored from the markers in GitLab: %s", len(recovered),
                 recovered[:20])
        fstore.save_mappings(engine, [_row(project, found[rid], None, "marker", now) for rid in recovered])
    plan = make_plan(project, ratings, found, set(table) | set(found), now, max_issues)
    for rid in plan.missing:
        log.warning("feedback issues: rating %s has issue %s#%s in the warehouse but GitLab does not show it; "
                    "not creating another", rid, project, table[rid]["issue_iid"])
    if plan.deferred:
        log.info("feedback issues: %d more rating(s) need an issue; above max_issues=%d, they follow in the "
                 "next run (oldest first)", plan.deferred, max_issues)
    manager = None
    if plan.create:
        if pd is None:
            from ..clients.pagerduty import rest_client

            pd = rest_client()
        manager = manager_on_call(gl, pd, now)
        plan.writes = [creation(project, r, manager) for r in plan.create] + plan.writes
    out: dict[str, Any] = {
        "project": project, "since": since_ts.isoformat(), "dry_run": dry_run, "ratings": len(ratings),
        "issues_before": len(found), "restored": len(recovered), "to_create": len(plan.create),
        "deferred": plan.deferred, "score_changes": len(plan.changes), "cleanup": len(plan.cleanup),
        "missing": len(plan.missing), "manager": manager.name if manager else None,
        "assignee": manager.gitlab_username if manager else None, "plan_id": None, "status": "nothing to do",
    }
    if not plan.writes:
        log.info("feedback issues: nothing to write (%d rating(s) since %s, %d issue(s))", len(ratings),
                 since_ts.isoformat(), len(found))
        if not dry_run:
            sync(engine, gl, project, now)  # states, labels and first responses people changed
        return out
    plan_id = outbound.plan(engine, WRITER, plan.writes, dry_run=dry_run, max_changes=max_changes)
    out["plan_id"] = plan_id
    if dry_run:
        out["status"] = "dry_run"
        return out
    result = outbound.apply(engine, plan_id, writer=WRITER, max_changes=max_changes, raise_on_failure=False)
    out["status"], out["writes"] = result.status, result.counts()
    created = {r.rating_id for r in plan.create
               if result.statuses.get(f"feedback:issue:{r.rating_id}") == "applied"}
    out["created"] = len(created)
    sync(engine, gl, project, now, created=created, manager=manager)
    if result.status == "failed":
        raise outbound.WritesFailed(plan_id, {k: v for k, v in result.errors.items()
                                              if result.statuses.get(k) == "failed"})
    return out


def _row(project: str, issue: gitlab_read.FoundIssue, existing: dict[str, Any] | None, found_by: str,
         now: dt.datetime, manager: rules.Manager | None = None) -> dict[str, Any]:
    e = existing or {}
    return {
        "rating_id": issue.rating_id, "ticket_id": e.get("ticket_id"), "project": project,
        "issue_iid": issue.iid, "web_url": issue.web_url, "score": issue.score or e.get("score") or "unknown",
        "reason_key": issue.label_value(rules.REASON_LABEL), "route": issue.label_value(rules.ROUTE_LABEL),
        "state": issue.state, "assignee": (issue.assignees or [e.get("assignee")])[0],
        "manager": manager.name if manager else e.get("manager"), "found_by": e.get("found_by") or found_by,
        "issue_created_at": issue.created_at, "issue_updated_at": issue.updated_at, "closed_at": issue.closed_at,
        "first_response_at": e.get("first_response_at"), "recorded_at": e.get("recorded_at") or now,
        "synced_at": now,
    }


def sync(engine: Engine, gl: Any, project: str, now: dt.datetime, *, created: set[int] | None = None,
         manager: rules.Manager | None = None, max_note_reads: int = 200) -> int:
    """Record what GitLab shows of every feedback issue (state, labels, first response)."""
    created = created or set()
    found = gitlab_read.feedback_issues(gl, project)
    table = fstore.mappings(engine, project)
    bot = gitlab_read.bot_id(gl)
    reads = 0
    rows = []
    for rid, issue in found.items():
        row = _row(project, issue, table.get(rid), "created" if rid in created else "marker", now,
                   manager if rid in created else None)
        if row["first_response_at"] is None and issue.user_notes_count and reads < max_note_reads:
            reads += 1
            row["first_response_at"] = gitlab_read.first_response(gl, project, issue.iid, bot)
        rows.append(row)
    tickets = fstore.ticket_ids(engine, [r["rating_id"] for r in rows if not r["ticket_id"]])
    for row in rows:
        row["ticket_id"] = row["ticket_id"] or tickets.get(row["rating_id"])
    return fstore.save_mappings(engine, rows)
