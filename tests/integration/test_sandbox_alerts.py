"""The sandbox pieces the ops notifications rely on behave as the real services do:
tickets/update_many with additional_tags/remove_tags and its job status (Zendesk API reference,
Tickets "Update Many Tickets", Job Statuses), tickets/show_many, the count_many limit of 6
requests every 5 minutes answered 429 with Retry-After, one Slack webhook per channel with every
message recorded with its channel, and the connections for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from slack_sdk import WebhookClient

from sandbox.core.clientenv import connections
from sandbox.core.collections import ZD_TICKETS
from sandbox.slack.service import CHANNELS
from support_ops.clients.zendesk import SupportZendeskHook
from tests.conftest import use_sandbox
from tests.integration.test_alerts import populate

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded" / "zendesk" / "organizations_update_many.json"


@pytest.fixture
def api(sandbox_factory, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate=populate))  # small: starts fast
    session, base = SupportZendeskHook().api_session()
    return sb, session, base


def _open_tickets(sb, n: int) -> list[int]:
    return [t["id"] for t in sb.store.all(ZD_TICKETS) if t["status"] == "open"][:n]


def _done(session, base, job: dict) -> dict:
    for _ in range(10):
        if job["status"] in ("completed", "failed"):
            return job
        job = session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10).json()["job_status"]
    raise AssertionError("the job never finished")


def test_update_many_adds_and_removes_tags_through_a_job(api):
    sb, session, base = api
    ids = _open_tickets(sb, 2)
    before = {i: sb.store.get(ZD_TICKETS, i) for i in ids}
    resp = session.put(f"{base}/tickets/update_many.json", params={"ids": ",".join(map(str, ids + [1]))},
                       json={"ticket": {"additional_tags": ["slah-2hr-breach-notification"]}}, timeout=10)
    job = resp.json()["job_status"]
    recorded = json.loads(RECORDED.read_text())
    queued = next(r["response_json"]["job_status"] for r in recorded if r["method"] == "PUT")
    assert set(job) == set(queued) and job["status"] == "queued" and job["results"] is None
    done = _done(session, base, job)
    ok = [r for r in done["results"] if r.get("success")]
    assert [r["id"] for r in ok] == ids and ok[0] == {"id": ids[0], "action": "update", "status": "Updated",
                                                      "success": True}
    assert next(r for r in done["results"] if r.get("id") == 1)["error"] == "RecordNotFound"
    for i in ids:
        after = sb.store.get(ZD_TICKETS, i)
        assert set(after["tags"]) == set(before[i]["tags"]) | {"slah-2hr-breach-notification"}
        assert after["generated_timestamp"] >= before[i]["generated_timestamp"]  # the export shows it again
    shown = session.get(f"{base}/tickets/show_many.json", params={"ids": ",".join(map(str, ids))},
                        timeout=10).json()["tickets"]
    assert all("slah-2hr-breach-notification" in t["tags"] for t in shown)
    job = session.put(f"{base}/tickets/update_many.json", params={"ids": str(ids[0])},
                      json={"ticket": {"remove_tags": ["slah-2hr-breach-notification"]}}, timeout=10).json()
    _done(session, base, job["job_status"])
    assert sb.store.get(ZD_TICKETS, ids[0])["tags"] == sorted(before[ids[0]]["tags"])
    assert "slah-2hr-breach-notification" in sb.store.get(ZD_TICKETS, ids[1])["tags"]


def test_update_many_refuses_more_than_100_and_bad_bodies(api):
    sb, session, base = api
    resp = session.put(f"{base}/tickets/update_many.json", params={"ids": ",".join(map(str, range(1, 102)))},
                       json={"ticket": {"additional_tags": ["x"]}}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "TooManyValues"
    resp = session.put(f"{base}/tickets/update_many.json", json={"nothing": 1}, timeout=10)
    assert resp.status_code == 400
    resp = session.put(f"{base}/tickets/update_many.json", params={"ids": "1"},
                       json={"ticket": {"additional_tags": 5}}, timeout=10)
    assert resp.status_code == 400


def test_count_many_is_limited_to_6_requests_every_5_minutes(api):
    sb, session, base = api
    ids = ",".join(str(v["id"]) for v in session.get(f"{base}/views.json", timeout=10).json()["views"][:3])
    got = [session.get(f"{base}/views/count_many.json", params={"ids": ids}, timeout=10) for _ in range(7)]
    assert [r.status_code for r in got] == [200] * 6 + [429]
    assert got[-1].json()["error"] == "APIRateLimitExceeded" and 1 <= int(got[-1].headers["Retry-After"]) <= 300
    assert len(got[0].json()["view_counts"]) == 3
    too_many = ",".join(str(i) for i in range(1, 22))
    sb.store.set_meta("zendesk.views", {"limit": 0})
    assert session.get(f"{base}/views/count_many.json", params={"ids": too_many}, timeout=10).status_code == 400


def test_one_webhook_per_channel_each_message_recorded_with_its_channel(api):
    sb, _, _ = api
    conns = connections(sb.config)
    assert set(CHANNELS) <= set(conns)
    urls = {c: conns[c]["password"] for c in CHANNELS}
    assert len(set(urls.values())) == len(urls) and all(conns[c]["conn_type"] == "slackwebhook" for c in CHANNELS)
    for conn_id, url in urls.items():
        assert WebhookClient(url).send(text=f"hello from {conn_id}").status_code == 200
    # a payload's channel cannot redirect an app's webhook
    WebhookClient(urls["slack_view_counts"]).send_dict({"text": "elsewhere?", "channel": "#general"})
    msgs = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=10).json()
    by_channel = {m["channel"]: m["text"] for m in msgs if m["text"].startswith("hello")}
    assert by_channel == {ch: f"hello from {c}" for c, ch in CHANNELS.items()}
    assert next(m for m in msgs if m["text"] == "elsewhere?")["channel"] == CHANNELS["slack_view_counts"]
    listed = requests.get(sb.config.base_url("slack") + "/_sandbox/webhooks", timeout=10).json()
    assert not any(urls[c].endswith(p) for c in urls for p in listed)  # secret paths are not listed
    bad = WebhookClient(urls["slack_breach_alerts"].rsplit("/", 1)[0] + "/wrong").send(text="x")
    assert bad.status_code == 404 and bad.body == "no_service"
