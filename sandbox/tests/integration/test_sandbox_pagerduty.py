"""The sandbox's PagerDuty through the Airflow PagerDuty provider hooks and the `pagerduty` client.

The hooks take no base URL: `PagerdutyHook.client()` returns a `pagerduty.RestApiV2Client`
whose `url` we point at the sandbox (from the connection's `base_url` extra), and the events
hook builds its `EventsApiV2Client` inside `send_event`, so the test builds that client the
same way (the hook's integration key and `prepare_event_data`) with the sandbox base URL.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pagerduty
import pytest
from airflow.providers.pagerduty.hooks.pagerduty import PagerdutyHook
from airflow.providers.pagerduty.hooks.pagerduty_events import (
    PagerdutyEventsHook,
    prepare_event_data,
)

from sandbox.pagerduty.seed import seed_pagerduty
from sandbox.testing import use_sandbox

SEED_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 17, tzinfo=UTC)  # a Tuesday; the hand-off is Monday 2026-11-16 07:00
EMEA, AMER, APAC = "P9SV029", "PIQ317K", "P3UR3IV"


@pytest.fixture(scope="module")
def pd_sandbox(sandbox_factory):
    return sandbox_factory(populate=lambda store, cfg: seed_pagerduty(store, SEED_NOW))


@pytest.fixture
def rest(monkeypatch, pd_sandbox) -> pagerduty.RestApiV2Client:
    use_sandbox(monkeypatch, pd_sandbox)
    hook = PagerdutyHook(pagerduty_conn_id="pagerduty_default")
    client = hook.client()
    client.url = hook.get_connection("pagerduty_default").extra_dejson["base_url"]
    return client


@pytest.fixture
def events(monkeypatch, pd_sandbox) -> tuple[PagerdutyEventsHook, pagerduty.EventsApiV2Client]:
    use_sandbox(monkeypatch, pd_sandbox)
    hook = PagerdutyEventsHook(pagerduty_events_conn_id="pagerduty_events_default")
    base = hook.get_connection("pagerduty_events_default").extra_dejson["base_url"]
    return hook, pagerduty.EventsApiV2Client(hook.integration_key, base_url=base)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_user(schedule: dict, at: datetime) -> str:
    """Who the single weekly layer puts on call at `at`, ignoring restrictions."""
    layer = schedule["schedule_layers"][0]
    start = datetime.fromisoformat(layer["rotation_virtual_start"].replace("Z", "+00:00"))
    turn = timedelta(seconds=layer["rotation_turn_length_seconds"])
    users = layer["users"]
    return users[math.floor((at - start) / turn) % len(users)]["user"]["id"]


def oncall_users(client, schedule_id: str, at: datetime) -> list[dict]:
    return client.list_all("oncalls", params={
        "since": iso(at), "until": iso(at + timedelta(seconds=1)), "schedule_ids": [schedule_id]})


def test_lists_page_to_the_end(rest):
    users = list(rest.iter_all("users", page_size=7))
    assert len(users) == len({u["id"] for u in users}) > 40
    assert all(u["email"].endswith("@example.com") for u in users)
    schedules = {s["id"]: s["name"] for s in rest.iter_all("schedules", page_size=4)}
    assert schedules[EMEA] == "Customer Emergencies - EMEA"
    assert {"PIQ317K", "P3UR3IV", "P8N34WC", "P89ZYHZ", "PNNCL8O", "PFR91E4", "PARKBKA",
            "PTI56V1", "PWBXTYX", "PXQ2ZAZ", "P9UIIDY"} <= set(schedules)
    policies = {p["id"]: p for p in rest.iter_all("escalation_policies", page_size=2)}
    cer = policies["PKV6GCH"]
    assert [r["escalation_delay_in_minutes"] for r in cer["escalation_rules"]][:2] == [10, 5]
    assert cer["num_loops"] == 5
    assert {t["id"] for t in cer["escalation_rules"][0]["targets"]} == {AMER, APAC, EMEA}
    fed = policies["PNPWBEW"]["escalation_rules"]
    assert [r["escalation_delay_in_minutes"] for r in fed][:2] == [15, 20]
    services = {s["id"]: s for s in rest.iter_all("services")}
    assert services["PL3TX00"]["escalation_policy"]["id"] == "PKV6GCH"
    assert {"P8K2XHK", "P6IRZCX", "PFUEHWO", "PTFI8XR"} <= set(services)
    # US Federal people are their own pool.
    fed_sched = rest.rget(f"schedules/{'P89ZYHZ'}")
    fed_ids = {u["id"] for u in fed_sched["users"]}
    others = {u["id"] for sid in (AMER, APAC, EMEA) for u in rest.rget(f"schedules/{sid}")["users"]}
    assert fed_ids and not fed_ids & others


def test_offset_limit_cap_and_auth(rest, pd_sandbox):
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("users", params={"offset": 9990, "limit": 20})
    assert err.value.response.status_code == 400
    base = pd_sandbox.config.base_url("pagerduty")
    r = httpx.get(f"{base}/users", headers={"Authorization": "Token token=wrong"},
                  verify=pd_sandbox.env["SSL_CERT_FILE"])
    assert r.status_code == 401 and r.json()["error"]["code"] == 2006


def test_oncall_follows_regional_hours(rest):
    emea = rest.rget(f"schedules/{EMEA}")
    amer = rest.rget(f"schedules/{AMER}")
    at10 = TUESDAY.replace(hour=10)
    rows = oncall_users(rest, EMEA, at10)
    assert {r["user"]["id"] for r in rows} == {expected_user(emea, at10)}
    assert rows[0]["start"] == iso(TUESDAY.replace(hour=7))
    assert rows[0]["end"] == iso(TUESDAY.replace(hour=15))
    assert oncall_users(rest, AMER, at10) == []
    at16 = TUESDAY.replace(hour=16)
    assert {r["user"]["id"] for r in oncall_users(rest, AMER, at16)} == {expected_user(amer, at16)}
    assert oncall_users(rest, EMEA, at16) == []
    # APAC runs across midnight: 23:00 to 07:00.
    assert oncall_users(rest, APAC, TUESDAY.replace(hour=3))
    assert oncall_users(rest, APAC, TUESDAY.replace(hour=12)) == []
    # Escalation policy view: who is on call at level 1 of the emergency rotation right now-ish.
    everyone = rest.list_all("oncalls", params={
        "since": iso(at10), "until": iso(at10 + timedelta(seconds=1)),
        "escalation_policy_ids": ["PKV6GCH"], "earliest": True})
    level1 = {r["schedule"]["id"] for r in everyone if r["escalation_level"] == 1}
    assert level1 == {EMEA}
    assert any(r["schedule"] is None and r["start"] is None for r in everyone)  # user targets


def test_monday_handoff_changes_the_person(rest):
    monday = TUESDAY - timedelta(days=1)
    friday = monday - timedelta(days=3)
    before = oncall_users(rest, EMEA, friday.replace(hour=10))[0]["user"]["id"]
    after = oncall_users(rest, EMEA, monday.replace(hour=10))[0]["user"]["id"]
    assert before != after
    # The APAC night shift ends exactly at the hand-off.
    night = oncall_users(rest, APAC, monday.replace(hour=6, minute=30))[0]
    assert night["end"] == iso(monday.replace(hour=7))
    next_night = oncall_users(rest, APAC, monday.replace(hour=23, minute=30))[0]
    assert next_night["user"]["id"] != night["user"]["id"]


def test_rendered_schedule_entries(rest):
    since, until = TUESDAY - timedelta(days=2), TUESDAY + timedelta(days=1)
    sched = rest.rget(f"schedules/{EMEA}", params={"since": iso(since), "until": iso(until)})
    entries = sched["final_schedule"]["rendered_schedule_entries"]
    assert [(e["start"], e["end"]) for e in entries] == [
        (iso(d.replace(hour=7)), iso(d.replace(hour=15)))
        for d in (since, since + timedelta(days=1), since + timedelta(days=2))]
    users = [e["user"]["id"] for e in entries]
    assert users[0] != users[1] == users[2]  # Sunday is last week's person
    assert sched["final_schedule"]["rendered_coverage_percentage"] == pytest.approx(33.33)
    # Clipped to the window unless overflow is asked for.
    mid = rest.rget(f"schedules/{EMEA}", params={
        "since": iso(TUESDAY.replace(hour=10)), "until": iso(TUESDAY.replace(hour=12))})
    assert mid["final_schedule"]["rendered_schedule_entries"][0]["start"] == iso(
        TUESDAY.replace(hour=10))


def test_event_trigger_is_idempotent_and_resolves(rest, events):
    hook, client = events
    key = f"sla-breach-{uuid.uuid4().hex[:8]}"
    data = prepare_event_data(summary="Premium ticket 123 breaches in 2h", severity="critical",
                              source="support-ops", dedup_key=key, custom_details={"ticket": 123})
    assert client.send_event(**data) == key
    assert client.send_event(**data) == key
    mine = [i for i in rest.list_all("incidents", params={"statuses": ["triggered"]})
            if i["incident_key"] == key]
    assert len(mine) == 1
    assert mine[0]["service"]["id"] == "PL3TX00" and mine[0]["alert_counts"]["all"] == 2
    assert mine[0]["title"] == "Premium ticket 123 breaches in 2h"
    client.resolve(key)
    got = rest.rget(f"incidents/{mine[0]['id']}")
    assert got["status"] == "resolved"
    assert not [i for i in rest.list_all("incidents", params={"statuses": ["triggered"]})
                if i["incident_key"] == key]
    with pytest.raises(pagerduty.HttpError):
        pagerduty.EventsApiV2Client("not-the-key", base_url=client.url).trigger("x", "y")


def test_create_incident_needs_from(rest):
    body = {"incident": {"type": "incident", "title": "Manager needed",
                         "service": {"id": "PTFI8XR", "type": "service_reference"}}}
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rpost("incidents", json=body)
    assert err.value.response.status_code == 400
    created = rest.rpost("incidents", json=body, headers={"From": "ops-bot@example.com"})
    assert created["status"] == "triggered" and created["service"]["id"] == "PTFI8XR"


def test_429_is_waited_out(rest, pd_sandbox):
    base = pd_sandbox.config.base_url("pagerduty")
    verify = pd_sandbox.env["SSL_CERT_FILE"]
    # Seed 1 draws 0.13 first: with rate 0.5 and a burst of 2 the next two calls get 429.
    httpx.post(f"{base}/_sandbox/realism", verify=verify,
               json={"faults": {"seed": 1, "rate_429": 0.5, "burst_429": 2, "retry_after": 1}})
    rest.sleep_timer = 0.05  # the client backs off exponentially; keep the test quick
    try:
        services = rest.list_all("services")
        stats = httpx.get(f"{base}/_sandbox/stats", verify=verify).json()
    finally:  # changing the realism also resets the statistics, so read them first
        httpx.post(f"{base}/_sandbox/realism", verify=verify, json={"faults": {"rate_429": 0.0}})
    assert len(services) == 6
    assert stats["faults"].get("429") == 2
