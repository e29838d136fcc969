"""The sandbox's PagerDuty renders schedules by PagerDuty's rules, seen through `pagerduty`.

Hand-built schedules (next to the seeded account) exercise each rule of
docs/pagerduty-schedules.md: a weekly 09:00 America/New_York hand-off across the November DST
change, layer precedence, restrictions leaving gaps the lower layer fills, a layer that ended,
overrides (later created wins), and `/oncalls` agreeing with the rendered final schedule.
Overrides are created through the API, in the future (the sandbox's clock is the real one).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pagerduty
import pytest
from airflow.providers.pagerduty.hooks.pagerduty import PagerdutyHook

from sandbox.core.collections import PD_ESCALATION_POLICIES, PD_SCHEDULES, PD_USERS
from sandbox.pagerduty.seed import seed_pagerduty
from sandbox.testing import use_sandbox

SEED_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
API = "https://api.pagerduty.com"
DAY, WEEK = 86400, 7 * 86400
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


def _user(uid: str, name: str) -> dict:
    return {"id": uid, "type": "user", "summary": name, "name": name,
            "email": f"{name.lower()}@example.com", "time_zone": "UTC",
            "self": f"{API}/users/{uid}", "html_url": f"https://example.pagerduty.com/users/{uid}"}


USERS = {k: _user(f"PTEST{k}1", n) for k, n in
         (("A", "Ana"), ("B", "Ben"), ("C", "Cleo"), ("D", "Dev"))}
A, B, C, D = (USERS[k]["id"] for k in "ABCD")


def ref(key: str) -> dict:
    u = USERS[key]
    return {"id": u["id"], "type": "user_reference", "summary": u["name"], "self": u["self"],
            "html_url": u["html_url"]}


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def layer(name: str, users: str, start: str, turn: int, restrictions=(), end: str | None = None):
    return {"id": "PL" + name.replace(" ", "").upper()[:5], "name": name, "start": start,
            "end": end, "rotation_virtual_start": start, "rotation_turn_length_seconds": turn,
            "users": [{"user": ref(k)} for k in users], "restrictions": list(restrictions)}


def daily(start: str, hours: int) -> dict:
    return {"type": "daily_restriction", "start_time_of_day": start,
            "duration_seconds": hours * 3600}


def schedule(sid: str, tz: str, layers: list[dict]) -> dict:
    users = {u["user"]["id"]: u["user"] for lay in layers for u in lay["users"]}
    return {"id": sid, "type": "schedule", "name": sid, "summary": sid, "time_zone": tz,
            "description": "", "self": f"{API}/schedules/{sid}",
            "html_url": f"https://example.pagerduty.com/schedules/{sid}",
            "users": list(users.values()), "teams": [], "escalation_policies": [],
            "schedule_layers": layers, "overrides": []}


def next_monday(after: datetime) -> datetime:
    day = after.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


# Overrides must lie in the future: their schedule starts on a Monday at least a week ahead.
FUTURE = next_monday(datetime.now(UTC) + timedelta(days=7))

SCHEDULES = [
    # A weekly hand-off at 09:00 New York time; DST ends on Sunday 2026-11-01.
    schedule("PDSTNY1", "America/New_York", [
        layer("Layer 1", "AB", "2026-10-26T09:00:00-04:00", WEEK)]),
    # Office hours 09:00-17:00 New York time, every day.
    schedule("PDSTNY2", "America/New_York", [
        layer("Layer 1", "C", "2026-10-26T00:00:00-04:00", DAY, [daily("09:00:00", 8)])]),
    # Three layers in UTC: round the clock, office hours on top, a weekend layer that ended.
    schedule("PLAYERS", "UTC", [
        layer("Layer 1", "AB", "2026-11-16T07:00:00Z", WEEK),
        layer("Layer 2", "CA", "2026-11-16T00:00:00Z", DAY, [daily("09:00:00", 8)]),
        layer("Weekend", "D", "2026-11-21T00:00:00Z", WEEK, [
            {"type": "weekly_restriction", "start_day_of_week": 6,
             "start_time_of_day": "00:00:00", "duration_seconds": 2 * DAY}],
            end="2026-11-23T00:00:00Z"),
    ]),
    # For the override tests: round the clock under office hours, starting in the future.
    schedule("POVERRD", "UTC", [
        layer("Layer 1", "AB", iso(FUTURE.replace(hour=7)), WEEK),
        layer("Layer 2", "C", iso(FUTURE), DAY, [daily("09:00:00", 8)]),
    ]),
]
# A schedule from a data folder with a restriction type PagerDuty does not have.
BROKEN = schedule("PBROKEN", "UTC", [layer("Layer 1", "A", "2026-11-16T00:00:00Z", DAY, [
    {"type": "monthly_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 3600}])])
POLICY = {
    "id": "PTESTEP", "type": "escalation_policy", "name": "Test policy", "summary": "Test policy",
    "num_loops": 0, "self": f"{API}/escalation_policies/PTESTEP",
    "html_url": "https://example.pagerduty.com/escalation_policies/PTESTEP",
    "escalation_rules": [
        {"id": "PRULE01", "escalation_delay_in_minutes": 10, "targets": [
            {"id": s, "type": "schedule_reference", "summary": s, "self": f"{API}/schedules/{s}",
             "html_url": f"https://example.pagerduty.com/schedules/{s}"}
            for s in ("PLAYERS", "PDSTNY1", "POVERRD")] + [ref("D")]},
        {"id": "PRULE02", "escalation_delay_in_minutes": 10, "targets": [
            {"id": "PDSTNY2", "type": "schedule_reference", "summary": "PDSTNY2",
             "self": f"{API}/schedules/PDSTNY2",
             "html_url": "https://example.pagerduty.com/schedules/PDSTNY2"}]},
    ],
}


def _populate(store, cfg) -> None:
    seed_pagerduty(store, SEED_NOW)
    store.put_many(PD_USERS, [(u["id"], u, 0, None) for u in USERS.values()])
    store.put_many(PD_SCHEDULES, [(s["id"], s, 0, None) for s in [*SCHEDULES, BROKEN]])
    store.put(PD_ESCALATION_POLICIES, POLICY["id"], POLICY)


@pytest.fixture(scope="module")
def pd_sandbox(sandbox_factory):
    return sandbox_factory(populate=_populate)


@pytest.fixture
def rest(monkeypatch, pd_sandbox) -> pagerduty.RestApiV2Client:
    use_sandbox(monkeypatch, pd_sandbox)
    hook = PagerdutyHook(pagerduty_conn_id="pagerduty_default")
    client = hook.client()
    client.url = hook.get_connection("pagerduty_default").extra_dejson["base_url"]
    return client


def final(client, sid: str, since: datetime, until: datetime, **params) -> list[tuple]:
    sched = client.rget(f"schedules/{sid}", params={"since": iso(since), "until": iso(until),
                                                    **params})
    return [(e["start"], e["end"], e["user"]["id"])
            for e in sched["final_schedule"]["rendered_schedule_entries"]]


def at(day: datetime, hour: int, minute: int = 0) -> str:
    return iso(day.replace(hour=hour, minute=minute))


def oncall(client, sid: str, when: datetime) -> list[tuple]:
    rows = client.list_all("oncalls", params={"since": iso(when), "until": iso(when),
                                              "schedule_ids": [sid]})
    return [(r["start"], r["end"], r["user"]["id"]) for r in rows]


# -- daylight-saving time ------------------------------------------------------------------
def test_weekly_handoff_stays_at_0900_new_york_across_the_dst_change(rest):
    since, until = datetime(2026, 10, 26, 13, tzinfo=UTC), datetime(2026, 11, 16, 14, tzinfo=UTC)
    # In UTC the hand-off moves from 13:00 (EDT) to 14:00 (EST): the first turn is an hour longer.
    assert final(rest, "PDSTNY1", since, until, time_zone="UTC") == [
        ("2026-10-26T13:00:00Z", "2026-11-02T14:00:00Z", A),
        ("2026-11-02T14:00:00Z", "2026-11-09T14:00:00Z", B),
        ("2026-11-09T14:00:00Z", "2026-11-16T14:00:00Z", A)]
    # By default entries are in the schedule's time zone: 09:00 local each Monday.
    assert [(s, e) for s, e, _ in final(rest, "PDSTNY1", since, until)] == [
        ("2026-10-26T09:00:00-04:00", "2026-11-02T09:00:00-05:00"),
        ("2026-11-02T09:00:00-05:00", "2026-11-09T09:00:00-05:00"),
        ("2026-11-09T09:00:00-05:00", "2026-11-16T09:00:00-05:00")]
    # At 13:30 UTC on Monday 2026-11-02 it is 08:30 in New York: still Ana's turn.
    assert oncall(rest, "PDSTNY1", datetime(2026, 11, 2, 13, 30, tzinfo=UTC)) == [
        ("2026-10-26T13:00:00Z", "2026-11-02T14:00:00Z", A)]
    assert oncall(rest, "PDSTNY1", datetime(2026, 11, 2, 14, 30, tzinfo=UTC))[0][2] == B


def test_daily_restriction_keeps_its_local_hours_across_the_dst_change(rest):
    days = [datetime(2026, 10, 30, tzinfo=UTC) + timedelta(days=i) for i in range(5)]
    entries = final(rest, "PDSTNY2", days[0], days[-1] + timedelta(days=1), time_zone="UTC")
    # 09:00-17:00 New York: 13:00-21:00 UTC before Sunday 2026-11-01, 14:00-22:00 UTC from it.
    assert entries == [(at(d, 13), at(d, 21), C) for d in days[:2]] + [
        (at(d, 14), at(d, 22), C) for d in days[2:]]
    sched = rest.rget("schedules/PDSTNY2", params={"since": iso(days[0]),
                                                   "until": iso(days[-1] + timedelta(days=1))})
    assert sched["final_schedule"]["rendered_coverage_percentage"] == pytest.approx(33.33)
    assert sched["final_schedule"]["rendered_schedule_entries"][0]["start"] == (
        "2026-10-30T09:00:00-04:00")


# -- layers --------------------------------------------------------------------------------
def test_higher_layer_wins_where_it_has_someone_and_gaps_show_the_lower_layer(rest):
    wed = MONDAY + timedelta(days=2)  # layer 2's day 2: Cleo; layer 1's first week: Ana
    assert final(rest, "PLAYERS", wed, wed + timedelta(days=1)) == [
        (at(wed, 0), at(wed, 9), A), (at(wed, 9), at(wed, 17), C), (at(wed, 17), iso(
            wed + timedelta(days=1)), A)]
    sched = rest.rget("schedules/PLAYERS", params={"since": iso(wed),
                                                   "until": iso(wed + timedelta(days=1))})
    lay1, lay2, weekend = sched["schedule_layers"]
    assert [(e["start"], e["end"]) for e in lay2["rendered_schedule_entries"]] == [
        (at(wed, 9), at(wed, 17))]
    assert lay2["rendered_coverage_percentage"] == pytest.approx(33.33)
    assert lay1["rendered_coverage_percentage"] == 100.0
    assert weekend["rendered_schedule_entries"] == []
    assert sched["final_schedule"]["rendered_coverage_percentage"] == 100.0


def test_adjacent_entries_of_the_same_person_are_merged(rest):
    tue = MONDAY + timedelta(days=1)  # layer 2's day 1 is Ana, as is layer 1's week
    assert final(rest, "PLAYERS", tue, tue + timedelta(days=1)) == [
        (at(tue, 0), iso(tue + timedelta(days=1)), A)]


def test_weekly_restriction_and_a_layer_that_ended(rest):
    sat = MONDAY + timedelta(days=5)
    # The weekend layer covers Saturday and Sunday over both other layers...
    assert final(rest, "PLAYERS", sat - timedelta(hours=2), sat + timedelta(days=2, hours=8)) == [
        (at(sat - timedelta(days=1), 22), iso(sat), A),
        (iso(sat), iso(sat + timedelta(days=2)), D),
        (iso(sat + timedelta(days=2)), at(sat + timedelta(days=2), 7), A),
        (at(sat + timedelta(days=2), 7), at(sat + timedelta(days=2), 8), B)]
    # ...until it ends: the next Saturday shows layer 1's second week and layer 2's day 12.
    sat2 = sat + timedelta(days=7)
    assert final(rest, "PLAYERS", sat2, sat2 + timedelta(days=1)) == [
        (at(sat2, 0), at(sat2, 9), B), (at(sat2, 9), at(sat2, 17), C),
        (at(sat2, 17), iso(sat2 + timedelta(days=1)), B)]
    # Before the first layer starts nobody is on call.
    assert final(rest, "PLAYERS", MONDAY, MONDAY + timedelta(hours=10)) == [
        (at(MONDAY, 7), at(MONDAY, 9), A), (at(MONDAY, 9), at(MONDAY, 10), C)]


# -- window, overflow, defaults ------------------------------------------------------------
def test_entries_are_clipped_to_the_window_unless_overflow(rest):
    wed = MONDAY + timedelta(days=2)
    since, until = wed.replace(hour=10), wed.replace(hour=12)
    assert final(rest, "PLAYERS", since, until) == [(iso(since), iso(until), C)]
    assert final(rest, "PLAYERS", since, until, overflow="true") == [
        (at(wed, 9), at(wed, 17), C)]


def test_window_defaults_follow_the_documentation(rest):
    bare = rest.rget("schedules/PLAYERS")
    assert bare["final_schedule"]["rendered_schedule_entries"] == []
    assert bare["final_schedule"]["rendered_coverage_percentage"] is None
    since_only = rest.rget("schedules/PDSTNY1", params={"since": "2026-11-02T14:00:00Z",
                                                       "time_zone": "UTC"})
    entries = since_only["final_schedule"]["rendered_schedule_entries"]
    assert entries[-1]["end"] == "2026-11-16T14:00:00Z"  # two weeks after since
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("schedules/PLAYERS", params={"since": iso(MONDAY), "time_zone": "Mars/Base"})
    assert err.value.response.status_code == 400
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("schedules/PLAYERS", params={"since": iso(MONDAY), "until": "yesterday"})
    assert err.value.response.status_code == 400


def test_a_schedule_that_cannot_be_rendered_is_named_in_the_error(rest):
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("schedules/PBROKEN", params={"since": iso(MONDAY)})
    assert err.value.response.status_code == 500
    message = err.value.response.json()["error"]["message"]
    assert "PBROKEN" in message and "monthly_restriction" in message
    assert "PBROKEN" in {s["id"] for s in rest.iter_all("schedules")}  # the list still works


def test_schedule_users_are_those_on_call_in_the_range(rest):
    wed = MONDAY + timedelta(days=2)
    users = rest.rget("schedules/PLAYERS/users", params={"since": at(wed, 10), "until": at(wed, 18)})
    assert [u["id"] for u in users] == [C, A]
    assert users[0]["name"] == "Cleo"


# -- overrides -----------------------------------------------------------------------------
def test_overrides_win_and_the_later_one_wins_over_an_earlier_one(rest):
    wed = FUTURE + timedelta(days=2)
    day = (wed, wed + timedelta(days=1))
    assert final(rest, "POVERRD", *day) == [
        (at(wed, 0), at(wed, 9), A), (at(wed, 9), at(wed, 17), C),
        (at(wed, 17), iso(day[1]), A)]
    made = rest.rpost("schedules/POVERRD/overrides", json=[
        {"start": at(wed, 8), "end": at(wed, 12), "user": {"id": D, "type": "user_reference"}}])
    assert [m["status"] for m in made] == [201]
    first = made[0]["override"]
    assert final(rest, "POVERRD", *day) == [
        (at(wed, 0), at(wed, 8), A), (at(wed, 8), at(wed, 12), D), (at(wed, 12), at(wed, 17), C),
        (at(wed, 17), iso(day[1]), A)]
    second = rest.rpost("schedules/POVERRD/overrides", json=[
        {"start": at(wed, 10), "end": at(wed, 11), "user": {"id": B, "type": "user_reference"}}])
    assert final(rest, "POVERRD", wed.replace(hour=7), wed.replace(hour=13)) == [
        (at(wed, 7), at(wed, 8), A), (at(wed, 8), at(wed, 10), D), (at(wed, 10), at(wed, 11), B),
        (at(wed, 11), at(wed, 12), D), (at(wed, 12), at(wed, 13), C)]
    sched = rest.rget("schedules/POVERRD", params={"since": iso(day[0]), "until": iso(day[1])})
    assert [(e["start"], e["end"], e["user"]["id"])
            for e in sched["overrides_subschedule"]["rendered_schedule_entries"]] == [
        (at(wed, 8), at(wed, 10), D), (at(wed, 10), at(wed, 11), B), (at(wed, 11), at(wed, 12), D)]
    # /oncalls sees the override as the on-call period.
    assert oncall(rest, "POVERRD", wed.replace(hour=10, minute=30)) == [
        (at(wed, 10), at(wed, 11), B)]
    # Listing clips at the window unless overflow; editable lists future overrides by id.
    listed = rest.rget("schedules/POVERRD/overrides", params={
        "since": at(wed, 9), "until": at(wed, 11, 30)})
    assert [(o["start"], o["end"], o["user"]["id"]) for o in listed] == [
        (at(wed, 9), at(wed, 11, 30), D), (at(wed, 10), at(wed, 11), B)]
    whole = rest.rget("schedules/POVERRD/overrides", params={
        "since": at(wed, 9), "until": at(wed, 11, 30), "overflow": "true"})
    assert whole[0]["start"] == at(wed, 8)
    editable = rest.rget("schedules/POVERRD/overrides", params={
        "since": iso(day[0]), "until": iso(day[1]), "editable": "true"})
    assert editable == [{"id": first["id"]}, {"id": second[0]["override"]["id"]}]
    # Removing a future override brings back what was below it.
    assert rest.rdelete(f"schedules/POVERRD/overrides/{second[0]['override']['id']}"
                        ).status_code == 204
    assert oncall(rest, "POVERRD", wed.replace(hour=10, minute=30)) == [
        (at(wed, 8), at(wed, 12), D)]
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rdelete("schedules/POVERRD/overrides/QNOSUCHOVERRIDE")
    assert err.value.response.status_code == 404


def test_bad_overrides_are_refused_one_by_one(rest):
    wed = FUTURE + timedelta(days=9)
    made = rest.rpost("schedules/POVERRD/overrides", json=[
        {"start": at(wed, 12), "end": at(wed, 11), "user": {"id": D, "type": "user_reference"}},
        {"start": at(wed, 11), "end": at(wed, 12), "user": {"id": "PNOBODY", "type": "user_reference"}},
        {"start": "soon", "end": at(wed, 12), "user": {"id": D, "type": "user_reference"}},
    ])
    assert [m["status"] for m in made] == [400, 400, 400]
    assert made[0]["errors"] == ["end must be after start"]
    assert "existing user" in made[1]["errors"][0]
    assert final(rest, "POVERRD", wed.replace(hour=11), wed.replace(hour=12)) == [
        (at(wed, 11), at(wed, 12), C)]
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("schedules/POVERRD/overrides", params={"since": at(wed, 11)})
    assert err.value.response.status_code == 400


# -- /oncalls ------------------------------------------------------------------------------
@pytest.mark.parametrize("sid", ["PLAYERS", "PDSTNY1", "PDSTNY2"])
def test_oncalls_agree_with_the_rendered_final_schedule(rest, sid):
    since, until = datetime(2026, 10, 31, 5, tzinfo=UTC), datetime(2026, 11, 29, 18, tzinfo=UTC)
    rows = rest.list_all("oncalls", params={"since": iso(since), "until": iso(until),
                                            "schedule_ids": [sid], "time_zone": "UTC"})
    periods = sorted((r["start"], r["end"], r["user"]["id"]) for r in rows)
    assert periods == final(rest, sid, since, until, overflow="true", time_zone="UTC")
    clipped = [(max(s, iso(since)), min(e, iso(until)), u) for s, e, u in periods]
    assert clipped == final(rest, sid, since, until, time_zone="UTC")
    assert {r["escalation_policy"]["id"] for r in rows} == {"PTESTEP"}
    assert {r["escalation_level"] for r in rows} == {2 if sid == "PDSTNY2" else 1}


def test_oncalls_filters_earliest_and_permanent_user_targets(rest):
    since, until = iso(MONDAY), iso(MONDAY + timedelta(days=14))
    base = {"since": since, "until": until, "escalation_policy_ids": ["PTESTEP"]}
    every = rest.list_all("oncalls", params=base)
    permanent = [r for r in every if r["schedule"] is None]
    assert [(r["user"]["id"], r["start"], r["end"]) for r in permanent] == [(D, None, None)]
    # schedule_ids leaves permanent on-calls out unless it names "null".
    only_null = rest.list_all("oncalls", params={**base, "schedule_ids": ["null"]})
    assert [(r["user"]["id"], r["schedule"]) for r in only_null] == [(D, None)]
    earliest = rest.list_all("oncalls", params={**base, "schedule_ids": ["PLAYERS"],
                                                "earliest": "true"})
    assert sorted(r["user"]["id"] for r in earliest) == sorted([A, B, C, D])
    firsts = {r["user"]["id"]: r["start"] for r in earliest}
    assert firsts[A] == at(MONDAY, 7) and firsts[C] == at(MONDAY, 9)
    only_c = rest.list_all("oncalls", params={**base, "schedule_ids": ["PLAYERS"],
                                              "user_ids": [C]})
    assert only_c and {r["user"]["id"] for r in only_c} == {C}
    with pytest.raises(pagerduty.HttpError) as err:
        rest.rget("oncalls", params={"since": since, "until": iso(MONDAY + timedelta(days=91))})
    assert err.value.response.status_code == 400


def test_oncalls_pages_with_limit_and_offset(rest):
    params = {"since": iso(MONDAY), "until": iso(MONDAY + timedelta(days=14)),
              "escalation_policy_ids": ["PTESTEP"]}
    every = rest.list_all("oncalls", params=params)
    paged = list(rest.iter_all("oncalls", params=params, page_size=3))
    assert len(every) > 6 and paged == every
    first = rest.get("oncalls", params={**params, "limit": 3, "total": "true"}).json()
    assert (first["limit"], first["offset"], first["more"], first["total"]) == (
        3, 0, True, len(every))


# -- the seeded account --------------------------------------------------------------------
@pytest.mark.parametrize("trio", [("PIQ317K", "P3UR3IV", "P9SV029"),
                                  ("PTI56V1", "PWBXTYX", "PXQ2ZAZ")])
def test_seeded_regional_schedules_cover_the_day_between_them(rest, trio):
    since, until = MONDAY.replace(hour=7), MONDAY.replace(hour=7) + timedelta(days=14)
    spans = []
    for sid in trio:
        sched = rest.rget(f"schedules/{sid}", params={"since": iso(since), "until": iso(until)})
        assert sched["final_schedule"]["rendered_coverage_percentage"] == pytest.approx(33.33)
        spans += [(e["start"], e["end"]) for e in sched["final_schedule"]["rendered_schedule_entries"]]
    spans.sort()
    assert spans[0][0] == iso(since) and spans[-1][1] == iso(until)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))  # no gap, no overlap
