"""What each data-folder collection must look like: its store key, ordering, and the
guarantees the real system gives about its records.

Two kinds of rule. *Structure* (every mode): an object, with a key the store can hold,
unique in its file. *Guarantees* (refused unless `--lenient`): what Zendesk, Salesforce,
PagerDuty and GitLab themselves never break — ids are positive 64-bit integers (or the
system's id strings), timestamps are ISO 8601 date-times, statuses and scores come from the
documented vocabularies, a rating, metric set or SLA event belongs to a ticket of the
folder, JSON numbers are finite. Sources: Zendesk's Tickets, Satisfaction Ratings, Ticket
Metric Events, Users and Organizations API references; Salesforce's Account object
reference (18-character case-safe ids); PagerDuty's Incidents reference; GitLab's Issues,
Notes and Users API references. The README's sandbox section lists them for users.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.core.collections import (
    GL_COMMITS,
    GL_FILES,
    GL_ISSUES,
    GL_NOTES,
    GL_PROJECTS,
    GL_USERS,
    PD_ESCALATION_POLICIES,
    PD_EVENTS,
    PD_INCIDENTS,
    PD_SCHEDULES,
    PD_SERVICES,
    PD_USERS,
    SF_ACCOUNT,
    SLACK_MESSAGES,
    ZD_JOB_STATUSES,
    ZD_ORGANIZATION_FIELDS,
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_SATISFACTION_REASONS,
    ZD_SLA_POLICIES,
    ZD_TICKET_FORMS,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
    ZD_VIEWS,
)
from sandbox.generate.util import parse_time
from sandbox.salesforce.ids import id_suffix

INT64 = 2**63
# ts and seq are SQLite integers; keep clear of the ends the store uses as open bounds.
STORE_INT = 2**62

Check = Callable[[Any], str | None]  # value -> problem, or None when fine


# -- value checks ----------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def zd_id(v: Any) -> str | None:
    if not _is_int(v):
        return f"expected an integer id, got {type(v).__name__}"
    if not 0 < v < INT64:
        return f"id {v} is outside 1..2^63-1 (Zendesk ids are positive 64-bit integers)"
    return None


def count(v: Any) -> str | None:
    if not _is_int(v):
        return f"expected an integer, got {type(v).__name__}"
    if not 0 <= v < INT64:
        return f"{v} is outside 0..2^63-1"
    return None


def number(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"expected a number, got {type(v).__name__}"
    if isinstance(v, float) and not math.isfinite(v):
        return f"{v} is not a finite number"
    return None


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")


def iso_time(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"expected an ISO 8601 date-time string, got {type(v).__name__}"
    if not _ISO.fullmatch(v):
        return f"not an ISO 8601 date-time with a time zone: {v!r}"
    try:
        parse_time(v)
    except ValueError:
        return f"not a valid date-time: {v!r}"
    return None


_SF_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{4})")


def sf_time(v: Any) -> str | None:
    if not isinstance(v, str) or not _SF_TIME.fullmatch(v):
        return f"not a Salesforce date-time (2026-01-02T03:04:05.000+0000): {v!r}"
    return iso_time(v[:-2] + ":" + v[-2:] if v[-5] in "+-" else v)


def text(v: Any) -> str | None:
    return None if isinstance(v, str) else f"expected a string, got {type(v).__name__}"


def name(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip():
        return f"expected a non-empty string, got {v!r}"
    return None


def boolean(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"expected true or false, got {v!r}"


def obj(v: Any) -> str | None:
    return None if isinstance(v, dict) else f"expected an object, got {type(v).__name__}"


def strings(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        return "expected an array of strings"
    return None


def one_of(*values: str) -> Check:
    allowed = frozenset(values)

    def check(v: Any) -> str | None:
        if v not in allowed:
            return f"{v!r} is not one of {', '.join(sorted(allowed))}"
        return None

    return check


def sf_id(v: Any) -> str | None:
    if not isinstance(v, str) or len(v) not in (15, 18) or not v.isalnum() or not v.isascii():
        return f"not a 15- or 18-character Salesforce id: {v!r}"
    if len(v) == 18 and v[15:] != id_suffix(v[:15]):
        return f"{v!r}: the last three characters are not the id's checksum ({id_suffix(v[:15])})"
    return None


# -- field rules ------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """A guarantee about one (possibly dotted) field."""

    path: str
    check: Check
    required: bool = False  # present and not null
    ref: str | None = None  # collection whose keys the value must be among


_ABSENT = object()


def get(doc: dict, path: str) -> tuple[bool, Any]:
    """(present, value) of a field; dotted paths reach into objects."""
    if "." not in path:
        value = doc.get(path, _ABSENT)
        return (False, None) if value is _ABSENT else (True, value)
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


@dataclass(frozen=True)
class Rule:
    """How one collection's records become store rows, and what they must satisfy."""

    key: str | Callable[[dict], Any] | None = "id"  # None: no id in the record (content hash)
    key_check: Check = zd_id
    ts_fields: tuple[str, ...] = ("updated_at",)
    seq: str = "key"  # "key" (numeric key), "position" (file order), or an integer field
    fields: tuple[Field, ...] = ()
    refs: tuple[tuple[str, str, Callable[[dict], Any]], ...] = field(default=())
    # (collection, description, record -> key that must exist there), for composite refs

    def key_of(self, doc: dict) -> tuple[bool, Any]:
        if self.key is None:
            text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
            return True, hashlib.sha1(text.encode()).hexdigest()[:32]
        if callable(self.key):
            try:
                return True, self.key(doc)
            except (KeyError, TypeError):
                return False, None
        return get(doc, self.key)


ZD_TIMES = (Field("created_at", iso_time, True), Field("updated_at", iso_time, True))
_TICKET_STATUS = one_of("new", "open", "pending", "hold", "solved", "closed", "deleted")


def _nullable(check: Check) -> Check:
    def inner(v: Any) -> str | None:
        return None if v is None else check(v)

    return inner


OPT_ID = _nullable(zd_id)
OPT_TIME = _nullable(iso_time)
OPT_TEXT = _nullable(text)

_PD_OBJECT = Rule(key_check=name, ts_fields=(), seq="position", fields=(Field("id", name, True),))

RULES: dict[str, Rule] = {
    ZD_TICKETS: Rule(ts_fields=("generated_timestamp", "updated_at"), fields=(
        *ZD_TIMES,
        Field("generated_timestamp", count),
        Field("status", _TICKET_STATUS, True),
        Field("priority", _nullable(one_of("urgent", "high", "normal", "low"))),
        Field("type", _nullable(one_of("problem", "incident", "question", "task"))),
        Field("requester_id", OPT_ID), Field("submitter_id", OPT_ID),
        Field("assignee_id", OPT_ID), Field("organization_id", OPT_ID),
        Field("group_id", OPT_ID), Field("ticket_form_id", OPT_ID), Field("brand_id", OPT_ID),
        Field("subject", OPT_TEXT), Field("description", OPT_TEXT),
        Field("tags", strings), Field("via", obj),
    )),
    ZD_TICKET_METRICS: Rule(key="ticket_id", fields=(
        Field("id", zd_id, True), Field("ticket_id", zd_id, True, ref=ZD_TICKETS), *ZD_TIMES,
        *(Field(f, OPT_TIME) for f in ("solved_at", "assigned_at", "initially_assigned_at",
                                       "status_updated_at", "latest_comment_added_at")),
        Field("reopens", count), Field("replies", count),
    )),
    ZD_SATISFACTION_RATINGS: Rule(fields=(
        *ZD_TIMES,
        Field("ticket_id", zd_id, True, ref=ZD_TICKETS),
        Field("score", one_of("offered", "unoffered", "good", "bad"), True),
        Field("requester_id", OPT_ID), Field("assignee_id", OPT_ID), Field("group_id", OPT_ID),
        Field("comment", OPT_TEXT), Field("reason", OPT_TEXT), Field("reason_id", OPT_ID),
    )),
    ZD_SATISFACTION_REASONS: Rule(fields=(Field("value", text, True), Field("reason_code", count))),
    ZD_ORGANIZATIONS: Rule(fields=(
        *ZD_TIMES, Field("name", name, True), Field("domain_names", strings),
        Field("tags", strings), Field("organization_fields", _nullable(obj)),
        Field("external_id", OPT_TEXT), Field("deleted_at", OPT_TIME),
    )),
    ZD_USERS: Rule(fields=(
        *ZD_TIMES, Field("name", name, True),
        Field("role", one_of("end-user", "agent", "admin"), True),
        Field("email", OPT_TEXT), Field("organization_id", OPT_ID),
        Field("active", boolean), Field("tags", strings),
    )),
    ZD_TICKET_FORMS: Rule(fields=(Field("name", name, True), Field("created_at", OPT_TIME),
                                  Field("updated_at", OPT_TIME))),
    ZD_TICKET_METRIC_EVENTS: Rule(ts_fields=("time",), fields=(
        Field("ticket_id", zd_id, True, ref=ZD_TICKETS),
        Field("metric", one_of("agent_work_time", "pausable_update_time", "periodic_update_time",
                               "reply_time", "requester_wait_time", "resolution_time"), True),
        Field("type", one_of("activate", "pause", "fulfill", "apply_sla", "apply_group_sla",
                             "breach", "update_status", "measure"), True),
        Field("time", iso_time, True), Field("instance_id", count),
    )),
    ZD_SLA_POLICIES: Rule(fields=(Field("title", name, True),)),
    ZD_ORGANIZATION_FIELDS: Rule(fields=(Field("key", name, True),)),
    ZD_VIEWS: Rule(fields=(Field("title", name, True),)),
    # The sandbox's own record of a bulk job: {"job": {id, url, status, ...}, "results", ...}.
    ZD_JOB_STATUSES: Rule(key="job.id", key_check=name, ts_fields=("created",), seq="position",
                          fields=(Field("job", obj, True), Field("created", number, True))),
    SF_ACCOUNT: Rule(key="Id", key_check=sf_id, ts_fields=("SystemModstamp",), seq="position",
                     fields=(Field("Name", name, True), Field("SystemModstamp", sf_time, True),
                             Field("CreatedDate", _nullable(sf_time)),
                             Field("LastModifiedDate", _nullable(sf_time)),
                             Field("IsDeleted", boolean))),
    PD_SERVICES: _PD_OBJECT,
    PD_ESCALATION_POLICIES: _PD_OBJECT,
    PD_SCHEDULES: _PD_OBJECT,
    PD_USERS: _PD_OBJECT,
    PD_INCIDENTS: Rule(key_check=name, ts_fields=("created_at",), seq="incident_number", fields=(
        Field("incident_number", zd_id, True), Field("created_at", iso_time, True),
        Field("status", one_of("triggered", "acknowledged", "resolved"), True),
        Field("urgency", one_of("high", "low")),
        Field("service.id", name, True, ref=PD_SERVICES),
    )),
    PD_EVENTS: Rule(key=None, key_check=name, ts_fields=("received_at",),
                    seq="position", fields=(
                        Field("received_at", iso_time, True),
                        Field("event_action", one_of("trigger", "acknowledge", "resolve", "change"),
                              True))),
    GL_PROJECTS: Rule(ts_fields=(), fields=(Field("name", name, True),
                                            Field("path_with_namespace", name, True))),
    GL_USERS: Rule(ts_fields=(), fields=(
        Field("username", name, True), Field("name", text),
        Field("state", one_of("active", "blocked", "deactivated", "banned", "ldap_blocked",
                              "blocked_pending_approval")),
    )),
    GL_ISSUES: Rule(key=lambda d: f"{d['project_id']}:{d['iid']}", key_check=name,
                    seq="id", fields=(
                        Field("id", zd_id, True), Field("iid", zd_id, True),
                        Field("project_id", zd_id, True, ref=GL_PROJECTS),
                        Field("title", name, True), Field("state", one_of("opened", "closed"), True),
                        Field("created_at", iso_time, True), Field("updated_at", iso_time, True),
                        Field("closed_at", OPT_TIME), Field("labels", strings),
                        Field("description", OPT_TEXT), Field("author.id", zd_id),
                    )),
    GL_NOTES: Rule(key=lambda d: f"{d['project_id']}:{d['noteable_iid']}:{d['id']}",
                   key_check=name, ts_fields=("created_at",), seq="id", fields=(
                       Field("id", zd_id, True), Field("project_id", zd_id, True, ref=GL_PROJECTS),
                       Field("noteable_iid", zd_id, True), Field("body", text, True),
                       Field("created_at", iso_time, True),
                   ), refs=((GL_ISSUES, "issue", lambda d: f"{d['project_id']}:{d['noteable_iid']}"),)),
    GL_COMMITS: Rule(key_check=name, ts_fields=("created_at",), seq="position", fields=(
        Field("project_id", zd_id, True, ref=GL_PROJECTS), Field("created_at", iso_time, True),
        Field("message", text, True),
    )),
    GL_FILES: Rule(key=lambda d: f"{d['_project_id']}:{d['ref']}:{d['file_path']}", key_check=name,
                   ts_fields=(), seq="position", fields=(
                       Field("_project_id", zd_id, True, ref=GL_PROJECTS),
                       Field("file_path", name, True), Field("ref", name, True),
                       Field("content", text, True),
                   )),
    SLACK_MESSAGES: Rule(ts_fields=("ts",), fields=(Field("ts", number, True),
                                                    Field("path", text, True))),
}

def rule_for(collection: str) -> Rule:
    """The rule of a collection; Salesforce objects and unknown collections get generic ones."""
    if collection in RULES:
        return RULES[collection]
    if collection.startswith("sf_"):
        return Rule(key="Id", key_check=sf_id, ts_fields=("SystemModstamp",), seq="position",
                    fields=(Field("SystemModstamp", _nullable(sf_time)),))
    return Rule(key=None, key_check=name, ts_fields=(), seq="position")
