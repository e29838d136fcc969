"""The Zendesk sandbox through the real clients: Airflow's ZendeskHook (zenpy) and requests.

Seeds its own few hundred tickets/organizations, then does what the pipelines do:
cursor export with metric sets to the end, satisfaction ratings, organization list /
show_many / update_many + job polling, view counts, and the auth and realism paths
(429 waited out, token expiry, API tokens switched off, password refused).
"""

from __future__ import annotations

import json
import random
import time

import pytest
import requests

from sandbox.core.collections import (
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
from sandbox.testing import use_sandbox
from sandbox.zendesk.common import iso

N_TICKETS = 400
N_ORGS = 250
N_USERS = 120
N_RATINGS = 230
ORG0, USER0, TICKET0 = 360000000000, 370000000000, 1
HELD_BACK = 5  # tickets generated within the last minute: not exported yet
STATUSES = ["new", "open", "pending", "hold", "solved", "closed"]
SCORES = ["offered", "unoffered", "good", "bad"]


def _ticket(i: int, ts: int, status: str, rng: random.Random) -> dict:
    tid = TICKET0 + i
    created = ts - rng.randint(3600, 30 * 86400)
    tags = rng.sample(["premium", "csat_survey_sent", "close_by_merge", "ultimate", "billing"], 2)
    return {
        "url": f"https://sandbox.zendesk.com/api/v2/tickets/{tid}.json", "id": tid,
        "external_id": None,
        "via": {"channel": rng.choice(["email", "web", "api"]),
                "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(created), "updated_at": iso(ts), "type": None,
        "subject": f"Ticket {tid}", "raw_subject": f"Ticket {tid}", "description": "help",
        "priority": rng.choice(["low", "normal", "high", "urgent", None]), "status": status,
        "recipient": rng.choice(["support@example.com", "mail-list@gitlab.com", None]),
        "requester_id": USER0 + i % N_USERS, "submitter_id": USER0 + i % N_USERS,
        "assignee_id": None, "organization_id": ORG0 + i % N_ORGS,
        "group_id": rng.choice([11, 12]), "collaborator_ids": [], "follower_ids": [],
        "email_cc_ids": [], "forum_topic_id": None, "problem_id": None, "has_incidents": False,
        "is_public": True, "due_at": None, "tags": tags, "custom_fields": [],
        "satisfaction_rating": None, "sharing_agreement_ids": [], "custom_status_id": 1,
        "fields": [], "followup_ids": [], "ticket_form_id": rng.choice([21, 22]), "brand_id": 1,
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
        "generated_timestamp": ts,
    }


def _populate(store, cfg) -> None:
    """A few hundred tickets (some deleted, a few generated in the last minute), metric sets,
    ratings, organizations, users, views and reference lists."""
    rng = random.Random(11)
    now = int(time.time())
    base = now - 40 * 86400
    tickets, metrics = [], []
    for i in range(N_TICKETS):
        ts = base + i * 7200 if i < N_TICKETS - HELD_BACK else now - 5
        status = "deleted" if i % 10 == 3 else STATUSES[i % len(STATUSES)]
        t = _ticket(i, ts, status, rng)
        tickets.append((t["id"], t, ts, t["id"]))
        metrics.append((t["id"], {"id": 900000 + t["id"], "ticket_id": t["id"],
                                  "solved_at": iso(ts) if status in ("solved", "closed") else None,
                                  "created_at": t["created_at"], "updated_at": t["updated_at"],
                                  "reopens": 0, "replies": 1}, ts, t["id"]))
    store.put_many(ZD_TICKETS, tickets)
    store.put_many(ZD_TICKET_METRICS, metrics)
    orgs = []
    for i in range(N_ORGS):
        oid = ORG0 + i
        upd = base + i * 600
        orgs.append((oid, {
            "url": f"https://sandbox.zendesk.com/api/v2/organizations/{oid}.json", "id": oid,
            "name": f"Org {i}", "shared_tickets": False, "shared_comments": False,
            "external_id": None, "created_at": iso(upd - 86400), "updated_at": iso(upd),
            "domain_names": [f"org{i}.example.com"], "details": None, "notes": None,
            "group_id": None, "tags": [], "deleted_at": None,
            "organization_fields": {"salesforce_id": f"0010000000000{i:05d}",
                                    "support_level": rng.choice(["premium", "ultimate", ""]),
                                    "aar": 1000.0 * i, "number_of_seats": i},
        }, upd, oid))
    store.put_many(ZD_ORGANIZATIONS, orgs)
    store.put_many(ZD_USERS, [(USER0 + i, {"id": USER0 + i, "name": f"User {i}",
                                           "organization_id": ORG0 + i,
                                           "updated_at": iso(base + i)}, base + i, USER0 + i)
                              for i in range(N_USERS)])
    ratings = []
    for i in range(N_RATINGS):
        upd = base + i * 3600
        score = SCORES[i % 4]
        ratings.append((5000 + i, {
            "id": 5000 + i, "url": f"https://sandbox.zendesk.com/api/v2/satisfaction_ratings/{5000 + i}.json",
            "ticket_id": TICKET0 + i, "requester_id": USER0, "assignee_id": None, "group_id": 11,
            "score": score, "comment": "slow" if score in ("good", "bad") and i % 3 == 0 else None,
            "reason": None, "reason_id": None, "created_at": iso(upd), "updated_at": iso(upd)},
            upd, 5000 + i))
    store.put_many(ZD_SATISFACTION_RATINGS, ratings)
    store.put_many(ZD_VIEWS, [
        (31, {"id": 31, "title": "Open premium", "conditions": {"all": [
            {"field": "status", "operator": "less_than", "value": "solved"},
            {"field": "current_tags", "operator": "includes", "value": "premium"}], "any": []}},
         0, 31),
        (32, {"id": 32, "title": "Urgent, group 11", "conditions": {"all": [
            {"field": "priority", "operator": "is", "value": "urgent"},
            {"field": "group_id", "operator": "is", "value": "11"}], "any": []}}, 0, 32),
        (33, {"id": 33, "title": "Fixed", "count": 42}, 0, 33),
    ])
    store.put_many(ZD_TICKET_FORMS, [(21, {"id": 21, "name": "SaaS"}, 0, 21),
                                     (22, {"id": 22, "name": "Self-Managed"}, 0, 22)])
    store.put_many(ZD_SLA_POLICIES, [(41, {"id": 41, "title": "Premium"}, 0, 41)])
    store.put_many(ZD_ORGANIZATION_FIELDS, [(51, {"id": 51, "key": "support_level"}, 0, 51)])
    store.put_many(ZD_SATISFACTION_REASONS, [(61, {"id": 61, "value": "Some other reason"}, 0, 61)])
    store.put_many(ZD_TICKET_METRIC_EVENTS, [
        (70 + i, {"id": 70 + i, "ticket_id": 1, "metric": "reply_time", "instance_id": 1,
                  "type": "activate", "time": iso(base + i)}, base + i, 70 + i) for i in range(5)])


@pytest.fixture(scope="module")
def zd(sandbox_factory):
    return sandbox_factory(populate=_populate)


def _base(sb) -> str:
    return sb.config.base_url("zendesk")


def _token(sb, **extra) -> dict:
    creds = sb.credentials["zendesk"]
    r = requests.post(f"{_base(sb)}/oauth/tokens", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "scope": "read write", **extra}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _bearer(sb) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(sb)['access_token']}"}


def _admin(sb, path: str, body: dict) -> dict:
    r = requests.post(f"{_base(sb)}/_sandbox/{path}", json=body, timeout=10)
    r.raise_for_status()
    return r.json()


@pytest.fixture
def hook(zd, monkeypatch):
    """An Airflow ZendeskHook whose connection carries an OAuth token from the sandbox."""
    from airflow.providers.zendesk.hooks.zendesk import ZendeskHook

    use_sandbox(monkeypatch, zd)
    conn = {"conn_type": "zendesk", "host": "sandbox.zendesk.com",
            "extra": {"oauth_token": _token(zd)["access_token"]}}
    monkeypatch.setenv("AIRFLOW_CONN_ZENDESK_DEFAULT", json.dumps(conn))
    return ZendeskHook()


def test_cursor_export_with_metric_sets_to_the_end(zd, hook):
    client = hook.get_conn()
    gen = client.tickets.incremental(start_time=0, include="metric_sets", per_page=100,
                                     paginate_by_time=False)
    ids, metric_ticket_ids, deleted, cursors = [], set(), set(), []
    for ticket in gen:
        ids.append(ticket.id)
        page = gen._response_json
        if not cursors or cursors[-1] != page["after_cursor"]:
            cursors.append(page["after_cursor"])
            # Zendesk's shape: each ticket carries its own `metric_set`; no top-level array.
            assert "metric_sets" not in page
            for t in page["tickets"]:
                if t["status"] == "deleted":
                    deleted.add(t["id"])
                    assert "metric_set" not in t  # Zendesk serves none for deleted tickets
                else:
                    assert t["metric_set"]["ticket_id"] == t["id"]
                    metric_ticket_ids.add(t["id"])
            assert page["after_url"].startswith(_base(zd))
            assert "include=metric_sets" in page["after_url"] and "per_page=100" in page["after_url"]
    expected = N_TICKETS - HELD_BACK
    assert len(ids) == expected and len(set(ids)) == expected
    assert ids == sorted(ids)  # generated_timestamp order = id order in this data set
    assert deleted and metric_ticket_ids == set(ids) - deleted
    assert len(cursors) == 4
    # The last page ends the stream but still carries a cursor to resume from.
    last = gen._response_json
    assert last["end_of_stream"] is True and last["after_cursor"]

    # A ticket changed after the run shows up on the next poll from the saved cursor.
    last_ts = zd.store.get(ZD_TICKETS, ids[-1])["generated_timestamp"]
    changed = zd.store.get(ZD_TICKETS, TICKET0 + 7)
    changed.update(status="solved", generated_timestamp=last_ts + 5)
    zd.store.put(ZD_TICKETS, changed["id"], changed, ts=last_ts + 5)
    again = list(client.tickets.incremental(cursor=last["after_cursor"], paginate_by_time=False))
    assert [t.id for t in again] == [changed["id"]] and again[0].status == "solved"


def test_exclusions_and_time_based_exports(zd):
    h = _bearer(zd)
    url = f"{_base(zd)}/api/v2/incremental/tickets/cursor.json"
    body = requests.get(url, params={"start_time": 0}, headers=h, timeout=10).json()
    assert set(body) == {"tickets", "after_url", "after_cursor", "before_url", "before_cursor",
                         "end_of_stream"}
    statuses = {t["status"] for t in body["tickets"]}
    assert "deleted" in statuses
    recent = int(time.time()) - 60
    assert all(t["generated_timestamp"] <= recent for t in body["tickets"])
    kept = requests.get(url, params={"start_time": 0, "exclude_deleted": "true"}, headers=h,
                        timeout=10).json()
    assert kept["tickets"] and all(t["status"] != "deleted" for t in kept["tickets"])
    assert len(kept["tickets"]) < len(body["tickets"])
    assert "exclude_deleted=true" in kept["after_url"]
    # A start within the last minute: an empty page that resumes where it began (clients such
    # as tap-zendesk probe with start_time=<now> and need a 200).
    now = int(time.time())
    too_recent = requests.get(url, params={"start_time": now}, headers=h, timeout=10)
    assert too_recent.status_code == 200
    assert too_recent.json()["tickets"] == [] and too_recent.json()["end_of_stream"] is True
    recent_timed = requests.get(f"{_base(zd)}/api/v2/incremental/ticket_metric_events.json",
                                params={"start_time": now}, headers=h, timeout=10).json()
    assert recent_timed["ticket_metric_events"] == [] and recent_timed["end_time"] == now
    # start_time is read as the integer its text begins with (an ISO date gives its year).
    iso_start = requests.get(f"{_base(zd)}/api/v2/incremental/organizations.json",
                             params={"start_time": "2026-12-02T06:26:25Z"}, headers=h, timeout=10)
    assert iso_start.status_code == 200 and iso_start.json()["count"] == N_ORGS
    missing = requests.get(url, headers=h, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "InvalidValue"

    # Time-based variant: pages run to the end of a second; next_page carries end_time.
    timed = requests.get(f"{_base(zd)}/api/v2/incremental/tickets.json",
                         params={"start_time": 0, "per_page": 150}, headers=h, timeout=10).json()
    assert timed["count"] == 150 and timed["end_of_stream"] is False
    assert timed["next_page"].startswith(_base(zd)) and f"start_time={timed['end_time']}" in timed["next_page"]
    orgs = requests.get(f"{_base(zd)}/api/v2/incremental/organizations.json",
                        params={"start_time": 0}, headers=h, timeout=10).json()
    assert orgs["count"] == N_ORGS and orgs["end_of_stream"] is True
    users = requests.get(f"{_base(zd)}/api/v2/incremental/users/cursor.json",
                         params={"start_time": 0}, headers=h, timeout=10).json()
    assert len(users["users"]) == N_USERS and users["end_of_stream"] is True
    events = requests.get(f"{_base(zd)}/api/v2/incremental/ticket_metric_events.json",
                          params={"start_time": 0}, headers=h, timeout=10).json()
    assert len(events["ticket_metric_events"]) == 5


def test_satisfaction_ratings_paged_and_filtered(zd, hook):
    client = hook.get_conn()
    all_ratings = list(client.satisfaction_ratings())
    assert len(all_ratings) == N_RATINGS
    assert len({r.id for r in all_ratings}) == N_RATINGS
    received = list(client.satisfaction_ratings(score="received"))
    assert {r.score for r in received} == {"good", "bad"}
    assert len(received) == sum(SCORES[i % 4] in ("good", "bad") for i in range(N_RATINGS))
    bad_with_comment = list(client.satisfaction_ratings(score="bad_with_comment"))
    assert bad_with_comment and all(r.score == "bad" and r.comment for r in bad_with_comment)
    start = all_ratings[100].updated_at
    start_ts = int(time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%SZ"))) - time.timezone
    window = list(client.satisfaction_ratings(start_time=start_ts, end_time=start_ts + 9 * 3600))
    assert [r.id for r in window] == [r.id for r in all_ratings[100:110]]

    h = _bearer(zd)
    page = requests.get(f"{_base(zd)}/api/v2/satisfaction_ratings.json",
                        params={"page[size]": 50, "score": "good"}, headers=h, timeout=10).json()
    assert page["meta"]["has_more"] is True and "score=good" in page["links"]["next"]
    nxt = requests.get(page["links"]["next"], headers=h, timeout=10).json()
    assert nxt["satisfaction_ratings"][0]["id"] > page["satisfaction_ratings"][-1]["id"]
    one = requests.get(f"{_base(zd)}/api/v2/satisfaction_ratings/5001.json", headers=h, timeout=10)
    assert one.json()["satisfaction_rating"]["id"] == 5001
    bad = requests.get(f"{_base(zd)}/api/v2/satisfaction_ratings", params={"score": "meh"},
                       headers=h, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidValue"
    reasons = requests.get(f"{_base(zd)}/api/v2/satisfaction_reasons.json", headers=h, timeout=10)
    assert reasons.json()["reasons"][0]["value"] == "Some other reason"


def test_satisfaction_ratings_start_time_is_creation_time_and_sort_is_kept(zd):
    """Zendesk documents start_time/end_time as the time of the oldest/most recent rating
    (created_at); `sort` orders the list (and its cursor) and stays in links.next."""
    h = _bearer(zd)
    url = f"{_base(zd)}/api/v2/satisfaction_ratings.json"
    old = zd.store.get(ZD_SATISFACTION_RATINGS, 5010)
    created_ts = int(time.mktime(time.strptime(old["created_at"], "%Y-%m-%dT%H:%M:%SZ"))) - time.timezone
    changed = {**old, "score": "good", "updated_at": iso(int(time.time()) - 60)}
    zd.store.put(ZD_SATISFACTION_RATINGS, 5010, changed, ts=int(time.time()) - 60, seq=5010)
    try:
        since = requests.get(url, params={"start_time": created_ts + 1, "page[size]": 100},
                             headers=h, timeout=10).json()["satisfaction_ratings"]
        assert 5010 not in {r["id"] for r in since}  # a later change does not bring it back
        assert all(r["created_at"] >= iso(created_ts + 1) for r in since)
        window = requests.get(url, params={"start_time": created_ts, "end_time": created_ts},
                              headers=h, timeout=10).json()["satisfaction_ratings"]
        assert [r["id"] for r in window] == [5010]
        by_update = requests.get(url, params={"sort": "-updated_at", "page[size]": 5},
                                 headers=h, timeout=10).json()
        assert by_update["satisfaction_ratings"][0]["id"] == 5010
    finally:
        zd.store.put(ZD_SATISFACTION_RATINGS, 5010, old, ts=created_ts, seq=5010)

    # Descending by creation, paged by cursor to the end: every rating once, in order, and
    # every page's next link carries the sort and the client's other parameters.
    got, params, link = [], {"sort": "-created_at", "page[size]": 40, "score": "received"}, url
    while True:
        body = requests.get(link, params=params, headers=h, timeout=10).json()
        got += body["satisfaction_ratings"]
        if not body["meta"]["has_more"]:
            break
        link, params = body["links"]["next"], None
        assert "sort=-created_at" in link and "score=received" in link and "page%5Bsize%5D=40" in link
    keys = [(r["created_at"], r["id"]) for r in got]
    assert keys == sorted(keys, reverse=True)
    assert len(got) == sum(SCORES[i % 4] in ("good", "bad") for i in range(N_RATINGS))
    offset = requests.get(url, params={"sort": "id", "per_page": 30}, headers=h, timeout=10).json()
    assert "sort=id" in offset["next_page"] and "per_page=30" in offset["next_page"]
    assert [r["id"] for r in offset["satisfaction_ratings"]] == list(range(5000, 5030))
    wrong = requests.get(url, params={"sort": "score"}, headers=h, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"] == "InvalidValue"


def test_next_links_use_the_requests_scheme_and_host_and_carry_its_parameters(zd):
    h = {**_bearer(zd), "Host": "acme.zendesk.com", "X-Forwarded-Proto": "https"}
    base, front = _base(zd), "https://acme.zendesk.com/api/v2/"
    timed = requests.get(f"{base}/api/v2/incremental/tickets.json", headers=h, timeout=10,
                         params={"start_time": 0, "per_page": 50, "exclude_deleted": "true"}).json()
    assert timed["next_page"].startswith(front + "incremental/tickets.json?")
    assert "per_page=50" in timed["next_page"] and "exclude_deleted=true" in timed["next_page"]
    assert timed["next_page"].count("start_time=") == 1
    ratings = requests.get(f"{base}/api/v2/satisfaction_ratings", headers=h, timeout=10,
                           params={"page[size]": 20, "score": "good", "sort": "updated_at"}).json()
    for key in ("next", "prev"):
        assert ratings["links"][key].startswith(front + "satisfaction_ratings?")
        assert "score=good" in ratings["links"][key] and "sort=updated_at" in ratings["links"][key]
    orgs = requests.get(f"{base}/api/v2/organizations.json", headers=h, timeout=10,
                        params={"page[size]": 30}).json()
    assert orgs["links"]["next"].startswith(front + "organizations.json?")
    offset = requests.get(f"{base}/api/v2/organizations.json", headers=h, timeout=10,
                          params={"per_page": 30, "page": 2}).json()
    assert offset["next_page"] == front + "organizations.json?per_page=30&page=3"
    assert offset["previous_page"] == front + "organizations.json?per_page=30&page=1"
    # Without a front the links stay on the address the client reached.
    plain = requests.get(f"{base}/api/v2/organizations.json", headers=_bearer(zd), timeout=10).json()
    assert plain["next_page"] == f"{base}/api/v2/organizations.json?page=2"


def test_time_export_pages_stop_at_1000_and_a_full_second_does_not_advance(sandbox_factory):
    t0 = int(time.time()) - 86400

    def orgs(store, cfg):
        store.put_many(ZD_ORGANIZATIONS, [
            (ORG0 + i, {"id": ORG0 + i, "name": f"Org {i}", "updated_at": iso(ts)}, ts, ORG0 + i)
            for i, ts in [(i, t0) for i in range(1200)] + [(1200 + i, t0 + 10) for i in range(900)]
            + [(2100 + i, t0 + 20) for i in range(3)] + [(2200 + i, t0 + 30) for i in range(500)]
            + [(2800 + i, t0 + 31) for i in range(800)]])

    sb = sandbox_factory(populate=orgs)
    h = _bearer(sb)
    url = f"{_base(sb)}/api/v2/incremental/organizations.json"
    stuck = requests.get(url, params={"start_time": t0}, headers=h, timeout=10).json()
    assert (stuck["count"], stuck["end_time"], stuck["end_of_stream"]) == (1000, t0, False)
    whole = requests.get(url, params={"start_time": t0 + 1, "per_page": 903}, headers=h,
                         timeout=10).json()
    assert whole["count"] == 903 and whole["end_time"] == t0 + 21 and whole["end_of_stream"] is False
    # A page cut inside a second at 1000: end_time is that second, so the next page repeats it.
    cut = requests.get(url, params={"start_time": t0 + 30}, headers=h, timeout=10).json()
    assert cut["count"] == 1000 and cut["end_time"] == t0 + 31
    rest = requests.get(url, params={"start_time": t0 + 31}, headers=h, timeout=10).json()
    assert rest["count"] == 800 and rest["end_time"] == t0 + 32 and rest["end_of_stream"] is True
    small = requests.get(url, params={"start_time": t0 + 1, "per_page": 1}, headers=h, timeout=10).json()
    assert small["count"] == 900 and small["end_time"] == t0 + 11  # runs to the end of its second
    again = requests.get(url, params={"start_time": t0 + 10, "per_page": 901}, headers=h, timeout=10).json()
    assert again["count"] == 903 and again["end_time"] == t0 + 21  # the second of item 901, whole


def test_organizations_list_show_many_update_many(zd, hook):
    client = hook.get_conn()
    orgs = list(client.organizations())
    assert len(orgs) == N_ORGS
    ids = [o.id for o in orgs[:3]]
    shown = list(client.organizations(ids=ids))
    assert [o.id for o in shown] == ids

    for o in shown:
        o.organization_fields["support_level"] = "ultimate"
    job = client.organizations.update(shown)
    assert job.status == "queued"
    statuses = []
    while job.status not in ("completed", "failed"):
        job = client.job_status(id=job.id)
        statuses.append(job.status)
    assert statuses == ["working", "completed"]
    assert [(r.id, r.status, r.success) for r in job.results] == [(i, "Updated", True) for i in ids]

    client.purge_cache("organization")  # zenpy would answer show_many from its cache
    after = {o.id: o for o in client.organizations(ids=ids)}
    assert all(after[i].organization_fields["support_level"] == "ultimate" for i in ids)
    assert after[ids[0]].organization_fields["salesforce_id"] == orgs[0].organization_fields["salesforce_id"]

    h = _bearer(zd)
    base = _base(zd)
    bad = requests.put(f"{base}/api/v2/organizations/update_many.json", headers=h, timeout=10,
                       json={"organizations": [{"id": ids[0], "notes": "x"}, {"id": 1, "notes": "y"},
                                               {"id": ids[1], "name": orgs[2].name}]}).json()
    job_url = bad["job_status"]["url"]
    assert job_url.startswith(base)
    requests.get(job_url, headers=h, timeout=10)
    done = requests.get(job_url, headers=h, timeout=10).json()["job_status"]
    assert done["status"] == "completed" and done["total"] == 3
    assert done["results"][1] == {"index": 1, "error": "RecordNotFound", "id": 1,
                                  "details": "Organization 1 not found"}
    assert done["results"][2]["error"] == "OrganizationUpdateFailed"
    too_many = requests.put(f"{base}/api/v2/organizations/update_many.json", headers=h, timeout=10,
                            json={"organizations": [{"id": i} for i in range(101)]})
    assert too_many.status_code == 400

    single = requests.put(f"{base}/api/v2/organizations/{ids[2]}.json", headers=h, timeout=10,
                          json={"organization": {"organization_fields": {"aar": 5.0}}}).json()
    assert single["organization"]["organization_fields"]["aar"] == 5.0
    assert single["organization"]["organization_fields"]["support_level"] == "ultimate"

    offset = requests.get(f"{base}/api/v2/organizations.json", headers=h, timeout=10).json()
    assert offset["count"] == N_ORGS and len(offset["organizations"]) == 100
    assert offset["next_page"] == f"{base}/api/v2/organizations.json?page=2"
    cursor = requests.get(f"{base}/api/v2/organizations.json", params={"page[size]": 100},
                          headers=h, timeout=10).json()
    assert cursor["meta"]["has_more"] is True and cursor["links"]["next"].startswith(base)
    missing = requests.get(f"{base}/api/v2/organizations/1.json", headers=h, timeout=10)
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}


def test_users_tickets_metrics_and_reference_lists(zd, hook):
    client = hook.get_conn()
    assert client.users(id=USER0 + 1).name == "User 1"
    assert [u.id for u in client.users(ids=[USER0, USER0 + 2])] == [USER0, USER0 + 2]
    assert client.tickets(id=TICKET0).id == TICKET0
    h = _bearer(zd)
    base = _base(zd)
    deleted = requests.get(f"{base}/api/v2/tickets/{TICKET0 + 3}.json", headers=h, timeout=10)
    assert deleted.status_code == 404
    metric = requests.get(f"{base}/api/v2/tickets/{TICKET0}/metrics.json", headers=h, timeout=10)
    assert metric.json()["ticket_metric"]["ticket_id"] == TICKET0
    by_id = requests.get(f"{base}/api/v2/ticket_metrics/{900000 + TICKET0}.json", headers=h, timeout=10)
    assert by_id.json()["ticket_metric"]["ticket_id"] == TICKET0
    metrics = list(client.ticket_metrics())
    assert len(metrics) == N_TICKETS
    for path, key, n in [("ticket_forms.json", "ticket_forms", 2), ("slas/policies.json", "sla_policies", 1),
                         ("organization_fields.json", "organization_fields", 1)]:
        body = requests.get(f"{base}/api/v2/{path}", headers=h, timeout=10).json()
        assert len(body[key]) == n and body["count"] == n
    unknown = requests.get(f"{base}/api/v2/nothing_here.json", headers=h, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "InvalidEndpoint"


def _expected_view_counts(zd) -> tuple[int, int]:
    tickets = [t for t in zd.store.all(ZD_TICKETS) if t["status"] != "deleted"]
    premium_open = sum(1 for t in tickets if t["status"] in ("new", "open", "pending", "hold")
                       and "premium" in t["tags"])
    urgent_11 = sum(1 for t in tickets if t["priority"] == "urgent" and t["group_id"] == 11)
    return premium_open, urgent_11


def test_view_counts(zd, hook):
    client = hook.get_conn()
    counts = {c.view_id: c for c in client.views.count_many([31, 32, 33])}
    premium_open, urgent_11 = _expected_view_counts(zd)
    assert counts[31].value == premium_open > 0
    assert counts[32].value == urgent_11 > 0
    assert counts[33].value == 42 and counts[33].fresh is True
    h = _bearer(zd)
    one = requests.get(f"{_base(zd)}/api/v2/views/31/count.json", headers=h, timeout=10).json()
    assert one["view_count"]["value"] == premium_open
    by_ids = requests.get(f"{_base(zd)}/api/v2/views/count_many.json", params={"ids": "31,33"},
                          headers=h, timeout=10).json()
    assert [c["view_id"] for c in by_ids["view_counts"]] == [31, 33]
    many = requests.get(f"{_base(zd)}/api/v2/views/count_many.json",
                        params={"ids": ",".join(str(i) for i in range(21))}, headers=h, timeout=10)
    assert many.status_code == 400
    assert len(list(client.views())) == 3


def _seed_first_draw_below(rate: float, quiet: int = 10) -> int:
    """A fault seed whose first draw injects a 429 and the next `quiet` draws do not."""
    for seed in range(10000):
        rng = random.Random(seed)
        draws = [rng.random() for _ in range(quiet + 1)]
        if draws[0] < rate and all(d >= rate for d in draws[1:]):
            return seed
    raise AssertionError("no seed found")


def test_429_is_waited_out_and_counted(zd, hook):
    client = hook.get_conn()
    rate = 0.05
    _admin(zd, "realism", {"faults": {"seed": _seed_first_draw_below(rate), "rate_429": rate,
                                      "burst_429": 1, "retry_after": 1}})
    try:
        started = time.monotonic()
        org = client.organizations(id=ORG0 + 200)
        assert org.id == ORG0 + 200
        assert time.monotonic() - started >= 1  # zenpy slept Retry-After
        stats = requests.get(f"{_base(zd)}/_sandbox/stats", timeout=10).json()
        assert stats["faults"] == {"429": 1}
        assert stats["calls"]["GET /api/v2/organizations/{id}.json"] == 2
    finally:
        _admin(zd, "realism", {"faults": {"rate_429": 0.0}})


def test_incremental_exports_have_their_own_limit(zd):
    _admin(zd, "realism", {"incremental_rate_limit": 2, "rate_limit": 100})
    try:
        h = _bearer(zd)
        url = f"{_base(zd)}/api/v2/incremental/organizations.json"
        codes = [requests.get(url, params={"start_time": 0}, headers=h, timeout=10)
                 for _ in range(3)]
        assert [r.status_code for r in codes] == [200, 200, 429]
        assert codes[2].json()["description"].startswith("Number of allowed incremental export")
        assert int(codes[2].headers["Retry-After"]) > 0
        other = requests.get(f"{_base(zd)}/api/v2/organizations/{ORG0}.json", headers=h, timeout=10)
        assert other.status_code == 200 and other.headers["X-Rate-Limit"] == "100"
    finally:
        _admin(zd, "realism", {"incremental_rate_limit": 0, "rate_limit": 0})


def test_auth_paths(zd):
    base = _base(zd)
    creds = zd.credentials["zendesk"]
    url = f"{base}/api/v2/organizations/{ORG0}.json"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401 and missing.json() == {"error": "Couldn't authenticate you"}
    password = requests.get(url, auth=(creds["email"], "hunter2"), timeout=10)
    assert password.status_code == 401 and "2025-12-31" in password.json()["description"]

    api_token = (f"{creds['email']}/token", creds["api_token"])
    assert requests.get(url, auth=api_token, timeout=10).status_code == 200
    wrong = requests.get(url, auth=(f"{creds['email']}/token", "nope"), timeout=10)
    assert wrong.status_code == 401
    _admin(zd, "settings", {"api_tokens_enabled": False})
    try:
        off = requests.get(url, auth=api_token, timeout=10)
        assert off.status_code == 401 and "deactivated" in off.json()["description"]
    finally:
        _admin(zd, "settings", {"api_tokens_enabled": True})

    bad_client = requests.post(f"{base}/oauth/tokens", json={
        "grant_type": "client_credentials", "client_id": creds["client_id"], "client_secret": "x"},
        timeout=10)
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    # JSON body and HTTP Basic client authentication both work.
    basic = requests.post(f"{base}/oauth/tokens", json={"grant_type": "client_credentials"},
                          auth=(creds["client_id"], creds["client_secret"]), timeout=10)
    assert basic.status_code == 200 and basic.json()["token_type"] == "bearer"

    _admin(zd, "settings", {"token_ttl": 2})
    try:
        tok = _token(zd)
        assert tok["expires_in"] == 2 and tok["refresh_token_expires_in"] > 0
        auth = {"Authorization": f"Bearer {tok['access_token']}"}
        assert requests.get(url, headers=auth, timeout=10).status_code == 200
        time.sleep(2.2)
        expired = requests.get(url, headers=auth, timeout=10)
        assert expired.status_code == 401
        assert expired.json() == {
            "error": "invalid_token",
            "error_description": "The access token provided is expired, revoked, malformed or "
                                 "invalid for other reasons."}
        refreshed = requests.post(f"{base}/oauth/tokens", data={
            "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
            "client_id": creds["client_id"], "client_secret": creds["client_secret"]}, timeout=10)
        assert refreshed.status_code == 200
        new_auth = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert requests.get(url, headers=new_auth, timeout=10).status_code == 200
        reused = requests.post(f"{base}/oauth/tokens", data={
            "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
            "client_id": creds["client_id"], "client_secret": creds["client_secret"]}, timeout=10)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    finally:
        _admin(zd, "settings", {"token_ttl": 1800})
    garbage = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_token"


def test_stats_count_calls(zd):
    requests.post(f"{_base(zd)}/_sandbox/stats/reset", timeout=10)
    h = _bearer(zd)
    for _ in range(3):
        requests.get(f"{_base(zd)}/api/v2/incremental/tickets/cursor.json",
                     params={"start_time": 0, "per_page": 10}, headers=h, timeout=10)
    stats = requests.get(f"{_base(zd)}/_sandbox/stats", timeout=10).json()
    assert stats["calls"]["GET /api/v2/incremental/tickets/cursor.json"] == 3
    assert stats["calls"]["POST /oauth/tokens"] == 1
    assert stats["total_calls"] == 4
