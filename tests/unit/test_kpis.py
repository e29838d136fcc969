"""CSAT definitions (docs/kpi-definitions.md) on small hand-computed cases: every edge the seed and the docs name."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from support_ops.kpis import definitions as d
from support_ops.kpis.compute import classify, compute, inputs_from_records

MAIL = "mail-list@gitlab.com"
MON = dt.datetime(2026, 11, 9, tzinfo=dt.UTC)  # Monday of ISO week 2026-W46
WEEK = dt.date(2026, 11, 9)
NEXT_WEEK = dt.date(2026, 11, 16)
MONTH = dt.date(2026, 11, 1)
ORGS = [
    {"id": 1, "name": "GitLab", "support_level": None},
    {"id": 2, "name": "GitLab Inc.", "support_level": "Premium"},
    {"id": 3, "name": "Acme", "support_level": "ultimate"},
]
USERS = [{"id": 10, "organization_id": 1}, {"id": 20, "organization_id": 2}, {"id": 30, "organization_id": 3},
         {"id": 40, "organization_id": None}]
FORMS = [{"id": 500, "name": "SaaS"}, {"id": 501, "name": "Self-Managed"}]


def ticket(tid: int, *, solved: dt.datetime | str | None = MON, tags=(), **kw) -> dict:
    return {"id": tid, "solved_at": solved, "tags": list(tags), "requester_id": 30, "ticket_form_id": 500,
            "is_deleted": False, **kw}


def rating(rid: int, tid: int, score: str, at: dt.datetime | str = MON, reason: str | None = None) -> dict:
    return {"id": rid, "ticket_id": tid, "score": score, "reason": reason, "updated_at": at}


def run(tickets, ratings=(), users=USERS, orgs=ORGS, forms=FORMS):
    inputs = inputs_from_records(tickets, ratings, users, orgs, forms)
    return classify(inputs, MAIL), compute(inputs, MAIL)


def by_id(c) -> dict[int, dict]:
    return {int(r["id"]): r for r in c.to_dict("records")}


def kpi(tables, period_type="week", start=WEEK, segment=("all", "all")) -> dict:
    k = tables.kpis
    rows = k[(k.period_type == period_type) & (k.period_start == start) & (k.segment_type == segment[0])
             & (k.segment_value == segment[1])].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def unsurveyed(tables, period_type="week", start=WEEK) -> dict[str, int]:
    u = tables.unsurveyed
    return {r["reason"]: r["tickets"] for r in u[(u.period_type == period_type) & (u.period_start == start)]
            .to_dict("records")}


def bad_reasons(tables, period_type="week", start=WEEK) -> dict[tuple[str, str], int]:
    b = tables.bad_reasons
    return {(r["reason"], r["route"]): r["ratings"] for r in b[(b.period_type == period_type)
                                                               & (b.period_start == start)].to_dict("records")}


def test_merged_ticket_without_survey_is_unsurveyed_merged_and_with_survey_is_surveyed():
    c, t = run([ticket(1, tags=["close_by_merge"]),
                ticket(2, tags=["close_by_merge", "csat_survey_sent"]),
                ticket(3, tags=["close_by_merge"], recipient=MAIL)])  # merged wins over mail list
    rows = by_id(c)
    assert (rows[1]["surveyed"], rows[1]["unsurveyed_reason"]) == (False, "merged")
    assert (rows[2]["surveyed"], rows[2]["unsurveyed_reason"]) == (True, None)
    assert rows[3]["unsurveyed_reason"] == "merged"
    assert kpi(t)["solved"] == 3 and kpi(t)["surveyed"] == 1
    assert unsurveyed(t) == {"merged": 2, "mail_list": 0, "gitlab_team": 0, "other": 0}


def test_mail_list_email_matches_case_insensitively_and_only_that_address():
    c, t = run([ticket(1, recipient="Mail-List@GitLab.com "), ticket(2, recipient="support@gitlab.com"),
                ticket(3, recipient=None)])
    rows = by_id(c)
    assert [rows[i]["unsurveyed_reason"] for i in (1, 2, 3)] == ["mail_list", "other", "other"]
    assert unsurveyed(t) == {"merged": 0, "mail_list": 1, "gitlab_team": 0, "other": 2}


def test_gitlab_team_is_the_organization_named_exactly_gitlab_of_the_requester():
    c, _ = run([
        ticket(1, requester_id=10),                        # user in 'GitLab'
        ticket(2, requester_id=20),                        # user in 'GitLab Inc.': a customer
        ticket(3, requester_id=20, organization_id=1),     # the requester's organization wins
        ticket(4, requester_id=40, organization_id=1),     # user without one: the ticket's
        ticket(5, requester_id=999, organization_id=1),    # unknown user: the ticket's
        ticket(6, requester_id=10, recipient=MAIL),        # mail list comes first
    ])
    rows = by_id(c)
    assert [rows[i]["unsurveyed_reason"] for i in range(1, 7)] == [
        "gitlab_team", "other", "other", "gitlab_team", "gitlab_team", "mail_list"]


def test_bad_then_good_counts_the_latest_rating_and_ratings_beat_the_ticket_field():
    later = MON + dt.timedelta(days=2)
    c, t = run(
        [ticket(1, satisfaction_score="bad"), ticket(2, satisfaction_score="good"), ticket(3)],
        [rating(102, 1, "good", later), rating(101, 1, "bad", MON, "My issue was not resolved"),
         rating(200, 2, "bad", MON, "The answer wasn't helpful"),
         # same timestamp: the higher id is the later version
         rating(301, 3, "good", MON), rating(300, 3, "bad", MON, "The answer wasn't helpful")],
    )
    rows = by_id(c)
    assert [rows[i]["score"] for i in (1, 2, 3)] == ["good", "bad", "good"]
    k = kpi(t)
    assert (k["responded"], k["good"], k["bad"], k["csat"]) == (3, 2, 1, pytest.approx(2 / 3))
    assert bad_reasons(t) == {("The answer wasn't helpful", "support_managers"): 1}


def test_offered_but_unanswered_is_surveyed_not_responded_and_unoffered_is_not_surveyed():
    c, t = run([ticket(1), ticket(2), ticket(3, tags=["csat-survey-sent"]), ticket(4, satisfaction_score="offered")],
               [rating(1, 1, "offered"), rating(2, 2, "unoffered")])
    rows = by_id(c)
    assert [(rows[i]["surveyed"], rows[i]["responded"]) for i in (1, 2, 3, 4)] == [
        (True, False), (False, False), (True, False), (True, False)]
    k = kpi(t)
    assert (k["solved"], k["surveyed"], k["responded"]) == (4, 3, 0)
    assert k["csat"] is None or k["csat"] != k["csat"]  # NULL: no responses
    assert k["response_rate"] == 0.0 and k["coverage"] == 0.75


def test_period_with_no_responses_has_null_csat_in_the_database_rows():
    _, t = run([ticket(1, tags=["csat_survey_sent"])])
    row = next(r for r in t.records()["csat_kpis"] if r["period_type"] == "week" and r["segment_type"] == "all")
    assert row["csat"] is None and row["response_rate"] == 0.0 and row["coverage"] == 1.0
    _, t = run([ticket(1)])
    row = next(r for r in t.records()["csat_kpis"] if r["segment_type"] == "all")
    assert row["csat"] is None and row["response_rate"] is None and row["coverage"] == 0.0


def test_deleted_and_unsolved_tickets_are_not_in_the_cohort():
    c, t = run([ticket(1, is_deleted=True, tags=["csat_survey_sent"]), ticket(2, solved=None), ticket(3)],
               [rating(1, 1, "bad"), rating(2, 2, "good")])
    assert list(c["id"]) == [3]
    assert kpi(t)["solved"] == 1 and kpi(t)["bad"] == 0 and len(t.bad_reasons) == 0


def test_solved_in_one_week_rated_in_the_next_counts_in_the_solve_week():
    sunday_night = "2026-11-15T23:30:00Z"
    c, t = run([ticket(1, solved=sunday_night, tags=["csat_survey_sent"])],
               [rating(1, 1, "bad", "2026-11-17T10:00:00Z", "GitLab doesn't meet my needs")])
    assert c.loc[0, "week"].date() == WEEK
    assert kpi(t)["bad"] == 1
    assert bad_reasons(t) == {("GitLab doesn't meet my needs", "product"): 1}
    assert set(t.kpis[t.kpis.period_type == "week"].period_start) == {WEEK}


def test_solved_at_is_read_in_utc_whatever_the_offset():
    # 23:30 on Sunday at UTC-2 is Monday 01:30 UTC: the next week.
    c, _ = run([ticket(1, solved="2026-11-15T23:30:00-02:00"), ticket(2, solved="2026-11-30T23:59:59Z"),
                ticket(3, solved="2026-12-01T00:00:00+00:00")])
    rows = by_id(c)
    assert rows[1]["week"].date() == NEXT_WEEK
    assert rows[2]["month"].date() == MONTH and rows[3]["month"].date() == dt.date(2026, 12, 1)


@pytest.mark.parametrize(("text", "reason", "route"), [
    ("GitLab doesn't meet my needs", "GitLab doesn't meet my needs", "product"),
    ("gitlab doesn\u2019t  meet my needs ", "GitLab doesn't meet my needs", "product"),
    ("The answer wasn't delivered in a timely manner", "The answer wasn't delivered in a timely manner",
     "support_managers"),
    ("My issue was not resolved", "My issue was not resolved", "support_managers"),
    ("The answer wasn't helpful", "The answer wasn't helpful", "support_managers"),
    ("Some other reason", "Some other reason", "support_managers"),
    (None, "none", "support_managers"),
    ("", "none", "support_managers"),
    ("No reason provided", "none", "support_managers"),
    ("The agent was rude", "Some other reason", "support_managers"),  # unknown text: decided
])
def test_bad_reason_canonical_text_and_route(text, reason, route):
    assert d.canonical_reason(text) == reason
    assert d.route_for(reason) == route
    _, t = run([ticket(1)], [rating(1, 1, "bad", MON, text)])
    assert bad_reasons(t) == {(reason, route): 1}
    assert bad_reasons(t, "month", MONTH) == {(reason, route): 1}


def test_bad_reason_falls_back_to_the_ticket_field_without_a_rating_row():
    _, t = run([ticket(1, satisfaction_score="bad", satisfaction_reason="My issue was not resolved"),
                ticket(2, satisfaction_score="bad")])
    assert bad_reasons(t) == {("My issue was not resolved", "support_managers"): 1, ("none", "support_managers"): 1}


def test_segments_by_support_level_and_form_with_unknowns():
    _, t = run([ticket(1, requester_id=30, tags=["csat_survey_sent"]),          # ultimate, SaaS
                ticket(2, requester_id=20, ticket_form_id=501),                # premium (lower-cased)
                ticket(3, requester_id=10, ticket_form_id=None),               # GitLab: no level
                ticket(4, requester_id=40, ticket_form_id=999)],               # no org, unknown form
               [rating(1, 1, "good")])
    levels = t.kpis[(t.kpis.period_type == "week") & (t.kpis.segment_type == "support_level")]
    assert dict(zip(levels.segment_value, levels.solved, strict=True)) == {"premium": 1, "ultimate": 1, "unknown": 2}
    forms = t.kpis[(t.kpis.period_type == "week") & (t.kpis.segment_type == "form")]
    assert dict(zip(forms.segment_value, forms.solved, strict=True)) == {"SaaS": 1, "Self-Managed": 1, "unknown": 2}
    assert kpi(t, segment=("support_level", "ultimate"))["csat"] == 1.0
    # every segment type adds up to the whole
    for seg in ("support_level", "form"):
        part = t.kpis[(t.kpis.period_type == "week") & (t.kpis.segment_type == seg)]
        assert part.solved.sum() == kpi(t)["solved"] == 4


def test_weeks_and_months_and_their_labels():
    assert d.week_start(dt.date(2027, 1, 1)) == dt.date(2026, 12, 28)
    assert d.period_label("week", dt.date(2026, 12, 28)) == "2026-W53"
    assert d.period_label("week", WEEK) == "2026-W46" and d.period_label("month", MONTH) == "2026-11"
    assert d.parse_period("week", "2026-W46") == WEEK == d.parse_period("week", "2026-11-12")
    assert d.parse_period("month", "2026-11") == MONTH == d.parse_period("month", "2026-11-20")
    assert d.latest_complete("week", dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)) == WEEK
    assert d.latest_complete("week", dt.datetime(2026, 11, 16, 0, tzinfo=dt.UTC)) == WEEK
    assert d.latest_complete("month", dt.date(2026, 11, 20)) == dt.date(2026, 10, 1)
    assert d.latest_complete("month", dt.date(2026, 1, 5)) == dt.date(2025, 12, 1)
    assert d.next_period("month", dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert d.ratio(1, 0) is None and d.ratio(1, 4) == 0.25


def test_empty_inputs_give_empty_tables():
    _, t = run([])
    assert t.tickets == 0 and t.periods == [] and all(v == [] for v in t.records().values())


def test_cli_parser_accepts_the_documented_options():
    from support_ops.kpis.cli import add_cli

    parser = argparse.ArgumentParser(prog="support_ops")
    add_cli(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["kpis", "--period", "month", "--from", "2026-06", "--to", "2026-10",
                              "--segment", "form", "--format", "json"])
    assert (args.period, args.start, args.end, args.segment, args.format) == ("month", "2026-06", "2026-10",
                                                                              "form", "json")
    with pytest.raises(SystemExit):
        parser.parse_args(["kpis", "--segment", "region"])
