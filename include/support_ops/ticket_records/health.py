"""The seed's troubleshooting checklist as health checks (docs/ticket-records.md):
the Salesforce target exists and is active in Zendesk; a trigger sends tickets to it and is
active; the ticket and ticket-comment objects' fields are readable for the System Administrator
profile (Salesforce `FieldPermissions`, by SOQL). Each check: ok, or a finding with why."""

from __future__ import annotations

from typing import Any

from . import names

TARGET_MISSING, TARGET_INACTIVE = "salesforce_target_missing", "salesforce_target_inactive"
TRIGGER_MISSING, TRIGGER_INACTIVE = "salesforce_trigger_missing", "salesforce_trigger_inactive"
FIELD_NOT_READABLE = "field_not_readable"
CHECKS = (TARGET_MISSING, TARGET_INACTIVE, TRIGGER_MISSING, TRIGGER_INACTIVE, FIELD_NOT_READABLE)


def zendesk_checks(targets: list[dict[str, Any]], triggers: list[dict[str, Any]]) -> list[tuple[str, str, str, dict]]:
    """[(check, entity_type, entity_id, details)] for the target and its trigger."""
    sf = [t for t in targets if "salesforce" in str(t.get("type", "")).lower()
          or str(t.get("title", "")).strip().lower() == "salesforce"]
    if not sf:
        return [(TARGET_MISSING, "target", "salesforce", {"why": "no Salesforce target in Zendesk"}),
                (TRIGGER_MISSING, "trigger", "salesforce", {"why": "no target for a trigger to use"})]
    out = []
    for t in sf:
        if not t.get("active"):
            out.append((TARGET_INACTIVE, "target", str(t["id"]), {"title": t.get("title")}))
    ids = {str(t["id"]) for t in sf}
    using = [tr for tr in triggers if any(a.get("field") == "notification_target"
                                          and str((a.get("value") or [None])[0]) in ids
                                          for a in tr.get("actions") or [])]
    if not using:
        out.append((TRIGGER_MISSING, "trigger", "salesforce",
                    {"why": f"no trigger notifies the Salesforce target ({', '.join(sorted(ids))})"}))
    elif not any(tr.get("active") for tr in using):
        out += [(TRIGGER_INACTIVE, "trigger", str(tr["id"]), {"title": tr.get("title")}) for tr in using]
    return out


def field_checks(sf: Any) -> list[tuple[str, str, str, dict]]:
    """Fields of both objects that the System Administrator profile cannot read."""
    objects = (names.ticket_object(), names.comment_object())
    soql = ("SELECT Field, SobjectType, PermissionsRead FROM FieldPermissions WHERE SobjectType IN ("
            + ", ".join(f"'{o}'" for o in objects) + f") AND Parent.Profile.Name = '{names.PROFILE}'")
    rows = sf.query_all(soql)["records"]
    readable = {str(r["Field"]) for r in rows if r.get("PermissionsRead")}
    out = []
    for field in names.TICKET_FIELDS:
        full = f"{objects[0]}.{field}"
        if full not in readable:
            out.append((FIELD_NOT_READABLE, "field", full, {"profile": names.PROFILE}))
    if not any(f.startswith(objects[1] + ".") for f in readable):
        out.append((FIELD_NOT_READABLE, "field", objects[1], {"profile": names.PROFILE,
                                                               "why": "no field of the object is readable"}))
    return out


def read_zendesk(session: Any, api: str) -> tuple[list[dict], list[dict]]:
    targets = session.get(f"{api}/targets.json").json().get("targets") or []
    triggers = session.get(f"{api}/triggers.json").json().get("triggers") or []
    return targets, triggers
