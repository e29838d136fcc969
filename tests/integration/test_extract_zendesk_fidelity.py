"""The Zendesk extraction against the shapes Zendesk really answers with (issue 9, issue 10).

- metric sets arrive inside each exported ticket (`metric_set`) and land in
  `zd_ticket_metrics`, with `solved_at` on the tickets; deleted tickets carry none;
- a page of solved tickets without metric sets trips the canary before anything is written;
- a rating changed bad -> good long after it was created reaches the warehouse (through the
  ticket export: the rating list's `start_time` filters on `created_at`) and the KPIs move;
- a future-dated rating does not push the ratings cursor past real, earlier ratings;
- 2,000 organizations updated in one second (Zendesk's time-based export cannot page past
  them) are loaded completely.

Warehouse on SQLite and PostgreSQL (the `warehouse` fixture).
"""

from __future__ import annotations

import logging
import time

import pytest
import requests
from sqlalchemy import func, select

from sandbox.core.collections import (
    ZD_ORGANIZATIONS,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
    ZD_USERS,
)
from sandbox.zendesk.common import iso
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.extract.canary import CanaryTripped
from support_ops.extract.state import load_state
from support_ops.extract.tables import (
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
from support_ops.kpis.tables import csat_kpis
from tests.conftest import use_sandbox

DAY = 86400


def _ticket(tid: int, status: str, ts: int, rating: dict | None = None) -> dict:
    return {"id": tid, "status": status, "via": {"channel": "email"}, "tags": [],
            "created_at": iso(ts - DAY), "updated_at": iso(ts), "generated_timestamp": ts,
            "requester_id": 7, "organization_id": None, "ticket_form_id": None,
            "satisfaction_rating": rating}


def _metric(tid: int, ts: int, solved: bool) -> dict:
    return {"id": 900000 + tid, "ticket_id": tid, "created_at": iso(ts - DAY),
            "updated_at": iso(ts), "solved_at": iso(ts) if solved else None, "reopens": 0,
            "replies": 2, "reply_time_in_minutes": {"calendar": 5, "business": 5},
            "full_resolution_time_in_minutes": {"calendar": 60, "business": 60}}


def _tickets(store, *, with_metrics: bool, n_solved: int = 30, n_open: int = 10,
             n_deleted: int = 5) -> None:
    base = int(time.time()) - 20 * DAY
    tickets, metrics = [], []
    statuses = ["solved"] * n_solved + ["open"] * n_open + ["deleted"] * n_deleted
    for i, status in enumerate(statuses):
        tid, ts = 1 + i, base + i * 600
        tickets.append((tid, _ticket(tid, status, ts), ts, tid))
        metrics.append((tid, _metric(tid, ts, status == "solved"), ts, tid))
    store.put_many(ZD_TICKETS, tickets)
    if with_metrics:
        store.put_many(ZD_TICKET_METRICS, metrics)  # deleted ones too: the sandbox must skip them


def _rows(engine, table) -> dict:
    with engine.connect() as conn:
        return {r[0]: r for r in conn.execute(select(table)).all()}


def _session(sb, monkeypatch):
    use_sandbox(monkeypatch, sb)
    hook = SupportZendeskHook()
    session, base = hook.api_session()
    return hook, session, base


def test_metric_sets_arrive_inside_each_ticket_and_land_in_the_warehouse(sandbox_factory, warehouse,
                                                                          monkeypatch):
    sb = sandbox_factory(populate=lambda store, cfg: _tickets(store, with_metrics=True))
    hook, session, base = _session(sb, monkeypatch)
    body = session.get(base + "/incremental/tickets/cursor.json",
                       params={"start_time": 0, "include": "metric_sets"}, timeout=10).json()
    assert "metric_sets" not in body
    assert all(("metric_set" in t) == (t["status"] != "deleted") for t in body["tickets"])

    res = extract_stream(warehouse, STREAMS["tickets"], session, base, start_time=0)
    assert res.loaded == 45
    tickets, metrics = _rows(warehouse, zd_tickets), _rows(warehouse, zd_ticket_metrics)
    live = {tid for tid, t in tickets.items() if not t.is_deleted}
    assert set(metrics) == live and len(live) == 40  # none for the 5 deleted tickets
    solved = {tid for tid, t in tickets.items() if t.status == "solved"}
    assert len(solved) == 30 and all(tickets[tid].solved_at is not None for tid in solved)
    assert all(tickets[tid].solved_at is None for tid in live - solved)
    assert all(metrics[tid].replies == 2 and metrics[tid].full_resolution_time_minutes == 60
               for tid in live)
    assert all("metric_set" not in tickets[tid].raw for tid in tickets)  # not stored twice


def test_a_page_of_solved_tickets_without_metric_sets_trips_the_canary(sandbox_factory, warehouse,
                                                                       monkeypatch, caplog):
    sb = sandbox_factory(populate=lambda store, cfg: _tickets(store, with_metrics=False))
    _, session, base = _session(sb, monkeypatch)
    caplog.set_level(logging.WARNING, logger="support_ops.extract.canary")
    with pytest.raises(CanaryTripped, match="30 of 30 solved tickets arrived without a metric set"):
        extract_stream(warehouse, STREAMS["tickets"], session, base, start_time=0)
    assert "carries 30 solved tickets, 30 of them without a metric set" in caplog.text
    # Nothing of the page was written and the cursor did not move: a rerun reads it again.
    assert _rows(warehouse, zd_tickets) == {}
    assert load_state(warehouse, "zendesk.tickets") == (None, 0)


def test_below_the_sample_the_canary_only_warns(sandbox_factory, warehouse, monkeypatch, caplog):
    sb = sandbox_factory(populate=lambda store, cfg: _tickets(store, with_metrics=False, n_solved=3))
    _, session, base = _session(sb, monkeypatch)
    caplog.set_level(logging.WARNING, logger="support_ops.extract.canary")
    res = extract_stream(warehouse, STREAMS["tickets"], session, base, start_time=0)
    assert res.loaded == 18 and "3 of them without a metric set" in caplog.text


def test_a_field_the_rows_always_had_vanishing_trips_the_canary(sandbox_factory, warehouse,
                                                                monkeypatch, caplog):
    now = int(time.time())

    def users(store, cfg):
        store.put_many(ZD_USERS, [(100 + i, {"id": 100 + i, "name": f"U{i}", "role": "end-user",
                                             "created_at": iso(now - 9 * DAY),
                                             "updated_at": iso(now - 9 * DAY + i)},
                                   now - 9 * DAY + i, 100 + i) for i in range(25)])

    sb = sandbox_factory(populate=users)
    _, session, base = _session(sb, monkeypatch)
    assert extract_stream(warehouse, STREAMS["users"], session, base, start_time=0).loaded == 25
    for i in range(25):  # the source stops sending `role` (a renamed field, say)
        doc = sb.store.get(ZD_USERS, 100 + i)
        doc.pop("role")
        doc["updated_at"] = iso(now - 300 + i)
        sb.store.put(ZD_USERS, 100 + i, doc, ts=now - 300 + i, seq=100 + i)
    caplog.set_level(logging.WARNING, logger="support_ops.extract.canary")
    with pytest.raises(CanaryTripped, match="25 rows this run and none has role"):
        extract_stream(warehouse, STREAMS["users"], session, base, start_time=0)
    assert "none with role" in caplog.text
    with warehouse.connect() as conn:  # the rows keep their last good values
        assert conn.execute(select(func.count()).where(zd_users.c.role == "end-user")).scalar() == 25


def _kpi_totals(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(select(func.sum(csat_kpis.c.good), func.sum(csat_kpis.c.bad))
                           .where(csat_kpis.c.period_type == "week",
                                  csat_kpis.c.segment_type == "all")).one()
    return int(row[0] or 0), int(row[1] or 0)


def test_a_rating_changed_long_after_creation_reaches_the_warehouse_and_moves_the_kpis(
        sandbox_factory, warehouse, monkeypatch):
    from sandbox.core.live import LiveActivity
    from sandbox.generate.util import rng_for
    from support_ops.kpis.compute import refresh

    sb = sandbox_factory(populate="generate")
    hook, session, base = _session(sb, monkeypatch)
    extract_all(warehouse, hook, start_time=0)
    refresh(warehouse)
    good_before, bad_before = _kpi_totals(warehouse)
    metrics = {m["ticket_id"]: m for m in sb.store.all(ZD_TICKET_METRICS)}
    now = int(time.time())
    rating = next(r for r in sb.store.all(ZD_SATISFACTION_RATINGS)
                  if r["score"] == "bad" and (metrics.get(r["ticket_id"]) or {}).get("solved_at")
                  and sb.store.get(ZD_TICKETS, r["ticket_id"])["status"] != "deleted"
                  and r["created_at"] < iso(now - 10 * DAY))
    created = rating["created_at"]
    LiveActivity(sb.store, rng_for(1, "rating-change")).rate(rating, now - 120, score="good")
    assert sb.store.get(ZD_SATISFACTION_RATINGS, rating["id"])["created_at"] == created

    # The rating list does not bring it back: its start_time filters on created_at.
    state, _ = load_state(warehouse, "zendesk.satisfaction_ratings")
    listed = session.get(base + "/satisfaction_ratings.json",
                         params={"start_time": state["start_time"], "page[size]": 100}, timeout=10).json()
    assert rating["id"] not in {r["id"] for r in listed["satisfaction_ratings"]}

    extract_all(warehouse, hook, start_time=0)
    with warehouse.connect() as conn:
        score = conn.execute(select(zd_satisfaction_ratings.c.score)
                             .where(zd_satisfaction_ratings.c.id == rating["id"])).scalar()
    assert score == "good"
    refresh(warehouse)
    assert _kpi_totals(warehouse) == (good_before + 1, bad_before - 1)


def _rating(rid: int, created: int, score: str = "good") -> dict:
    return {"id": rid, "url": f"https://sandbox.zendesk.com/api/v2/satisfaction_ratings/{rid}.json",
            "ticket_id": rid - 5000, "requester_id": 7, "assignee_id": None, "group_id": 11,
            "score": score, "comment": None, "reason": None, "reason_id": None,
            "created_at": iso(created), "updated_at": iso(created)}


def test_a_future_dated_rating_does_not_hide_later_real_ones(sandbox_factory, warehouse, monkeypatch):
    now = int(time.time())

    def ratings(store, cfg):
        docs = [_rating(5000 + i, now - 10 * DAY + i * 3600) for i in range(20)]
        docs.append(_rating(5999, now + DAY, "bad"))  # dated a day ahead: a wrong clock
        store.put_many(ZD_SATISFACTION_RATINGS, [(d["id"], d, 0, d["id"]) for d in docs])

    sb = sandbox_factory(populate=ratings)
    _, session, base = _session(sb, monkeypatch)
    started = int(time.time())
    first = extract_stream(warehouse, STREAMS["satisfaction_ratings"], session, base, start_time=0)
    assert first.loaded == 21  # the future-dated one loads
    state, _ = load_state(warehouse, "zendesk.satisfaction_ratings")
    assert state["start_time"] <= started  # not a day ahead

    later = _rating(5100, int(time.time()) - 5)  # a real rating, made before that future date
    sb.store.put(ZD_SATISFACTION_RATINGS, later["id"], later, ts=0, seq=later["id"])
    future = {**sb.store.get(ZD_SATISFACTION_RATINGS, 5999), "score": "good"}
    sb.store.put(ZD_SATISFACTION_RATINGS, 5999, future, ts=0, seq=5999)
    extract_stream(warehouse, STREAMS["satisfaction_ratings"], session, base, start_time=0)
    scores = {k: r.score for k, r in _rows(warehouse, zd_satisfaction_ratings).items()}
    assert scores[5100] == "good"  # picked up
    assert scores[5999] == "good"  # and the future-dated one is read again until its date


def test_two_thousand_organizations_in_one_second_are_loaded_completely(sandbox_factory, warehouse,
                                                                        monkeypatch, caplog):
    t0 = int(time.time()) - 5 * DAY

    def orgs(store, cfg):
        docs = [(i, t0) for i in range(2000)] + [(2000 + i, t0 + 100 * (i + 1)) for i in range(10)]
        store.put_many(ZD_ORGANIZATIONS, [
            (700000 + i, {"id": 700000 + i, "name": f"Org {i}", "domain_names": [], "tags": [],
                          "external_id": None, "shared_tickets": False, "shared_comments": False,
                          "organization_fields": {}, "created_at": iso(ts - DAY),
                          "updated_at": iso(ts), "deleted_at": None}, ts, 700000 + i)
            for i, ts in docs])

    sb = sandbox_factory(populate=orgs)
    _, session, base = _session(sb, monkeypatch)
    # Zendesk's behaviour, imitated: a full page inside one second does not advance end_time.
    page = session.get(base + "/incremental/organizations.json", params={"start_time": t0},
                       timeout=10).json()
    assert page["count"] == 1000 and page["end_time"] == t0 and page["end_of_stream"] is False
    assert f"start_time={t0}" in page["next_page"]

    caplog.set_level(logging.INFO, logger="support_ops.extract.zendesk_streams")
    res = extract_stream(warehouse, STREAMS["organizations"], session, base, start_time=0)
    assert set(_rows(warehouse, zd_organizations)) == {700000 + i for i in range(2010)}
    assert f"time-based export stuck at start_time={t0}" in caplog.text
    state, _ = load_state(warehouse, "zendesk.organizations")
    assert state["start_time"] > t0 and "stuck" not in state
    again = extract_stream(warehouse, STREAMS["organizations"], session, base, start_time=0)
    assert again.pages == 1 and res.loaded >= 2010


def test_next_page_links_follow_the_host_the_client_used(sandbox_factory, monkeypatch):
    """Reached through a TLS front on the Zendesk host name, page two stays on that host."""
    sb = sandbox_factory(populate=lambda store, cfg: _tickets(store, with_metrics=True))
    _, session, base = _session(sb, monkeypatch)
    front = {"Host": "acme.zendesk.com", "X-Forwarded-Proto": "https"}
    body = session.get(base + "/incremental/tickets/cursor.json", headers=front, timeout=10,
                       params={"start_time": 0, "per_page": 10, "include": "metric_sets",
                               "exclude_deleted": "true", "custom": "kept"}).json()
    nxt = requests.utils.urlparse(body["after_url"])
    assert (nxt.scheme, nxt.netloc) == ("https", "acme.zendesk.com")
    for part in ("per_page=10", "include=metric_sets", "exclude_deleted=true", "custom=kept"):
        assert part in nxt.query
    assert "start_time" not in nxt.query


def test_metric_events_of_one_crowded_second_are_paged_by_cursor(sandbox_factory, warehouse,
                                                                 monkeypatch, caplog):
    """The ticket metric event export also pages by cursor (`page[size]`): a second holding
    1,500 events is read that way and the time-based export resumes after it."""
    from sandbox.core.collections import ZD_TICKET_METRIC_EVENTS

    t0 = int(time.time()) - 3 * DAY
    times = [t0] * 1500 + [t0 + 60 * (i + 1) for i in range(20)]

    def events(store, cfg):
        store.put_many(ZD_TICKET_METRIC_EVENTS, [
            (i + 1, {"id": i + 1, "ticket_id": 1 + i % 40, "metric": "reply_time", "instance_id": 1,
                     "type": "activate", "time": iso(ts)}, ts, i + 1) for i, ts in enumerate(times)])

    sb = sandbox_factory(populate=events)
    _, session, base = _session(sb, monkeypatch)
    paged = session.get(base + "/incremental/ticket_metric_events.json",
                        params={"start_time": t0, "page[size]": 100}, timeout=10).json()
    assert len(paged["ticket_metric_events"]) == 100 and paged["meta"]["has_more"] is True
    assert f"start_time={t0}" in paged["links"]["next"]
    caplog.set_level(logging.INFO, logger="support_ops.extract.zendesk_streams")
    res = extract_stream(warehouse, STREAMS["ticket_metric_events"], session, base, start_time=0)
    assert set(_rows(warehouse, zd_ticket_metric_events)) == set(range(1, 1521))
    assert "stuck at start_time" in caplog.text and res.total_loaded >= 1520


def test_ticket_forms_beyond_one_page_are_all_read(sandbox_factory, warehouse, monkeypatch):
    from sandbox.core.collections import ZD_TICKET_FORMS

    def forms(store, cfg):  # Zendesk allows up to 300 forms per account
        store.put_many(ZD_TICKET_FORMS, [(i, {"id": i, "name": f"Form {i}", "active": True}, 0, i)
                                         for i in range(1, 251)])

    sb = sandbox_factory(populate=forms)
    _, session, base = _session(sb, monkeypatch)
    extract_stream(warehouse, STREAMS["ticket_forms"], session, base, start_time=0)
    assert set(_rows(warehouse, zd_ticket_forms)) == set(range(1, 251))
    assert load_state(warehouse, "zendesk.ticket_forms")[0] == {"full": True}
