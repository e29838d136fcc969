"""Document builders in the real API shapes, shared by the generator and live mode."""

from __future__ import annotations

from typing import Any

from sandbox.generate.catalog import FORM_TAGS, FORMS
from sandbox.generate.util import METRIC_BASE, ZD_API, zd_time

SUPPORT_ADDRESS = "support@gitlab.com"
MAIL_LIST_ADDRESS = "mail-list@gitlab.com"
BRAND_ID = 360_000_007_001
CUSTOM_STATUS = {"new": 360_000_008_001, "open": 360_000_008_002, "pending": 360_000_008_003,
                 "hold": 360_000_008_004, "solved": 360_000_008_005, "closed": 360_000_008_005,
                 "deleted": 360_000_008_005}
SUBJECTS = [
    "CI pipeline stuck in pending state", "Runner cannot pull Docker image",
    "Upgrade to the latest version fails during migrations", "LDAP sync not updating groups",
    "Cannot push to repository: HTTP 500", "License key not accepted", "Renewal quote request",
    "2FA locked out of account", "Merge request diff not loading", "Geo secondary out of sync",
    "Container registry cleanup policy not running", "SAML SSO login loop",
    "Seat count discrepancy on invoice", "Gitaly timeouts on large repositories",
    "Namespace storage limit reached", "Backup restore fails with permissions error",
    "Webhook deliveries failing", "Performance degradation after upgrade",
    "Question about data retention", "Billing contact change",
]


def ticket_doc(tid: int, *, created: int, updated: int, subject: str, priority: str | None,
               status: str, channel: str, recipient: str | None, requester_id: int,
               organization_id: int | None, assignee_id: int | None, group_id: int | None,
               form: str, tags: list[str], satisfaction_rating: dict | None,
               ticket_type: str | None = None) -> dict[str, Any]:
    """A ticket in the incremental export shape (every key of the recorded responses)."""
    if channel == "email":
        source = {"from": {"address": None, "name": None},
                  "to": {"name": "GitLab Support", "address": recipient}, "rel": None}
    else:
        source = {"from": {}, "to": {}, "rel": None}
    return {
        "url": f"{ZD_API}/tickets/{tid}.json",
        "id": tid,
        "external_id": None,
        "via": {"channel": channel, "source": source},
        "created_at": zd_time(created),
        "updated_at": zd_time(updated),
        "type": ticket_type,
        "subject": subject,
        "raw_subject": subject,
        "description": f"{subject}. Details follow in the ticket conversation.",
        "priority": priority,
        "status": status,
        "recipient": recipient,
        "requester_id": requester_id,
        "submitter_id": requester_id,
        "assignee_id": assignee_id,
        "organization_id": organization_id,
        "group_id": group_id,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": tags,
        "custom_fields": [],
        "satisfaction_rating": satisfaction_rating,
        "sharing_agreement_ids": [],
        "custom_status_id": CUSTOM_STATUS[status],
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": FORMS[form],
        "brand_id": BRAND_ID,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
        "generated_timestamp": int(updated),
    }


def ticket_tags(plan: str | None, priority: str | None, form: str, extra: list[str]) -> list[str]:
    tags = set(extra)
    if plan:
        tags.add(plan)
    if priority:
        tags.add(f"priority_{priority}")
    tags.add(FORM_TAGS[form])
    return sorted(tags)


def _minutes(start: int, end: int | None) -> dict[str, int | None]:
    if end is None:
        return {"calendar": None, "business": None}
    m = max(0, (end - start) // 60)
    return {"calendar": m, "business": int(m * 0.6)}


def metric_doc(tid: int, *, created: int, updated: int, assigned: int | None,
               reply_at: int | None, solved_at: int | None, status_at: int, replies: int,
               reopens: int = 0, on_hold_minutes: int = 0) -> dict[str, Any]:
    """A ticket metric set (the `/ticket_metrics` shape, `metric_sets` side-load)."""
    mid = METRIC_BASE + tid
    reply = _minutes(created, reply_at)
    resolution = _minutes(created, solved_at)
    created_s, status_s = zd_time(created), zd_time(status_at)
    assigned_s = zd_time(assigned) if assigned else None
    return {
        "url": f"{ZD_API}/ticket_metrics/{mid}.json",
        "id": mid,
        "ticket_id": tid,
        "created_at": created_s,
        "updated_at": zd_time(updated),
        "group_stations": 1,
        "assignee_stations": 1 if assigned else 0,
        "reopens": reopens,
        "replies": replies,
        "assignee_updated_at": assigned_s,
        "requester_updated_at": created_s,
        "status_updated_at": status_s,
        "initially_assigned_at": assigned_s,
        "assigned_at": assigned_s,
        "solved_at": zd_time(solved_at) if solved_at else None,
        "latest_comment_added_at": zd_time(max(solved_at or 0, reply_at or 0, created)),
        "reply_time_in_minutes": reply,
        "reply_time_in_seconds": {"calendar": (reply_at - created) if reply_at else None},
        "first_resolution_time_in_minutes": resolution,
        "full_resolution_time_in_minutes": dict(resolution),
        "agent_wait_time_in_minutes": {"calendar": 0, "business": 0},
        "requester_wait_time_in_minutes": _minutes(created, solved_at or reply_at),
        "on_hold_time_in_minutes": {"calendar": on_hold_minutes, "business": on_hold_minutes},
        "custom_status_updated_at": status_s,
    }


def event_doc(eid: int, tid: int, etype: str, at: int, sla: tuple[int, str, int] | None = None,
              metric: str = "reply_time") -> dict[str, Any]:
    """A ticket metric event; `apply_sla` carries the policy and target."""
    doc: dict[str, Any] = {"id": eid, "ticket_id": tid, "metric": metric, "instance_id": 1,
                           "type": etype, "time": zd_time(at)}
    if etype == "apply_sla" and sla:
        pid, title, target = sla
        doc["sla"] = {"target": target, "business_hours": False,
                      "policy": {"id": pid, "title": title, "description": None}}
    elif etype == "breach":
        doc["deleted"] = False
    return doc


def rating_doc(rid: int, *, tid: int, requester_id: int, assignee_id: int | None,
               group_id: int | None, score: str, created: int, updated: int,
               comment: str | None = None, reason: tuple[int, str] | None = None) -> dict:
    """A satisfaction rating (`/satisfaction_ratings` shape)."""
    return {
        "url": f"{ZD_API}/satisfaction_ratings/{rid}.json",
        "id": rid,
        "assignee_id": assignee_id,
        "group_id": group_id,
        "requester_id": requester_id,
        "ticket_id": tid,
        "score": score,
        "created_at": zd_time(created),
        "updated_at": zd_time(updated),
        "comment": comment,
        "reason": reason[1] if reason else None,
        "reason_id": reason[0] if reason else None,
    }


def ticket_rating(doc: dict | None, score: str) -> dict | None:
    """The ticket's `satisfaction_rating` field for a rating document (or bare score)."""
    if doc is None:
        return {"score": score} if score in ("offered", "unoffered") else None
    return {"score": doc["score"], "id": doc["id"], "comment": doc["comment"],
            "reason": doc["reason"], "reason_id": doc["reason_id"]}
