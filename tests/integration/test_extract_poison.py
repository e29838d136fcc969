"""Poison records: values the API can send that no check used to catch, each quarantined with
the rest of its page loaded, on SQLite and PostgreSQL.

The sandbox is populated directly through its Store (the generated organization plus the
poison records), so the real clients read them over HTTP exactly as the API would send them.
"""

from __future__ import annotations

import copy

from sqlalchemy import select

from sandbox.core import collections as C
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.extract.tables import (
    quarantine,
    zd_organizations,
    zd_satisfaction_ratings,
    zd_ticket_forms,
    zd_tickets,
)
from support_ops.extract.zendesk import extract_all
from tests.conftest import use_sandbox

BIG = 2**63  # one past the largest BIGINT
ORG_IDS = {"big_id": BIG, "inf_seats": 990_000_001, "nan_aar": 990_000_002, "huge_number": 990_000_003,
           "nul_name": 990_000_004}
RATING_ID = 990_000_101
TICKET_ID = 990_201


def _poisoned(store, cfg):
    from sandbox.generate import generate

    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    org = next(o for o in store.all(C.ZD_ORGANIZATIONS) if o["name"] != "GitLab")
    ts = int(store.conn.execute("SELECT MAX(ts) FROM docs WHERE collection=?", (C.ZD_ORGANIZATIONS,)).fetchone()[0])

    def variant(key: str, **change):
        doc = copy.deepcopy(org)
        doc["id"] = ORG_IDS[key]
        doc["name"] = f"Poison {key}"
        fields = change.pop("fields", {})
        doc.update(change)
        doc["organization_fields"].update(fields)
        return doc

    orgs = [
        variant("big_id"),
        variant("inf_seats", fields={"number_of_seats": "inf"}),
        variant("nan_aar", fields={"aar": "nan"}),
        variant("huge_number", fields={"aar": "__HUGE__"}),
        variant("nul_name", name="Acme\x00 Corp"),
    ]
    seq = store._next_seq(C.ZD_ORGANIZATIONS)
    store.put_many(C.ZD_ORGANIZATIONS, [(d["id"], d, ts, seq + i) for i, d in enumerate(orgs)])
    # Valid JSON that a double cannot hold: written as text, as the API would send it.
    with store.conn:
        store.conn.execute("UPDATE docs SET doc = replace(doc, '\"__HUGE__\"', '1e400') "
                           "WHERE collection=? AND key=?", (C.ZD_ORGANIZATIONS, str(ORG_IDS["huge_number"])))

    rating = dict(next(r for r in store.all(C.ZD_SATISFACTION_RATINGS) if r["score"] == "bad"))
    rating.update(id=RATING_ID, comment={"body": "not a string"})
    store.put(C.ZD_SATISFACTION_RATINGS, RATING_ID, rating, int(rating_ts(store)), store._next_seq(C.ZD_SATISFACTION_RATINGS))

    ticket = dict(next(iter(store.all(C.ZD_TICKETS))))
    ticket.update(id=TICKET_ID, requester_id=2**64)
    store.put(C.ZD_TICKETS, TICKET_ID, ticket, ticket["generated_timestamp"], TICKET_ID)


def rating_ts(store) -> int:
    return store.conn.execute("SELECT MAX(ts) FROM docs WHERE collection=?",
                              (C.ZD_SATISFACTION_RATINGS,)).fetchone()[0]


def _ids(engine, table) -> set:
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.id)).scalars())


def test_poison_values_are_quarantined_and_the_rest_of_their_page_loads(sandbox_factory, warehouse, monkeypatch):
    sb = sandbox_factory(populate=_poisoned)
    use_sandbox(monkeypatch, sb)
    results = extract_all(warehouse, SupportZendeskHook(), ["organizations", "satisfaction_ratings", "tickets"],
                          start_time=0, quarantine_max_ratio=1.0)
    on_pg = warehouse.dialect.name == "postgresql"
    with warehouse.connect() as conn:
        q = {(r.stream, r.record_key): r.reason for r in conn.execute(select(quarantine))}

    def reason(stream: str, key) -> str:
        return q.get((stream, str(key)), "")

    orgs = "zendesk.organizations"
    assert "id is out of range for a 64-bit integer" in reason(orgs, BIG)
    assert "number_of_seats is not a finite number: 'inf'" in reason(orgs, ORG_IDS["inf_seats"])
    assert "aar is not a finite number: 'nan'" in reason(orgs, ORG_IDS["nan_aar"])
    assert "aar is not a finite number: inf" in reason(orgs, ORG_IDS["huge_number"])  # 1e400 read, not retried
    loaded_orgs = _ids(warehouse, zd_organizations)
    if on_pg:  # PostgreSQL refuses NUL in text: found by halving the refused page
        assert "the warehouse refused it" in reason(orgs, ORG_IDS["nul_name"])
        assert "NUL" in reason(orgs, ORG_IDS["nul_name"])
        assert ORG_IDS["nul_name"] not in loaded_orgs
    else:  # SQLite stores it: nothing to quarantine
        assert ORG_IDS["nul_name"] in loaded_orgs
    good_orgs = {o["id"] for o in sb.store.all(C.ZD_ORGANIZATIONS)} - set(ORG_IDS.values())
    assert loaded_orgs == good_orgs | (set() if on_pg else {ORG_IDS["nul_name"]})
    assert results["organizations"]["quarantined"] == (5 if on_pg else 4)

    assert "comment is not a string" in reason("zendesk.satisfaction_ratings", RATING_ID)
    ratings = _ids(warehouse, zd_satisfaction_ratings)
    assert ratings == {r["id"] for r in sb.store.all(C.ZD_SATISFACTION_RATINGS)} - {RATING_ID}

    assert "requester_id is out of range" in reason("zendesk.tickets", TICKET_ID)
    tickets = _ids(warehouse, zd_tickets)
    assert tickets == {t["id"] for t in sb.store.all(C.ZD_TICKETS)} - {TICKET_ID}
    # The raw record is kept, readable, for whoever fixes the source.
    with warehouse.connect() as conn:
        raw = conn.execute(select(quarantine.c.raw).where(
            quarantine.c.record_key == str(RATING_ID))).scalar_one()
    assert '"not a string"' in raw


def test_a_page_the_database_refuses_is_halved_until_the_refused_rows_are_found(warehouse):
    """Whatever slips past the checks and is refused by the database (here an id beyond
    BIGINT, which SQLite and PostgreSQL both refuse) is quarantined; the rest of the page and
    its cursor commit together."""
    import datetime as dt

    from support_ops.extract.runner import run_pages
    from support_ops.extract.state import load_state

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    pages = [[{"id": i, "name": f"Form {i}"} for i in range(1, 41)] + [{"id": 2**64, "name": "too big"}],
             [{"id": 100 + i, "name": f"Form {100 + i}"} for i in range(5)] + [{"id": -(2**70), "name": "too small"}]]

    def fetch_page(state):
        n = (state or {}).get("page", 0)
        return pages[n], {}, {"page": n + 1}, n + 1 == len(pages)

    def unchecked_row(doc):  # no range checks: the database is the one to refuse
        return {"id": doc["id"], "name": doc["name"], "active": True, "created_at": now, "updated_at": now,
                "raw": doc}

    res = run_pages(warehouse, "test.forms", zd_ticket_forms, fetch_page, unchecked_row,
                    quarantine_max_ratio=1.0)
    assert (res.loaded, res.quarantined, res.pages) == (45, 2, 2)
    assert _ids(warehouse, zd_ticket_forms) == set(range(1, 41)) | set(range(100, 105))
    with warehouse.connect() as conn:
        q = {r.record_key: r.reason for r in conn.execute(select(quarantine))}
    assert set(q) == {str(2**64), str(-(2**70))}
    assert all(r.startswith("the warehouse refused it") for r in q.values())
    assert load_state(warehouse, "test.forms") == ({"page": 2}, 45)
