"""Zendesk extraction against the sandbox, warehouse on SQLite and PostgreSQL.

Exactly once: rows equal the sandbox's records; reruns change nothing; faults, crashes and
expiring tokens end in the same tables as a clean run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
import requests
from sqlalchemy import select

from sandbox.core import collections as C
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.extract.tables import (
    extract_state,
    zd_organizations,
    zd_satisfaction_ratings,
    zd_ticket_forms,
    zd_ticket_metric_events,
    zd_ticket_metrics,
    zd_tickets,
    zd_users,
)
from support_ops.extract.zendesk import extract_all, extract_stream
from support_ops.extract.zendesk_streams import STREAMS
from tests.conftest import use_sandbox

START = 0  # the whole sandbox history


def _plain(value):
    """Datetimes as naive UTC, so SQLite and PostgreSQL rows compare equal."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def table_rows(engine, table) -> list[tuple]:
    cols = [c for c in table.columns if c.name != "extracted_at"]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(*table.primary_key.columns)).all()
    return [tuple(_plain(v) for v in r) for r in rows]


def snapshot(engine) -> dict[str, list[tuple]]:
    tables = [zd_tickets, zd_ticket_metrics, zd_satisfaction_ratings,
              zd_organizations, zd_users, zd_ticket_forms, zd_ticket_metric_events]
    return {t.name: table_rows(engine, t) for t in tables}


def small_pages(stream, n: int):
    key = "per_page" if "per_page" in stream.params or stream.style == "time" else "page[size]"
    return dataclasses.replace(stream, params={**stream.params, key: n})


def realism(sb, service: str, body: dict) -> None:
    requests.post(sb.config.base_url(service) + "/_sandbox/realism", json=body, timeout=10,
                  verify=sb.env["REQUESTS_CA_BUNDLE"]).raise_for_status()


def stats(sb, service: str = "zendesk") -> dict:
    return requests.get(sb.config.base_url(service) + "/_sandbox/stats", timeout=10,
                        verify=sb.env["REQUESTS_CA_BUNDLE"]).json()


@pytest.fixture
def zd(sandbox, monkeypatch):
    use_sandbox(monkeypatch, sandbox)
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    return hook, session, base


def test_extracted_rows_equal_the_sandbox_records(zd, warehouse, sandbox):
    hook, _, _ = zd
    results = extract_all(warehouse, hook, start_time=START)
    store = sandbox.store
    tickets = {t["id"]: t for t in store.all(C.ZD_TICKETS)}
    with warehouse.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(zd_tickets)).all()}
        metrics = {r.ticket_id: r for r in conn.execute(select(zd_ticket_metrics)).all()}
    assert set(rows) == set(tickets) and results["tickets"]["loaded"] == len(tickets)
    for tid, t in tickets.items():
        assert rows[tid].status == t["status"]
        assert rows[tid].is_deleted == (t["status"] == "deleted")
        assert rows[tid].tags == t["tags"]
        assert rows[tid].organization_id == t.get("organization_id")
    assert any(r.is_deleted for r in rows.values())
    store_metrics = {m["ticket_id"]: m for m in store.all(C.ZD_TICKET_METRICS)}
    live_ids = {tid for tid, t in tickets.items() if t["status"] != "deleted"}
    assert live_ids <= set(metrics) <= set(store_metrics)
    solved = [tid for tid in live_ids if store_metrics[tid].get("solved_at")]
    assert solved and all(rows[tid].solved_at is not None for tid in solved)
    for stream, coll in [("satisfaction_ratings", C.ZD_SATISFACTION_RATINGS), ("organizations", C.ZD_ORGANIZATIONS),
                         ("users", C.ZD_USERS), ("ticket_forms", C.ZD_TICKET_FORMS),
                         ("ticket_metric_events", C.ZD_TICKET_METRIC_EVENTS)]:
        with warehouse.connect() as conn:
            got = {r[0] for r in conn.execute(select(STREAMS[stream].table.c.id)).all()}
        assert got == {d["id"] for d in store.all(coll)}, stream
    with warehouse.connect() as conn:
        scores = dict(conn.execute(select(zd_satisfaction_ratings.c.id, zd_satisfaction_ratings.c.score)).all())
    assert scores == {r["id"]: r["score"] for r in store.all(C.ZD_SATISFACTION_RATINGS)}


def test_rerun_changes_nothing_and_costs_one_call_per_stream(zd, warehouse, sandbox):
    hook, _, _ = zd
    extract_all(warehouse, hook, start_time=START)
    before = snapshot(warehouse)
    again = extract_all(warehouse, hook, start_time=START)
    assert snapshot(warehouse) == before
    assert again["tickets"]["loaded"] == 0 and again["tickets"]["api_calls"] == 1


def test_faults_give_the_same_tables_as_a_clean_run(sandbox_factory, warehouse_url, monkeypatch, tmp_path):
    from support_ops.warehouse import get_engine, upgrade

    sb = sandbox_factory(populate="generate")
    use_sandbox(monkeypatch, sb)
    clean_engine = get_engine(f"sqlite:///{tmp_path / 'clean.db'}")
    upgrade(clean_engine)
    extract_all(clean_engine, SupportZendeskHook(), start_time=START)
    faulty = get_engine(warehouse_url)
    upgrade(faulty)
    realism(sb, "zendesk", {"faults": {"seed": 3, "rate_429": 0.08, "burst_429": 2, "retry_after": 0,
                                       "rate_5xx": 0.1, "rate_drop": 0.08, "rate_truncate": 0.08}})
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    policy = __import__("support_ops.extract.fetch", fromlist=["RetryPolicy"]).RetryPolicy(
        attempts=12, backoff=0.01, max_backoff=0.05)
    for name, stream in STREAMS.items():
        extract_stream(faulty, small_pages(stream, 50 if name != "satisfaction_ratings" else 20), session, base,
                       start_time=START, policy=policy)
    served = stats(sb)
    realism(sb, "zendesk", {"faults": {"rate_429": 0, "rate_5xx": 0, "rate_drop": 0, "rate_truncate": 0}})
    assert served["total_faults"] >= 5, served
    assert snapshot(faulty) == snapshot(clean_engine)


def test_killed_run_resumes_and_refetches_at_most_one_page(zd, warehouse, sandbox, monkeypatch):
    from support_ops.extract import runner

    _, session, base = zd
    stream = small_pages(STREAMS["tickets"], 40)
    real_write, writes = runner.write_page, {"n": 0}

    def crash_on_fourth_page(*args, **kwargs):
        writes["n"] += 1
        if writes["n"] == 4:
            raise KeyboardInterrupt("worker killed")  # between fetching page 4 and committing it
        return real_write(*args, **kwargs)

    monkeypatch.setattr(runner, "write_page", crash_on_fourth_page)
    calls_before = stats(sandbox)["total_calls"]
    with pytest.raises(KeyboardInterrupt):
        extract_stream(warehouse, stream, session, base, start_time=START)
    monkeypatch.setattr(runner, "write_page", real_write)
    rest = extract_stream(warehouse, stream, session, base, start_time=START)
    calls = stats(sandbox)["total_calls"] - calls_before
    total_pages = 3 + rest.pages
    assert calls == total_pages + 1  # exactly the one page in flight was fetched twice
    n = sandbox.store.count(C.ZD_TICKETS)
    assert len(table_rows(warehouse, zd_tickets)) == n
    assert total_pages in (-(-n // 40), -(-n // 40) + 1)


def test_expiring_tokens_mid_run(sandbox_factory, warehouse, monkeypatch):
    sb = sandbox_factory(populate="generate")
    use_sandbox(monkeypatch, sb)
    requests.post(sb.config.base_url("zendesk") + "/_sandbox/settings", json={"token_ttl": 1}, timeout=5)
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    hook.tokens.margin = 0  # use each token until the server refuses it
    import time

    slow = __import__("support_ops.extract.fetch", fromlist=["RetryPolicy"]).RetryPolicy()
    real_get = session.get

    def get_slowly(*a, **kw):  # pages take longer than a token lives
        time.sleep(1.1)
        return real_get(*a, **kw)

    monkeypatch.setattr(session, "get", get_slowly)
    res = extract_stream(warehouse, small_pages(STREAMS["tickets"], 100), session, base, start_time=START,
                         policy=slow, on_unauthorized=hook.tokens.invalidate)
    assert res.loaded == sb.store.count(C.ZD_TICKETS)
    assert hook.tokens.grants >= 2


def test_credentials_never_reach_the_logs(zd, warehouse, sandbox, caplog):
    hook, _, _ = zd
    caplog.set_level(logging.DEBUG)
    extract_all(warehouse, hook, ["ticket_forms", "organizations"], start_time=START)
    token = hook.tokens.token()
    secret = sandbox.credentials["zendesk"]["client_secret"]
    assert token not in caplog.text and secret not in caplog.text
    assert "zendesk.organizations: page 1" in caplog.text


def test_new_tickets_and_changed_ratings_are_picked_up(sandbox_factory, warehouse, monkeypatch):
    sb = sandbox_factory(populate="generate")
    use_sandbox(monkeypatch, sb)
    hook = SupportZendeskHook()
    extract_all(warehouse, hook, start_time=START)
    import time

    from sandbox.core.live import LiveActivity
    from sandbox.generate.util import rng_for

    activity = LiveActivity(sb.store, rng_for(1, "live-test"))
    now = int(time.time()) - 120  # outside the exports' last-minute exclusion
    before_ids = {t["id"] for t in sb.store.all(C.ZD_TICKETS)}
    for step in range(3):
        activity.tick(now + step)
    bad = next(r for r in sb.store.all(C.ZD_SATISFACTION_RATINGS) if r["score"] == "bad")
    activity.rate(bad, now + 5, score="good")
    extract_all(warehouse, hook, start_time=START)
    new_ids = {t["id"] for t in sb.store.all(C.ZD_TICKETS)} - before_ids
    assert new_ids
    with warehouse.connect() as conn:
        ids = {r[0] for r in conn.execute(select(zd_tickets.c.id)).all()}
        statuses = dict(conn.execute(select(zd_tickets.c.id, zd_tickets.c.status)).all())
        scores = dict(conn.execute(select(zd_satisfaction_ratings.c.id,
                                          zd_satisfaction_ratings.c.score)).all())
    assert new_ids <= ids
    assert statuses == {t["id"]: t["status"] for t in sb.store.all(C.ZD_TICKETS)}
    assert scores == {r["id"]: r["score"] for r in sb.store.all(C.ZD_SATISFACTION_RATINGS)}
    assert scores[bad["id"]] == "good"


def test_an_outage_longer_than_the_retry_budget_says_where_to_resume(warehouse, sandbox_factory, monkeypatch):
    from support_ops.extract.fetch import ExtractionError, RetryPolicy

    sb = sandbox_factory(populate="generate")
    use_sandbox(monkeypatch, sb)
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    stream = small_pages(STREAMS["tickets"], 50)
    extract_stream(warehouse, stream, session, base, start_time=START, max_pages=2)
    realism(sb, "zendesk", {"faults": {"seed": 5, "rate_5xx": 1.0}})
    try:
        with pytest.raises(ExtractionError) as err:
            extract_stream(warehouse, stream, session, base, start_time=START,
                           policy=RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02))
    finally:
        realism(sb, "zendesk", {"faults": {"rate_5xx": 0}})
    message = str(err.value)
    assert "zendesk.tickets" in message and "gave up after 3 attempts" in message
    assert "a rerun resumes from there" in message
    assert err.value.cursor and err.value.cursor.get("cursor")  # the committed cursor of page 2
    with warehouse.connect() as conn:
        assert len(conn.execute(select(zd_tickets.c.id)).all()) == 100
    rest = extract_stream(warehouse, stream, session, base, start_time=START)
    assert rest.total_loaded == sb.store.count(C.ZD_TICKETS)


def _with_bad_tickets(store, cfg):
    from sandbox.generate import generate

    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    good = next(iter(store.all(C.ZD_TICKETS)))
    bad = [
        {**good, "id": 990001, "status": "escalated"},
        {**good, "id": 990002, "created_at": "last tuesday"},
        {**good, "id": 990003, "tags": "premium"},
    ]
    store.put_many(C.ZD_TICKETS, [(d["id"], d, good["generated_timestamp"], d["id"]) for d in bad])


def test_bad_records_are_quarantined_and_the_rest_loads(sandbox_factory, warehouse, monkeypatch):
    from support_ops.extract.runner import QuarantineRatioExceeded
    from support_ops.extract.tables import quarantine

    sb = sandbox_factory(populate=_with_bad_tickets)
    use_sandbox(monkeypatch, sb)
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    res = extract_stream(warehouse, STREAMS["tickets"], session, base, start_time=START)
    assert res.quarantined == 3 and res.loaded == sb.store.count(C.ZD_TICKETS) - 3
    with warehouse.connect() as conn:
        q = {r.record_key: r.reason for r in conn.execute(select(quarantine)).all()}
    assert q == {"990001": "unknown status 'escalated'",
                 "990002": "created_at is not a date-time: 'last tuesday'",
                 "990003": "tags is not a list: 'premium'"}
    # Above the configured ratio the task fails, after loading the valid records.
    with warehouse.begin() as conn:
        conn.execute(extract_state.delete())
    with pytest.raises(QuarantineRatioExceeded, match="3 of .* records quarantined"):
        extract_stream(warehouse, STREAMS["tickets"], session, base, start_time=START,
                       quarantine_max_ratio=0.0)
