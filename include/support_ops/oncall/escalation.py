"""The escalation audit: PagerDuty's escalation policies and services against the handbook.

Inputs are PagerDuty's documents as the REST API lists them (escalation policies, schedules,
users, services). Targets are compared by name as sets; a rule's
`escalation_delay_in_minutes` is the handbook's "escalate after N minutes" of the rule that
follows it; the repeat count is `num_loops`. Rules: docs/oncall.md.
"""

from __future__ import annotations

from typing import Any

from .expected import Expected, Policy
from .model import Finding


def _target_name(target: dict, schedules: dict[str, str], users: dict[str, str]) -> str:
    kind = str(target.get("type") or "")
    names = schedules if kind.startswith("schedule") else users
    return names.get(target.get("id"), target.get("summary") or target.get("id") or "?")


def rule_differences(want: Policy, have: dict, schedules: dict[str, str],
                     users: dict[str, str]) -> list[dict[str, Any]]:
    """What differs between the expected rules and the policy's (empty when they agree)."""
    rules = have.get("escalation_rules") or []
    diffs: list[dict[str, Any]] = []
    if len(rules) != len(want.rules):
        diffs.append({"what": "rule count", "expected": len(want.rules), "actual": len(rules)})
    for i, (exp, rule) in enumerate(zip(want.rules, rules, strict=False)):
        actual = {_target_name(t, schedules, users) for t in rule.get("targets") or []}
        missing, extra = sorted(exp.targets - actual), sorted(actual - exp.targets)
        if missing or extra:
            diffs.append({"rule": i + 1, "what": "targets", "missing": missing, "extra": extra})
        if i + 1 < len(want.rules):
            delay = want.rules[i + 1].after_minutes
            got = rule.get("escalation_delay_in_minutes")
            if got != delay:
                diffs.append({"rule": i + 1, "what": "delay", "expected": delay, "actual": got,
                              "note": f"rule {i + 2} should be notified {delay} minutes after rule {i + 1}"})
    return diffs


def audit_escalation(expected: Expected, policies: list[dict], schedules: list[dict],
                     users: list[dict], services: list[dict]) -> list[Finding]:
    """schedule_missing, policy_missing, policy_rule_mismatch, policy_repeat_mismatch and
    service_without_policy, in that order."""
    sched_names = {s["id"]: s.get("name") or s.get("summary") for s in schedules}
    user_names = {u["id"]: u.get("name") or u.get("summary") for u in users}
    findings: list[Finding] = []
    present = set(sched_names.values())
    for name in sorted(expected.policy_schedule_names() - present):
        findings.append(Finding("schedule_missing", name, "", {"schedule": name, "needed_for": "escalation"}))
    by_name: dict[str, dict] = {}
    for p in policies:
        by_name.setdefault(p.get("name") or p.get("summary"), p)
    for want in expected.policies:
        have = by_name.get(want.name)
        if have is None:
            findings.append(Finding("policy_missing", want.name, "", {"policy": want.name,
                                                                       "handbook_id": want.id}))
            continue
        where = {"policy": want.name, "html_url": have.get("html_url")}
        diffs = rule_differences(want, have, sched_names, user_names)
        if diffs:
            findings.append(Finding("policy_rule_mismatch", have["id"], "", {**where, "differences": diffs}))
        if have.get("num_loops") != want.repeat:
            findings.append(Finding("policy_repeat_mismatch", have["id"], "", {
                **where, "expected": want.repeat, "actual": have.get("num_loops")}))
    findings += _services(expected, policies, services)
    return findings


def _services(expected: Expected, policies: list[dict], services: list[dict]) -> list[Finding]:
    """Services whose policy is absent, does not exist, or is not the one the handbook names."""
    policy_names = {p["id"]: p.get("name") or p.get("summary") for p in policies}
    wanted = {s.name: s.policy for s in expected.services}
    out = []
    for svc in services:
        ref = svc.get("escalation_policy") or {}
        name = svc.get("name") or svc.get("summary")
        actual = policy_names.get(ref.get("id")) if ref else None
        if not ref.get("id"):
            reason = "the service has no escalation policy"
        elif actual is None:
            reason = f"its escalation policy {ref.get('id')} does not exist"
        elif name in wanted and actual != wanted[name]:
            reason = f"it uses {actual!r}, the handbook says {wanted[name]!r}"
        else:
            continue
        out.append(Finding("service_without_policy", svc["id"], "", {
            "service": name, "reason": reason, "expected_policy": wanted.get(name),
            "policy": actual, "html_url": svc.get("html_url")}))
    return out
