"""Premium SLA-breach alerts, live feeds and view counts against the sandbox, with the real
clients (zenpy's session through the Zendesk hook, slack_sdk through the Slack webhook hook),
warehouse on SQLite and PostgreSQL (docs/alerts.md)."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from sandbox.core.collections import ZD_ORGANIZATIONS, ZD_TICKET_METRIC_EVENTS, ZD_TICKETS, ZD_USERS
from sandbox.generate.catalog import write_catalog, write_views
from sandbox.generate.docs import event_doc, ticket_doc
from sandbox.generate.util import zd_time
from support_ops.alerts import feeds, store, views
from support_ops.alerts.messages import duration
from support_ops.alerts.rules import TAG
from support_ops.alerts.tables import sla_breach_alerts
from support_ops.alerts.tasks import breach_alerts_task
from support_ops.extract.tasks import run_zendesk_stream
from tests.conftest import use_sandbox

NOW = int(time.time())
PREMIUM_ORG, STARTER_ORG, AGENT, CUSTOMER = 9001, 9002, 7001, 7002
MIN = 60


def _org(oid: int, name: str, level: str) -> dict:
    return {"id": oid, "url": f"https://example.zendesk.com/api/v2/organizations/{oid}.json", "name": name,
            "shared_tickets": False, "shared_comments": False, "external_id": None, "domain_names": [],
            "details": None, "notes": None, "group_id": None, "tags": [],
            "organization_fields": {"support_level": level}, "created_at": zd_time(NOW - 86400),
            "updated_at": zd_time(NOW - 86400), "deleted_at": None}


def _user(uid: int, name: str, role: str, org: int | None) -> dict:
    return {"id": uid, "name": name, "email": f"u{uid}@example.com", "role": role, "organization_id": org,
            "active": True, "created_at": zd_time(NOW - 86400), "updated_at": zd_time(NOW - 86400)}


# (id, org, priority, status, form, tags, breach in minutes from now or None, subject)
TICKETS = [
    (101, PREMIUM_ORG, "high", "open", "Self-Managed", [], 90, "Geo replication stuck"),
    (102, STARTER_ORG, "high", "open", "Self-Managed", [], 60, "Starter plan ticket"),
    (103, None, "normal", "open", "SaaS", ["premium"], 60, "Normal priority"),
    (104, PREMIUM_ORG, "urgent", "new", "SaaS", [], 180, "Not yet in the window"),
    (105, STARTER_ORG, "urgent", "hold", "SaaS", ["ultimate"], 30, "<!channel> @here CI is down & <b>"),
    (106, PREMIUM_ORG, "high", "pending", "Self-Managed", [], 45, "Pending: not alerted"),
    (107, PREMIUM_ORG, "high", "open", "Other", [TAG], 50, "Already tagged"),
]


def populate(st, cfg) -> None:
    """A handful of tickets around the real clock (the sandbox's clock): `NOW` is when it ran."""
    global NOW
    NOW = int(time.time())
    write_catalog(st, NOW)
    write_views(st, NOW, {})
    st.put_many(ZD_ORGANIZATIONS, [(o["id"], o, NOW - 86400, o["id"]) for o in (
        _org(PREMIUM_ORG, "Acme <Corp>", "premium"), _org(STARTER_ORG, "Tiny Ltd", "starter"))])
    st.put_many(ZD_USERS, [(u["id"], u, NOW - 86400, u["id"]) for u in (
        _user(AGENT, "Ada Agent", "agent", None), _user(CUSTOMER, "Carl Customer", "end-user", PREMIUM_ORG))])
    eid = 1
    for tid, org, prio, status, form, tags, breach_in, subject in TICKETS:
        created = NOW - 3 * 3600
        doc = ticket_doc(tid, created=created, updated=NOW - 5 * MIN, subject=subject, priority=prio, status=status,
                         channel="web", recipient=None, requester_id=CUSTOMER, organization_id=org,
                         assignee_id=AGENT, group_id=None, form=form, tags=tags, satisfaction_rating=None)
        doc["generated_timestamp"] = NOW - 5 * MIN
        st.put(ZD_TICKETS, tid, doc, ts=NOW - 5 * MIN, seq=tid)
        applied = NOW + breach_in * MIN - 240 * MIN
        for kind, at, sla in (("activate", created, None), ("apply_sla", applied, (1, "Premium", 240))):
            st.put(ZD_TICKET_METRIC_EVENTS, eid, event_doc(eid, tid, kind, min(at, NOW - 2 * MIN), sla),
                   ts=min(at, NOW - 2 * MIN), seq=eid)
            eid += 1
    st.set_meta("next_event", eid)


@pytest.fixture
def sb(sandbox_factory, monkeypatch, warehouse):
    import sandbox.zendesk.incremental as inc

    monkeypatch.setattr(inc, "HOLD_BACK_SECONDS", 0)  # no minute held back: runs see their own writes
    monkeypatch.setenv("SUPPORT_OPS_CURSOR_SAFETY_LAG", "0")
    monkeypatch.delenv("SUPPORT_OPS_PREMIUM_PLANS", raising=False)
    from support_ops import links

    links.reset()
    sb = use_sandbox(monkeypatch, sandbox_factory(populate=populate))
    for stream in ("organizations", "users", "ticket_forms"):
        run_zendesk_stream(stream)
    return sb


def refresh() -> None:
    for stream in ("tickets", "ticket_metric_events"):
        run_zendesk_stream(stream)


def slack(sb, channel: str | None = None) -> list[dict]:
    params = {"channel": channel} if channel else {}
    return requests.get(sb.config.base_url("slack") + "/_sandbox/messages", params=params, timeout=10).json()


def zd_stats(sb) -> dict:
    return requests.get(sb.config.base_url("zendesk") + "/_sandbox/stats", timeout=10).json()


def tags_of(sb, tid: int) -> list[str]:
    return sb.store.get(ZD_TICKETS, tid)["tags"]


def add_event(sb, tid: int, kind: str) -> None:
    eid = sb.store.get_meta("next_event", 1000)
    now = int(time.time())
    sb.store.put(ZD_TICKET_METRIC_EVENTS, eid, event_doc(eid, tid, kind, now), ts=now, seq=eid)
    sb.store.set_meta("next_event", eid + 1)


def test_alerts_post_once_tag_and_a_second_run_posts_nothing(sb, warehouse):
    refresh()
    out = breach_alerts_task({})
    msgs = slack(sb, "#premium-breach-notifications")
    assert out["posted"] == 2 and len(msgs) == 2, out
    text = {m["text"].split("|#", 1)[1].split(">", 1)[0]: m["text"] for m in msgs}
    assert set(text) == {"101", "105"}
    assert "Acme &lt;Corp&gt;" in text["101"] and "Ada Agent" in text["101"] and "premium" in text["101"]
    leads = {a["ticket_id"]: a["lead_minutes"] for a in store.ledger(warehouse)}
    assert 0 < leads[101] <= 90 and f"SLA in {duration(leads[101])}*" in text["101"]
    assert "&lt;!channel&gt;" in text["105"] and "<!channel>" not in text["105"] and "@here" not in text["105"]
    assert "ultimate" in text["105"]  # plan by tag, though the organization is on starter
    assert f"{sb.config.base_url('zendesk')}/agent/tickets/101|#101" in text["101"]
    assert TAG in tags_of(sb, 101) and TAG in tags_of(sb, 105) and TAG not in tags_of(sb, 102)
    calls = zd_stats(sb)["calls"]
    assert calls.get("PUT /api/v2/tickets/update_many.json") == 1  # one update_many for both tickets
    with warehouse.connect() as conn:
        rows = conn.execute(select(sla_breach_alerts.c.ticket_id, sla_breach_alerts.c.lead_minutes)).all()
    assert sorted(t for t, _ in rows) == [101, 105] and all(0 < lead <= 120 for _, lead in rows)

    refresh()
    again = breach_alerts_task({})
    assert again["posted"] == 0 and again["alerts"] == 0 and len(slack(sb, "#premium-breach-notifications")) == 2
    assert zd_stats(sb)["calls"].get("PUT /api/v2/tickets/update_many.json") == 1


def test_tag_comes_off_after_fulfilment_and_a_later_instance_alerts(sb, warehouse):
    refresh()
    breach_alerts_task({})
    add_event(sb, 101, "fulfill")
    refresh()
    out = breach_alerts_task({})
    assert out["untagged"] == 1 and TAG not in tags_of(sb, 101) and TAG in tags_of(sb, 105)
    assert [r["tag_on"] for r in store.ledger(warehouse) if r["ticket_id"] == 101] == [False]
    # a second reply_time instance of ticket 101 approaches breach: it alerts again
    eid = sb.store.get_meta("next_event")
    time.sleep(1.1)  # a second later than the export's cursor (the sandbox clock is the wall clock)
    now = int(time.time())
    doc = event_doc(eid, 101, "apply_sla", now, (1, "Premium", 60))
    doc["instance_id"] = 2
    sb.store.put(ZD_TICKET_METRIC_EVENTS, eid, doc, ts=now, seq=eid)
    refresh()
    later = breach_alerts_task({})
    assert later["posted"] == 1 and TAG in tags_of(sb, 101)


def test_dry_run_posts_and_tags_nothing_and_shows_what_it_would_send(sb, warehouse, caplog):
    refresh()
    caplog.set_level("INFO")
    out = breach_alerts_task({"dry_run": True})
    assert out["alerts"] == 2 and out["posted"] == 0 and len(out["messages"]) == 2
    assert slack(sb) == [] and TAG not in tags_of(sb, 101)
    assert "PUT /api/v2/tickets/update_many.json" not in zd_stats(sb)["calls"]
    assert store.ledger(warehouse) == []
    shown = caplog.text
    assert "DRY RUN sla_breach_alert: would post_message slack_breach_alerts" in shown
    assert "DRY RUN sla_breach_tag: would add_tag ticket 101" in shown
    real = breach_alerts_task({})  # the dry run did not use the alerts up
    assert real["posted"] == 2


def test_injected_429_and_5xx_on_zendesk_and_slack(sb, warehouse):
    # seeds whose first draws give a 429 burst and a 5xx on each service
    for svc, seed in (("zendesk", 5), ("slack", 82)):
        requests.post(sb.config.base_url(svc) + "/_sandbox/realism", timeout=10, json={
            "faults": {"seed": seed, "rate_429": 0.25, "burst_429": 2, "rate_5xx": 0.25, "retry_after": 1}})
    refresh()
    out = breach_alerts_task({})
    faults = {svc: requests.get(sb.config.base_url(svc) + "/_sandbox/stats", timeout=10).json()["faults"]
              for svc in ("zendesk", "slack")}
    for svc in ("zendesk", "slack"):
        requests.post(sb.config.base_url(svc) + "/_sandbox/realism", timeout=10,
                      json={"faults": {"rate_429": 0.0, "rate_5xx": 0.0}})
    assert out["posted"] == 2 and len(slack(sb, "#premium-breach-notifications")) == 2
    assert TAG in tags_of(sb, 101) and TAG in tags_of(sb, 105)
    assert sum(faults["zendesk"].values()) > 0 and sum(faults["slack"].values()) > 0, faults


def test_the_cap_stops_everything_and_says_how_to_approve(sb, warehouse):
    refresh()
    with pytest.raises(Exception, match="above the cap of 1"):
        breach_alerts_task({"max_alerts": 1})
    assert slack(sb) == [] and TAG not in tags_of(sb, 101)


def test_feeds_post_one_message_per_channel_and_survive_a_crash(sb, warehouse, monkeypatch):
    refresh()
    first = feeds.run(warehouse)
    sm, com = slack(sb, "#zd-self-managed-feed"), slack(sb, "#zd-gitlab-com-feed")
    assert len(sm) == 1 and len(com) == 1
    assert "#101" in sm[0]["text"] and "#102" in sm[0]["text"] and "#106" in sm[0]["text"]
    assert "#103" not in sm[0]["text"] and "#107" not in sm[0]["text"] and "#107" not in com[0]["text"]
    assert "Acme &lt;Corp&gt;" in sm[0]["text"] and "&lt;!channel&gt;" in com[0]["text"]
    assert first["feeds"]["self_managed"]["tickets"] == 3
    assert feeds.run(warehouse)["feeds"]["self_managed"]["tickets"] == 0  # nothing new: nothing posted
    assert len(slack(sb, "#zd-self-managed-feed")) == 1

    # a ticket changes; the run crashes after posting, before its cursor moves
    doc = sb.store.get(ZD_TICKETS, 102)
    now = int(time.time())
    doc.update(status="hold", updated_at=zd_time(now), generated_timestamp=now)
    sb.store.put(ZD_TICKETS, 102, doc, ts=now, seq=102)
    refresh()
    real_save = store.save_feed_state

    def crash_after_post(engine, feed, posted_until, pending):
        if pending is None and feed == "self_managed":
            raise RuntimeError("worker killed")
        return real_save(engine, feed, posted_until, pending)

    monkeypatch.setattr(store, "save_feed_state", crash_after_post)
    with pytest.raises(RuntimeError, match="worker killed"):
        feeds.run(warehouse)
    assert len(slack(sb, "#zd-self-managed-feed")) == 2  # posted, cursor not moved
    monkeypatch.setattr(store, "save_feed_state", real_save)
    after = feeds.run(warehouse)["feeds"]["self_managed"]
    assert after["status"] == "skipped" and len(slack(sb, "#zd-self-managed-feed")) == 2  # not posted twice
    assert store.feed_state(warehouse, "self_managed")["pending"] is None
    assert feeds.run(warehouse)["feeds"]["self_managed"]["tickets"] == 0


def test_feed_dry_run_moves_no_cursor(sb, warehouse):
    refresh()
    out = feeds.run(warehouse, dry_run=True)
    assert out["feeds"]["self_managed"]["tickets"] == 3 and slack(sb) == []
    assert store.feed_state(warehouse, "self_managed") is None


def test_view_counts_by_id_and_title_within_the_count_many_limit(sb, warehouse):
    all_views = views.run(warehouse)
    msgs = slack(sb, "#support-bot")
    assert all_views["views"] == 5 and len(msgs) == 1 and "All open tickets" in msgs[0]["text"]
    counted = {r["title"]: r["value"] for r in store.view_counts(warehouse)}
    assert counted["All open tickets"] == 7 and counted["Pending tickets"] == 1
    some = views.run(warehouse, ["pending tickets", str(min(
        r["view_id"] for r in store.view_counts(warehouse)))], dry_run=True)
    assert some["views"] == 2 and len(slack(sb, "#support-bot")) == 1
    with pytest.raises(views.UnknownViews, match="'No such view'"):
        views.run(warehouse, ["No such view"])


def test_count_many_429_is_waited_out(sb, warehouse):
    sb.store.set_meta("zendesk.views", {"limit": 1, "window": 2})
    from support_ops.org_sync.http import Policy

    waits: list[float] = []
    policy = Policy(sleep=lambda s: (waits.append(s), time.sleep(s)))
    views.run(warehouse, dry_run=True, policy=policy)
    out = views.run(warehouse, dry_run=True, policy=policy)
    assert out["zendesk_calls"]["rate_limited"] >= 1 and out["views"] == 5 and waits


def test_summary_shows_what_was_posted(sb, warehouse):
    """`support_ops summary` (what make demo prints at the end) lists the alerts and the messages."""
    from support_ops.alerts.cli import summary_lines

    assert summary_lines(warehouse) == []
    refresh()
    breach_alerts_task({})
    feeds.run(warehouse)
    lines = "\n".join(summary_lines(warehouse))
    assert "2 premium SLA-breach alert(s) recorded, 2 tag(s) still on" in lines
    assert "posted to slack_breach_alerts:" in lines and "posted to slack_feed_self_managed:" in lines
    assert "Geo replication stuck" in lines
