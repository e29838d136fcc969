"""The Zendesk catalogue endpoints other clients call (groups, memberships, fields, tags, macros,
settings, the current token, search) through zenpy, the real client, and requests where zenpy
has no API for one. Expected values come from the shared sandbox's own documents."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, timedelta

import pytest
import requests

from sandbox.core.collections import ZD_ORGANIZATIONS, ZD_TICKETS, ZD_USERS
from sandbox.generate.users import GROUPS


def _base(sb) -> str:
    return sb.config.base_url("zendesk")


@pytest.fixture(scope="module")
def token(sandbox) -> dict:
    creds = sandbox.credentials["zendesk"]
    r = requests.post(f"{_base(sandbox)}/oauth/tokens", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "scope": "read write", "expires_in": "3600"},
        timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def client(sandbox_env, token):
    from zenpy import Zenpy

    return Zenpy(subdomain="sandbox", oauth_token=token["access_token"])


def _get(sb, token, path: str, **params) -> requests.Response:
    return requests.get(f"{_base(sb)}/api/v2/{path}", params=params, timeout=10,
                        headers={"Authorization": f"Bearer {token['access_token']}"})


def _docs(sb, collection: str) -> list[dict]:
    return list(sb.store.all(collection))


def _agents(sb) -> list[dict]:
    return [u for u in _docs(sb, ZD_USERS) if u["role"] in ("agent", "admin")]


def test_groups_come_from_the_agents_default_groups(client, sandbox):
    agents = _agents(sandbox)
    expected = sorted({a["default_group_id"] for a in agents})
    got = list(client.groups())
    assert [g.id for g in got] == expected and len(expected) >= 2
    names = dict(GROUPS)
    assert {g.id: g.name for g in got} == {gid: names[gid] for gid in expected}
    assert [g.default for g in got].count(True) == 1 and not any(g.deleted for g in got)
    one = client.groups(id=expected[1])
    assert one.name == names[expected[1]]
    assert one.url.endswith(f"/api/v2/groups/{expected[1]}.json")


def test_group_memberships_one_per_agent(client, sandbox):
    agents = _agents(sandbox)
    got = list(client.group_memberships())
    assert sorted((m.user_id, m.group_id) for m in got) == sorted(
        (a["id"], a["default_group_id"]) for a in agents)
    assert len({m.id for m in got}) == len(got)
    agent = agents[0]
    mine = list(client.users.group_memberships(agent["id"]))
    assert [(m.user_id, m.group_id, m.default) for m in mine] == [
        (agent["id"], agent["default_group_id"], True)]
    members = list(client.groups.memberships(agent["default_group_id"]))
    assert agent["id"] in {m.user_id for m in members}
    assert {m.group_id for m in members} == {agent["default_group_id"]}


def test_offset_and_cursor_pages_cover_every_membership_once(sandbox, token):
    total = len(_agents(sandbox))
    ids, page = [], 1
    while True:
        body = _get(sandbox, token, "group_memberships.json", per_page=2, page=page).json()
        assert body["count"] == total
        ids += [m["id"] for m in body["group_memberships"]]
        if body["next_page"] is None:
            break
        assert "per_page=2" in body["next_page"]
        page += 1
    assert len(ids) == total == len(set(ids))
    cursor_ids, params = [], {"page[size]": 4}
    while True:
        body = _get(sandbox, token, "group_memberships.json", **params).json()
        cursor_ids += [m["id"] for m in body["group_memberships"]]
        if not body["meta"]["has_more"]:
            break
        params = {"page[size]": 4, "page[after]": body["meta"]["after_cursor"]}
    assert cursor_ids == ids


def test_tags_are_counted_over_recent_tickets_most_used_first(client, sandbox):
    since = int(time.time()) - 60 * 86400
    counts: Counter = Counter()
    for row in sandbox.store.conn.execute(
            "SELECT doc FROM docs WHERE collection = ? AND ts >= ?", (ZD_TICKETS, since)):
        doc = json.loads(row[0])
        if doc["status"] != "deleted":
            counts.update(doc["tags"])
    got = [(t.name, t.count) for t in client.tags()]
    assert got and dict(got) == dict(counts)
    assert [c for _, c in got] == sorted((c for _, c in got), reverse=True)


def test_ticket_fields_user_fields_and_macros(client):
    fields = list(client.ticket_fields())
    assert [f.type for f in fields] == ["subject", "description", "status", "tickettype",
                                        "priority", "group", "assignee"]
    status = next(f for f in fields if f.type == "status")
    assert [o["value"] for o in status.system_field_options] == [
        "new", "open", "pending", "hold", "solved"]
    assert client.ticket_fields(id=status.id).title == "Status"
    assert list(client.user_fields()) == []
    macros = list(client.macros())
    assert "Take it!" in {m.title for m in macros}
    assert all(m.actions and m.active for m in macros)


def test_account_settings_and_current_token(sandbox, token):
    body = _get(sandbox, token, "account/settings.json").json()
    settings = body["settings"]
    assert {"branding", "apps", "tickets", "api", "localization", "active_features"} <= set(settings)
    assert settings["api"]["api_token_access"] is sandbox.config.api_tokens_enabled
    current = _get(sandbox, token, "oauth/tokens/current.json")
    assert current.status_code == 200, current.text
    info = current.json()["token"]
    assert info["token"] == token["access_token"][:10]
    assert info["scopes"] == ["read", "write"]
    expires = time.mktime(time.strptime(info["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 0 < expires - time.time() <= token["expires_in"]
    creds = sandbox.credentials["zendesk"]
    basic = requests.get(f"{_base(sandbox)}/api/v2/oauth/tokens/current.json", timeout=10,
                         auth=(f"{creds['email']}/token", creds["api_token"]))
    assert basic.status_code == 404 and basic.json()["error"] == "RecordNotFound"


def test_search_filters_types_and_pages(client, sandbox):
    tickets = [t for t in _docs(sandbox, ZD_TICKETS) if t["status"] != "deleted"]
    solved = sorted(t["id"] for t in tickets if t["status"] == "solved")
    got = list(client.search(type="ticket", status="solved"))
    assert sorted(t.id for t in got) == solved and solved
    below = {t["id"] for t in tickets if t["status"] in ("new", "open", "pending", "hold")}
    assert {t.id for t in client.search("status<solved", type="ticket")} == below
    premium = {t["id"] for t in tickets if "premium" in t["tags"]}
    not_premium = {t["id"] for t in tickets} - premium
    assert {t.id for t in client.search(type="ticket", tags="premium")} == premium
    assert {t.id for t in client.search(type="ticket", minus="tags:premium")} == not_premium
    org = tickets[0]["organization_id"]
    assert {t.id for t in client.search(type="ticket", organization=org)} == {
        t["id"] for t in tickets if t["organization_id"] == org}
    subject = tickets[0]["subject"]
    assert {t.id for t in client.search(f'"{subject}"', type="ticket")} == {
        t["id"] for t in tickets if subject.lower() in t["subject"].lower()}


def test_search_users_by_date_as_tap_zendesk_discovers(client, sandbox):
    # tap-zendesk's discovery asks for users updated after now and before 2000: nothing.
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    assert list(client.search("", updated_after=now, updated_before="2000-01-02T00:00:00Z",
                              type="user")) == []
    users = _docs(sandbox, ZD_USERS)
    day = sorted(u["updated_at"] for u in users)[len(users) // 2][:10]
    next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    # A date compares by whole days: updated>DAY means from the next day on.
    assert {u.id for u in client.search(type="user", updated_after=day)} == {
        u["id"] for u in users if u["updated_at"] >= next_day}
    assert {u.id for u in client.search(f"updated:{day}", type="user")} == {
        u["id"] for u in users if u["updated_at"][:10] == day}
    agents = {u.id for u in client.search(type="user", role="agent")}
    assert agents == {u["id"] for u in users if u["role"] == "agent"}


def test_search_without_type_spans_result_types(sandbox, token):
    org = next(iter(_docs(sandbox, ZD_ORGANIZATIONS)))
    body = _get(sandbox, token, "search.json", query=f'"{org["name"]}"').json()
    kinds = {r["result_type"] for r in body["results"]}
    assert "organization" in kinds
    assert org["id"] in {r["id"] for r in body["results"] if r["result_type"] == "organization"}
    assert body["facets"] is None and body["count"] == len(body["results"])
    group = _get(sandbox, token, "search.json", query="type:group Support").json()
    assert group["count"] >= 1 and {r["result_type"] for r in group["results"]} == {"group"}
    count = _get(sandbox, token, "search/count.json", query="type:ticket status:solved").json()
    solved = sum(1 for t in _docs(sandbox, ZD_TICKETS) if t["status"] == "solved")
    assert count == {"count": solved}


def test_search_export_pages_by_cursor(sandbox, token):
    users = {u["id"] for u in _docs(sandbox, ZD_USERS)}
    seen, params = [], {"query": "", "filter[type]": "user", "page[size]": 40}
    params["query"] = "created<2100-01-01"
    while True:
        body = _get(sandbox, token, "search/export.json", **params).json()
        seen += [r["id"] for r in body["results"]]
        assert {r["result_type"] for r in body["results"]} <= {"user"}
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            break
        params["page[after]"] = body["meta"]["after_cursor"]
    assert len(seen) == len(set(seen)) and set(seen) == users
    refused = _get(sandbox, token, "search/export.json", query="type:user")
    assert refused.status_code == 400 and "filter[type]" in refused.json()["description"]


def test_search_refuses_what_it_cannot_answer(sandbox, token):
    bad = _get(sandbox, token, "search.json", query="type:ticket frobnicate:3")
    assert bad.status_code == 400
    assert "frobnicate" in bad.json()["description"]
    assert _get(sandbox, token, "search.json").status_code == 400
    deep = _get(sandbox, token, "search.json", query="type:ticket", page=11, per_page=100)
    assert deep.status_code == 422
    wrong_date = _get(sandbox, token, "search.json", query="type:ticket created>yesterday-ish")
    assert wrong_date.status_code == 400 and "date" in wrong_date.json()["description"]


def test_links_follow_the_host_the_client_used(sandbox, token):
    r = requests.get(f"{_base(sandbox)}/api/v2/groups.json", params={"per_page": 1}, timeout=10,
                     headers={"Authorization": f"Bearer {token['access_token']}",
                              "Host": "sandbox.zendesk.com", "X-Forwarded-Proto": "https"})
    body = r.json()
    assert body["next_page"].startswith("https://sandbox.zendesk.com/api/v2/groups.json?")
    assert body["groups"][0]["url"].startswith("https://sandbox.zendesk.com/api/v2/groups/")


def test_talk_phone_numbers_are_empty(client):
    assert list(client.talk.phone_numbers()) == []
