"""The escalation audit: PagerDuty's policies and services against the handbook's, as data."""

from __future__ import annotations

import copy

import pytest

from support_ops.oncall.escalation import audit_escalation
from support_ops.oncall.expected import ExpectedError, load, parse

EXPECTED = load()


def _account():
    """A PagerDuty account that says exactly what expected.yaml says."""
    schedules, users = {}, {}

    def ref(name: str) -> dict:
        if name in EXPECTED.schedules or name in {n for *_, n in EXPECTED.regional_schedules()}:
            sid = schedules.setdefault(name, f"PS{len(schedules):05d}")
            return {"id": sid, "type": "schedule_reference", "summary": name}
        uid = users.setdefault(name, f"PU{len(users):05d}")
        return {"id": uid, "type": "user_reference", "summary": name}

    policies = []
    for i, p in enumerate(EXPECTED.policies):
        rules = []
        for j, r in enumerate(p.rules):
            nxt = p.rules[j + 1].after_minutes if j + 1 < len(p.rules) else 30
            rules.append({"id": f"R{i}{j}", "escalation_delay_in_minutes": nxt,
                          "targets": [ref(n) for n in sorted(r.targets, reverse=True)]})
        policies.append({"id": f"PE{i:05d}", "name": p.name, "num_loops": p.repeat,
                         "escalation_rules": rules, "html_url": f"https://pd/escalation_policies/PE{i:05d}"})
    for name in EXPECTED.schedules:
        ref(name)
    ids = {p["name"]: p["id"] for p in policies}
    services = [{"id": f"PV{i:05d}", "name": s.name, "html_url": f"https://pd/services/PV{i:05d}",
                 "escalation_policy": {"id": ids[s.policy], "type": "escalation_policy_reference"}}
                for i, s in enumerate(EXPECTED.services)]
    return {"policies": policies,
            "schedules": [{"id": sid, "name": n} for n, sid in schedules.items()],
            "users": [{"id": uid, "name": n} for n, uid in users.items()], "services": services}


def audit(acc):
    return audit_escalation(EXPECTED, acc["policies"], acc["schedules"], acc["users"], acc["services"])


def policy(acc, name):
    return next(p for p in acc["policies"] if p["name"] == name)


def test_an_account_as_the_handbook_says_has_no_findings():
    assert audit(_account()) == []


def test_a_delay_that_differs_names_the_rule_and_both_values():
    acc = _account()
    # the handbook: escalate to the Support Managers 10 minutes after the first rule
    policy(acc, "Customer Emergency Rotation")["escalation_rules"][0]["escalation_delay_in_minutes"] = 15
    [f] = audit(acc)
    assert (f.check_name, f.entity_id) == ("policy_rule_mismatch", policy(acc, "Customer Emergency Rotation")["id"])
    assert f.details["differences"] == [{"rule": 1, "what": "delay", "expected": 10, "actual": 15,
                                         "note": "rule 2 should be notified 10 minutes after rule 1"}]


def test_the_last_rules_delay_is_not_in_the_handbook_and_not_checked():
    acc = _account()
    policy(acc, "Customer Emergency Rotation")["escalation_rules"][-1]["escalation_delay_in_minutes"] = 99
    assert audit(acc) == []


def test_targets_are_compared_as_sets_missing_and_extra_named():
    acc = _account()
    rule = policy(acc, "Support Managers")["escalation_rules"][0]
    rule["targets"].reverse()  # order does not matter
    assert audit(acc) == []
    dropped = rule["targets"].pop()
    rule["targets"].append({"id": "PUEXTRA", "type": "user_reference", "summary": "Someone Else"})
    [f] = audit(acc)
    assert f.check_name == "policy_rule_mismatch"
    assert f.details["differences"] == [{"rule": 1, "what": "targets", "missing": [dropped["summary"]],
                                         "extra": ["Someone Else"]}]


def test_targets_are_named_from_the_account_not_from_stale_summaries():
    acc = _account()
    target = policy(acc, "Support Managers")["escalation_rules"][0]["targets"][0]
    target["summary"] = "An old name"
    assert audit(acc) == []


def test_a_rule_count_that_differs():
    acc = _account()
    policy(acc, "US Federal Customer Emergency Rotation")["escalation_rules"].pop()
    [f] = audit(acc)
    assert f.details["differences"][0] == {"what": "rule count", "expected": 3, "actual": 2}


def test_a_repeat_count_that_differs():
    acc = _account()
    policy(acc, "Customer Emergency Rotation")["num_loops"] = 3
    [f] = audit(acc)
    assert (f.check_name, f.details["expected"], f.details["actual"]) == ("policy_repeat_mismatch", 5, 3)


def test_a_missing_policy_is_named_and_its_service_is_without_its_policy():
    acc = _account()
    gone = policy(acc, "Customer Support - SLA Hawk")
    acc["policies"].remove(gone)
    found = {(f.check_name, f.entity_id): f for f in audit(acc)}
    assert set(found) == {("policy_missing", "Customer Support - SLA Hawk"),
                          ("service_without_policy", next(s["id"] for s in acc["services"]
                                                          if s["name"] == "SLA Hawk"))}
    assert "does not exist" in found[next(k for k in found if k[0] == "service_without_policy")].details["reason"]


def test_a_missing_schedule():
    acc = _account()
    acc["schedules"] = [s for s in acc["schedules"] if s["name"] != "US Federal On-Call"]
    found = {(f.check_name, f.entity_id) for f in audit(acc)}
    # the target's name now comes from its stale summary: still there, so only the schedule is missing
    assert ("schedule_missing", "US Federal On-Call") in found


def test_a_service_without_a_policy_or_on_another_one():
    acc = _account()
    svc = next(s for s in acc["services"] if s["name"] == "FRT Hawk")
    svc["escalation_policy"] = None
    other = next(s for s in acc["services"] if s["name"] == "Support Managers")
    other["escalation_policy"] = {"id": policy(acc, "Customer Emergency Rotation")["id"]}
    found = {f.entity_id: f.details["reason"] for f in audit(acc)}
    assert found == {svc["id"]: "the service has no escalation policy",
                     other["id"]: "it uses 'Customer Emergency Rotation', the handbook says 'Support Managers'"}


def test_a_service_the_handbook_does_not_name_only_needs_an_existing_policy():
    acc = _account()
    acc["services"].append({"id": "PVNEW", "name": "Something new",
                            "escalation_policy": {"id": acc["policies"][0]["id"]}})
    assert audit(acc) == []
    acc["services"][-1]["escalation_policy"] = {"id": "PGONE"}
    [f] = audit(acc)
    assert (f.check_name, f.entity_id) == ("service_without_policy", "PVNEW")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["escalation_policies"][0]["rules"][1].pop("after_minutes"), "'after_minutes' is missing"),
    (lambda d: d["escalation_policies"][0]["rules"][0].update(after_minutes=3), "notified immediately"),
    (lambda d: d["escalation_policies"][0].update(repeat="five"), "'repeat' must be a int"),
    (lambda d: d["regional_hours"]["AMER"].update(start="3pm"), "not a time of day"),
    (lambda d: d["coverage"]["Support Manager"].update(LATAM="x"), "region 'LATAM'"),
    (lambda d: d["escalation_policies"][1]["rules"][0]["notify"].append("US Federal On-Call"), "named twice"),
])
def test_a_mistake_in_the_expected_file_is_a_clear_error(change, message):
    import yaml

    from support_ops.oncall.expected import EXPECTED_FILE

    data = yaml.safe_load(EXPECTED_FILE.read_text())
    bad = copy.deepcopy(data)
    change(bad)
    with pytest.raises(ExpectedError, match=message):
        parse(bad)
    assert parse(data) == EXPECTED
