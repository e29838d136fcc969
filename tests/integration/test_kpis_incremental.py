"""Incremental KPI recompute == full recompute, after random changes (SQLite and PostgreSQL).

Each example seeds a small warehouse, computes it fully, then applies rounds of random changes
the way the extraction writes them (every written row gets the `extracted_at` of its page):
new tickets, tickets solved again in another period or reopened, deleted tickets, tag
changes, new ratings, rating score changes (through the ratings stream, or through the ticket
export, which leaves the rating's own `extracted_at` alone), users moving organization,
organizations and forms renamed. After each round the incremental computation's tables must
equal those of a full recompute of the same warehouse, and it must have run incrementally.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from support_ops.extract.tables import (
    zd_organizations,
    zd_satisfaction_ratings,
    zd_ticket_forms,
    zd_tickets,
    zd_users,
)
from support_ops.kpis.compute import refresh
from support_ops.kpis.incremental import LOOKBACK
from support_ops.kpis.tables import (
    csat_bad_reasons,
    csat_kpi_dimensions,
    csat_kpi_marks,
    csat_kpi_runs,
    csat_kpi_tickets,
    csat_kpis,
    csat_unsurveyed,
)
from support_ops.warehouse import upsert

T0 = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
SEEDED = T0 - dt.timedelta(days=1)  # when the seed rows were extracted
DAY0 = dt.datetime(2026, 9, 21, 9, tzinfo=dt.UTC)  # ten weeks over three month boundaries
DAYS = 70
TAGS = [[], ["csat_survey_sent"], ["close_by_merge"], ["close_by_merge", "csat_survey_sent"]]
SCORES = ["good", "bad", "offered", "unoffered"]
REASONS = [None, "The answer wasn't helpful", "GitLab doesn't meet my needs", "Wrong colour"]
ORG_NAMES = ["Acme", "GitLab", "GitLab Inc."]
LEVELS = [None, "premium", "Ultimate "]
RESULT_TABLES = (csat_kpis, csat_unsurveyed, csat_bad_reasons)
WIPED = (zd_tickets, zd_satisfaction_ratings, zd_users, zd_organizations,
         zd_ticket_forms, *RESULT_TABLES, csat_kpi_runs, csat_kpi_tickets,
         csat_kpi_dimensions, csat_kpi_marks)


def day(n: int | None) -> dt.datetime | None:
    return None if n is None else DAY0 + dt.timedelta(days=n, hours=n % 13)


def ticket(tid: int, solved: int | None, tags: int, requester: int, form: int, score: int | None,
           at: dt.datetime, deleted: bool = False) -> dict:
    when = day(solved) or DAY0
    return {"id": tid, "status": "deleted" if deleted else ("closed" if solved is not None else "open"),
            "is_deleted": deleted, "recipient": "mail-list@gitlab.com" if tid % 7 == 0 else None,
            "requester_id": requester, "organization_id": 3 if tid % 5 == 0 else None,
            "ticket_form_id": 500 + form, "tags": TAGS[tags], "created_at": when, "updated_at": at,
            "solved_at": day(solved), "satisfaction_score": None if score is None else SCORES[score],
            "raw": {"id": tid, "satisfaction_rating": {"reason": REASONS[tid % 4]}}, "extracted_at": at}


def rating(tid: int, score: int, reason: int, at: dt.datetime, updated: dt.datetime) -> dict:
    return {"id": 10_000 + tid, "ticket_id": tid, "score": SCORES[score], "reason": REASONS[reason],
            "created_at": updated, "updated_at": updated, "raw": {"id": 10_000 + tid}, "extracted_at": at}


ticket_st = st.tuples(st.one_of(st.none(), st.integers(0, DAYS - 1)), st.integers(0, 3), st.integers(1, 4),
                      st.integers(0, 1), st.one_of(st.none(), st.integers(0, 3)))
change_st = st.one_of(
    st.tuples(st.just("new_ticket"), ticket_st),
    st.tuples(st.just("resolve"), st.integers(1, 40), st.one_of(st.none(), st.integers(0, DAYS - 1))),
    st.tuples(st.just("delete"), st.integers(1, 40)),
    st.tuples(st.just("tags"), st.integers(1, 40), st.integers(0, 3)),
    st.tuples(st.just("rating"), st.integers(1, 40), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("rating_via_ticket"), st.integers(1, 40), st.integers(0, 3)),
    st.tuples(st.just("user_org"), st.integers(1, 4), st.one_of(st.none(), st.integers(1, 3))),
    st.tuples(st.just("org"), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("form"), st.integers(0, 1), st.sampled_from(["SaaS", "Self-Managed", "L&R"])),
)


def seed(engine, tickets: list[tuple], ratings: dict[int, tuple[int, int]]) -> None:
    with engine.begin() as conn:
        for table in WIPED:
            conn.execute(delete(table))
        upsert(conn, zd_organizations, [
            {"id": i, "name": ORG_NAMES[i - 1], "domain_names": [], "tags": [], "support_level": LEVELS[i - 1],
             "raw": {}, "extracted_at": SEEDED} for i in (1, 2, 3)])
        upsert(conn, zd_users, [{"id": i, "organization_id": [1, 2, None, 3][i - 1], "raw": {},
                                        "extracted_at": SEEDED} for i in (1, 2, 3, 4)])
        upsert(conn, zd_ticket_forms, [{"id": 500, "name": "SaaS", "raw": {}, "extracted_at": SEEDED},
                                              {"id": 501, "name": "Self-Managed", "raw": {}, "extracted_at": SEEDED}])
        upsert(conn, zd_tickets, [ticket(i + 1, *t, at=SEEDED) for i, t in enumerate(tickets)])
        upsert(conn, zd_satisfaction_ratings, [rating(tid, score, reason, SEEDED, SEEDED)
                                                      for tid, (score, reason) in ratings.items() if tid <= len(tickets)])


def apply(conn, change: tuple, at: dt.datetime, next_id: int) -> int:
    """One change as the extraction would write it; returns the next free ticket id."""
    tk, rt = zd_tickets, zd_satisfaction_ratings
    kind, *args = change
    bump = {"extracted_at": at, "updated_at": at}
    if kind == "new_ticket":
        upsert(conn, tk, [ticket(next_id, *args[0], at=at)])
        return next_id + 1
    exists = args and conn.execute(select(tk.c.id).where(tk.c.id == args[0])).first() is not None
    if kind == "resolve" and exists:
        conn.execute(update(tk).where(tk.c.id == args[0]).values(solved_at=day(args[1]), **bump))
    elif kind == "delete" and exists:
        conn.execute(update(tk).where(tk.c.id == args[0]).values(is_deleted=True, status="deleted", **bump))
    elif kind == "tags" and exists:
        conn.execute(update(tk).where(tk.c.id == args[0]).values(tags=TAGS[args[1]], **bump))
    elif kind == "rating":  # the ratings stream: new or changed rating, its own extracted_at
        upsert(conn, rt, [rating(args[0], args[1], args[2], at, at)])
    elif kind == "rating_via_ticket" and exists:  # the ticket export brings the changed score
        conn.execute(update(tk).where(tk.c.id == args[0]).values(satisfaction_score=SCORES[args[1]], **bump))
        upsert(conn, rt, [rating(args[0], args[1], 0, at, at)], update=["score", "reason"])
    elif kind == "user_org":
        conn.execute(update(zd_users).where(zd_users.c.id == args[0])
                     .values(organization_id=args[1], extracted_at=at))
    elif kind == "org":
        conn.execute(update(zd_organizations).where(zd_organizations.c.id == args[0])
                     .values(name=ORG_NAMES[args[1]], support_level=LEVELS[args[2]], extracted_at=at))
    elif kind == "form":
        conn.execute(update(zd_ticket_forms).where(zd_ticket_forms.c.id == 500 + args[0])
                     .values(name=args[1], extracted_at=at))
    return next_id


def snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in RESULT_TABLES}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(tickets=st.lists(ticket_st, min_size=1, max_size=30),
       ratings=st.dictionaries(st.integers(1, 30), st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=20),
       rounds=st.lists(st.tuples(st.lists(change_st, max_size=8), st.booleans()), min_size=1, max_size=3))
def test_incremental_recompute_equals_full_recompute(warehouse, tickets, ratings, rounds):
    seed(warehouse, tickets, ratings)
    first = refresh(warehouse, now=T0)
    assert first["mode"] == "full"
    next_id, now = len(tickets) + 1, T0
    for changes, late in rounds:
        # `late`: the pages were read while the previous computation ran (older than its mark).
        written_at = now - LOOKBACK / 2 if late else now + dt.timedelta(minutes=30)
        now += dt.timedelta(hours=1)
        with warehouse.begin() as conn:
            for change in changes:
                next_id = apply(conn, change, written_at, next_id)
        summary = refresh(warehouse, now=now)
        assert summary["mode"] == "incremental", summary
        if not changes and not late:
            assert summary["periods"] == 0, summary
        got = snapshot(warehouse)
        full = refresh(warehouse, now=now, full=True)
        assert full["mode"] == "full" and full["tickets"] == summary["tickets"]
        assert got == snapshot(warehouse)


def test_only_the_changed_periods_are_recomputed(warehouse):
    """A rating change recomputes its ticket's week and month; a ticket solved again in another
    month leaves its old week and month too; nothing changed, nothing recomputed."""
    seed(warehouse, [(0, 1, 1, 0, None), (14, 1, 1, 0, None), (45, 1, 1, 0, None)], {1: (0, 0), 3: (1, 1)})
    assert refresh(warehouse, now=T0)["periods"] == 6  # 3 weeks, 3 months
    later = T0 + dt.timedelta(hours=1)
    assert refresh(warehouse, now=later)["periods"] == 0

    with warehouse.begin() as conn:
        apply(conn, ("rating", 3, 0, 0), later, 4)
    s = refresh(warehouse, now=later + dt.timedelta(hours=1))
    assert (s["mode"], s["periods"], s["changed"]["ratings"]) == ("incremental", 2, 1)
    with warehouse.connect() as conn:
        run = conn.execute(select(csat_kpi_runs).order_by(csat_kpi_runs.c.computed_at.desc())).first()
    assert (run.first_period, run.last_period) == (dt.date(2026, 11, 1), dt.date(2026, 11, 2))

    at = later + dt.timedelta(hours=2)
    with warehouse.begin() as conn:
        apply(conn, ("resolve", 1, 45), at, 4)  # 21 Sep -> 5 Nov: week and month of both
    s = refresh(warehouse, now=at + dt.timedelta(minutes=20))
    assert (s["mode"], s["periods"], s["changed"]["tickets"]) == ("incremental", 4, 1)
    weeks = {r[1]: r[4] for r in snapshot(warehouse)["csat_kpis"] if r[0] == "week" and r[2] == "all"}
    assert dt.date(2026, 9, 21) not in weeks and weeks[dt.date(2026, 11, 2)] == 2


def test_full_recompute_on_request_and_after_rows_removed_by_hand(warehouse):
    seed(warehouse, [(0, 1, 1, 0, None), (20, 1, 1, 0, 1)], {})
    refresh(warehouse, now=T0)
    assert refresh(warehouse, now=T0, full=True)["reason"] == "requested"
    with warehouse.begin() as conn:  # not the extraction's doing: no extracted_at moved
        conn.execute(delete(zd_tickets).where(zd_tickets.c.id == 2))
    s = refresh(warehouse, now=T0 + dt.timedelta(hours=1))
    assert s["mode"] == "full" and "cohort" in s["reason"] and s["tickets"] == 1
    assert {r[1] for r in snapshot(warehouse)["csat_kpis"]} == {dt.date(2026, 9, 1), dt.date(2026, 9, 21)}
