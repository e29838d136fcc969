"""Properties of the CSAT computation on generated tickets (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support_ops.kpis import definitions as d
from support_ops.kpis.compute import compute, inputs_from_records

BASE = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
TAGS = ["csat_survey_sent", "csat-survey-sent", "close_by_merge", "premium", "saas"]
SCORES = [None, "offered", "unoffered", "good", "bad"]
REASONS = [None, "GitLab doesn't meet my needs", "My issue was not resolved", "Something new", "No reason provided"]


@st.composite
def dataset(draw):
    n = draw(st.integers(0, 40))
    tickets, ratings = [], []
    rid = 0
    for tid in range(1, n + 1):
        solved = draw(st.one_of(st.none(), st.integers(0, 120 * 24).map(lambda h: BASE + dt.timedelta(hours=h))))
        tickets.append({
            "id": tid, "solved_at": solved, "is_deleted": draw(st.booleans()) and draw(st.booleans()),
            "tags": draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)),
            "recipient": draw(st.sampled_from([None, "support@gitlab.com", "MAIL-LIST@gitlab.com"])),
            "requester_id": draw(st.sampled_from([1, 2, 3, 99])),
            "organization_id": draw(st.sampled_from([None, 10, 11])),
            "ticket_form_id": draw(st.sampled_from([None, 100, 101, 999])),
            "satisfaction_score": draw(st.sampled_from(SCORES)),
        })
        for _ in range(draw(st.integers(0, 3))):
            rid += 1
            ratings.append({"id": rid, "ticket_id": tid, "score": draw(st.sampled_from(SCORES[1:])),
                            "reason": draw(st.sampled_from(REASONS)),
                            "updated_at": BASE + dt.timedelta(hours=draw(st.integers(0, 200 * 24)))})
    users = [{"id": 1, "organization_id": 10}, {"id": 2, "organization_id": None}, {"id": 3, "organization_id": 11}]
    orgs = [{"id": 10, "name": "GitLab", "support_level": None}, {"id": 11, "name": "Acme", "support_level": "premium"}]
    forms = [{"id": 100, "name": "SaaS"}, {"id": 101, "name": "Self-Managed"}]
    return tickets, ratings, users, orgs, forms


def _tables(data):
    return compute(inputs_from_records(*data), "mail-list@gitlab.com")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dataset())
def test_invariants_hold_on_generated_tickets(data):
    t = _tables(data)
    recs = t.records()
    cohort = [tk for tk in data[0] if tk["solved_at"] is not None and not tk["is_deleted"]]
    assert t.tickets == len(cohort)
    uns: dict[tuple, int] = {}
    for r in recs["csat_unsurveyed"]:
        assert r["reason"] in d.UNSURVEYED_REASONS and r["tickets"] >= 0
        uns[(r["period_type"], r["period_start"])] = uns.get((r["period_type"], r["period_start"]), 0) + r["tickets"]
    bad: dict[tuple, int] = {}
    for r in recs["csat_bad_reasons"]:
        assert r["route"] == d.route_for(r["reason"]) and r["ratings"] > 0
        assert r["reason"] in (*d.BAD_REASON_ROUTES, d.NO_REASON)
        bad[(r["period_type"], r["period_start"])] = bad.get((r["period_type"], r["period_start"]), 0) + r["ratings"]
    totals: dict[tuple, dict] = {}
    for r in recs["csat_kpis"]:
        assert r["surveyed"] + 0 <= r["solved"] and r["responded"] <= r["surveyed"]
        assert r["good"] + r["bad"] == r["responded"]
        for key in ("csat", "response_rate", "coverage"):
            assert r[key] is None or 0.0 <= r[key] <= 1.0
        assert (r["csat"] is None) == (r["responded"] == 0)
        assert (r["response_rate"] is None) == (r["surveyed"] == 0)
        assert r["coverage"] is not None  # a row exists only with solved tickets
        key = (r["period_type"], r["period_start"])
        if r["segment_type"] == "all":
            assert r["segment_value"] == "all"
            assert r["surveyed"] + uns[key] == r["solved"]
            assert bad.get(key, 0) == r["bad"]
            totals[key] = r
        else:
            agg = totals.setdefault((*key, r["segment_type"]), {"solved": 0, "good": 0})
            agg["solved"] += r["solved"]
            agg["good"] += r["good"]
    for (ptype, start, _seg), agg in [(k, v) for k, v in totals.items() if len(k) == 3]:
        assert agg["solved"] == totals[(ptype, start)]["solved"]
        assert agg["good"] == totals[(ptype, start)]["good"]
    for ptype in d.PERIOD_TYPES:
        assert sum(r["solved"] for r in recs["csat_kpis"]
                   if r["period_type"] == ptype and r["segment_type"] == "all") == len(cohort)


@settings(max_examples=15, deadline=None)
@given(dataset())
def test_recomputation_is_stable_and_order_independent(data):
    first = _tables(data).records()
    again = _tables(data).records()
    assert first == again
    tickets, ratings, *rest = data
    shuffled = _tables((list(reversed(tickets)), list(reversed(ratings)), *rest)).records()
    assert shuffled == first
