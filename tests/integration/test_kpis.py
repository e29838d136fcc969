"""CSAT KPIs on the warehouse (SQLite and PostgreSQL): hand-made rows, then the sandbox end to end.

The sandbox numbers are checked against an independent count over the sandbox's own documents
(tickets, metric sets, ratings, users, organizations), not against the code under test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from sqlalchemy import delete, select, update

from sandbox.core import collections as C
from support_ops.extract.tables import (
    zd_organizations,
    zd_satisfaction_ratings,
    zd_ticket_forms,
    zd_tickets,
    zd_users,
)
from support_ops.kpis import definitions as d
from support_ops.kpis.alert import csat_alert
from support_ops.kpis.cli import add_cli, summary_lines
from support_ops.kpis.compute import refresh
from support_ops.kpis.queries import last_run, read_kpis
from support_ops.kpis.tables import csat_bad_reasons, csat_kpis, csat_unsurveyed
from support_ops.warehouse import upsert
from tests.conftest import use_sandbox

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
W45, W46 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)


def ts(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def _t(tid, solved, tags=(), score=None, deleted=False, requester=1, recipient=None) -> dict:
    return {"id": tid, "status": "deleted" if deleted else "closed", "is_deleted": deleted, "recipient": recipient,
            "requester_id": requester, "organization_id": None, "ticket_form_id": 500, "tags": list(tags),
            "created_at": solved, "updated_at": solved, "solved_at": solved, "satisfaction_score": score,
            "raw": {"id": tid}, "extracted_at": NOW}


def _r(rid, tid, score, updated, reason=None) -> dict:
    return {"id": rid, "ticket_id": tid, "score": score, "reason": reason, "created_at": updated,
            "updated_at": updated, "raw": {"id": rid}, "extracted_at": NOW}


def seed_rows(engine) -> None:
    with engine.begin() as conn:
        upsert(conn, zd_organizations, [
            {"id": 1, "name": "Acme", "domain_names": [], "tags": [], "support_level": "premium", "raw": {},
             "extracted_at": NOW},
            {"id": 2, "name": "GitLab", "domain_names": [], "tags": [], "support_level": None, "raw": {},
             "extracted_at": NOW}])
        upsert(conn, zd_users, [{"id": 1, "organization_id": 1, "raw": {}, "extracted_at": NOW},
                                       {"id": 2, "organization_id": 2, "raw": {}, "extracted_at": NOW}])
        upsert(conn, zd_ticket_forms, [{"id": 500, "name": "SaaS", "raw": {}, "extracted_at": NOW}])
        upsert(conn, zd_tickets, [
            _t(1, ts("2026-11-03"), ["csat_survey_sent"]),
            _t(2, ts("2026-11-04"), ["csat_survey_sent"]),
            _t(3, ts("2026-11-05"), ["close_by_merge"]),
            _t(4, ts("2026-11-10"), ["csat_survey_sent"]),
            _t(5, ts("2026-11-11"), [], requester=2),
            _t(6, ts("2026-11-12"), [], recipient="mail-list@gitlab.com"),
            _t(7, ts("2026-11-12"), ["csat_survey_sent"], deleted=True),
        ])
        upsert(conn, zd_satisfaction_ratings, [
            _r(11, 1, "good", ts("2026-11-04")),
            _r(12, 2, "bad", ts("2026-11-05"), "The answer wasn't helpful"),
            _r(14, 4, "bad", ts("2026-11-11"), "GitLab doesn't meet my needs"),
            _r(17, 7, "bad", ts("2026-11-19"), "My issue was not resolved"),  # newest change: data as of 19 Nov
        ])


def tables(engine) -> dict[str, list[tuple]]:
    out = {}
    for t in (csat_kpis, csat_unsurveyed, csat_bad_reasons):
        with engine.connect() as conn:
            out[t.name] = [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
    return out


def week(engine, start) -> dict:
    return read_kpis(engine, "week", start, start)[0]


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="support_ops")
    add_cli(parser.add_subparsers(dest="cmd", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_refresh_replaces_periods_idempotently_and_follows_late_changes(warehouse, capsys):
    seed_rows(warehouse)
    summary = refresh(warehouse, now=NOW)
    assert summary["tickets"] == 6 and summary["latest_week"] == W46.isoformat()
    w45, w46 = week(warehouse, W45), week(warehouse, W46)
    assert (w45["solved"], w45["surveyed"], w45["good"], w45["bad"], w45["csat"]) == (3, 2, 1, 1, 0.5)
    assert (w46["solved"], w46["surveyed"], w46["responded"], w46["csat"]) == (3, 1, 1, 0.0)
    assert w46["coverage"] == 1 / 3
    first = tables(warehouse)
    assert ("week", W46, "mail_list", 1) in first["csat_unsurveyed"]
    assert ("week", W46, "gitlab_team", 1) in first["csat_unsurveyed"]
    assert ("week", W46, "GitLab doesn't meet my needs", "product", 1) in first["csat_bad_reasons"]

    refresh(warehouse, now=NOW)
    assert tables(warehouse) == first  # rerun: same tables
    assert last_run(warehouse)["tickets"] == 6

    # Late changes: the bad rating of ticket 4 turns good; ticket 2 is reopened and solved again
    # a week later; ticket 3 is deleted.
    with warehouse.begin() as conn:
        upsert(conn, zd_satisfaction_ratings, [_r(14, 4, "good", ts("2026-11-14"))])
        conn.execute(update(zd_tickets).where(zd_tickets.c.id == 2).values(solved_at=ts("2026-11-13")))
        conn.execute(update(zd_tickets).where(zd_tickets.c.id == 3).values(is_deleted=True))
    refresh(warehouse, now=NOW)
    w45, w46 = week(warehouse, W45), week(warehouse, W46)
    assert (w45["solved"], w45["good"], w45["bad"], w45["csat"]) == (1, 1, 0, 1.0)
    assert (w46["solved"], w46["good"], w46["bad"], w46["csat"]) == (4, 1, 1, 0.5)
    after = tables(warehouse)
    assert not any(r[:2] == ("week", W45) and r[2] == "merged" and r[3] for r in after["csat_unsurveyed"])
    assert ("week", W46, "The answer wasn't helpful", "support_managers", 1) in after["csat_bad_reasons"]
    assert not any(r[3] == "product" for r in after["csat_bad_reasons"])

    # Rows removed by hand (the extraction never deletes): the counted tickets no longer match
    # the cohort, so the computation falls back to a full one; no tickets left, no rows left.
    with warehouse.begin() as conn:
        conn.execute(delete(zd_tickets))
    assert refresh(warehouse, now=NOW)["mode"] == "full"
    assert all(rows == [] for rows in tables(warehouse).values())


def test_cli_summary_and_dry_run_alert(warehouse, capsys):
    seed_rows(warehouse)
    assert run_cli(["kpis", "--refresh", "--period", "week", "--from", "2026-W45", "--to", "2026-11-15"]) == 0
    text = capsys.readouterr().out
    assert "2026-W45" in text and "2026-W46" in text and "50.0%" in text
    assert run_cli(["kpis", "--period", "month", "--segment", "support_level", "--format", "json",
                    "--from", "2026-11"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["period"], r["segment_value"], r["solved"]) for r in rows} == {("2026-11", "premium", 5),
                                                                              ("2026-11", "unknown", 1)}
    lines = summary_lines(warehouse)
    assert lines[0].startswith("CSAT Week 2026-W46") and "0.0%" in lines[0] and "BELOW" in lines[0]
    assert "coverage 33.3%" in lines[0] and lines[-1].startswith("KPI report")
    result = csat_alert(warehouse, link="/support-ops/reports/kpis/2026-11-20/index.html", dry_run=True)
    assert result["status"] == "dry_run" and result["week"] == "2026-W46"
    assert "0.0%" in result["text"] and "/support-ops/reports/kpis/2026-11-20/index.html" in result["text"]
    assert csat_alert(warehouse, link="x", week_start=W45, target=0.5)["status"] == "on_target"


# -- the sandbox, extracted ---------------------------------------------------------------------

def independent_counts(store, period_type: str, start: dt.date, mail_list: str) -> dict:
    """docs/kpi-definitions.md counted straight from the sandbox documents, without the product's code."""
    tickets = {t["id"]: t for t in store.all(C.ZD_TICKETS)}
    metrics = {m["ticket_id"]: m for m in store.all(C.ZD_TICKET_METRICS)}
    latest: dict[int, dict] = {}
    for r in store.all(C.ZD_SATISFACTION_RATINGS):
        cur = latest.get(r["ticket_id"])
        if cur is None or (r["updated_at"], r["id"]) > (cur["updated_at"], cur["id"]):
            latest[r["ticket_id"]] = r
    user_org = {u["id"]: u.get("organization_id") for u in store.all(C.ZD_USERS)}
    org_name = {o["id"]: o["name"] for o in store.all(C.ZD_ORGANIZATIONS)}
    c = {"solved": 0, "surveyed": 0, "responded": 0, "good": 0, "bad": 0,
         "merged": 0, "mail_list": 0, "gitlab_team": 0, "other": 0}
    for tid, t in tickets.items():
        solved = (metrics.get(tid) or {}).get("solved_at")
        if t["status"] == "deleted" or not solved:
            continue
        day = dt.datetime.fromisoformat(solved.replace("Z", "+00:00")).astimezone(dt.UTC).date()
        if d.period_start(period_type, day) != start:
            continue
        c["solved"] += 1
        score = latest[tid]["score"] if tid in latest else (t.get("satisfaction_rating") or {}).get("score")
        if score in ("offered", "good", "bad") or {"csat_survey_sent", "csat-survey-sent"} & set(t["tags"]):
            c["surveyed"] += 1
            if score in ("good", "bad"):
                c["responded"] += 1
                c[score] += 1
        elif "close_by_merge" in t["tags"]:
            c["merged"] += 1
        elif (t.get("recipient") or "").lower() == mail_list:
            c["mail_list"] += 1
        elif org_name.get(user_org.get(t["requester_id"]) or t.get("organization_id")) == "GitLab":
            c["gitlab_team"] += 1
        else:
            c["other"] += 1
    return c


def test_sandbox_extraction_to_kpi_tables_and_report(sandbox, warehouse, monkeypatch, tmp_path):
    from support_ops.clients.zendesk import SupportZendeskHook
    from support_ops.config import settings
    from support_ops.extract.zendesk import extract_all
    from support_ops.kpis.report import write_report

    use_sandbox(monkeypatch, sandbox)
    extract_all(warehouse, SupportZendeskHook(), start_time=0)
    summary = refresh(warehouse)
    store = sandbox.store
    manifest = store.get_meta(C.MANIFEST_KEY)
    assert summary["data_as_of"][:10] == manifest["now"][:10]  # judged against the data, not the clock
    mail = settings().mail_list_address.lower()
    latest_week = dt.date.fromisoformat(summary["latest_week"])
    checked_weeks = 0
    for start in (latest_week, d.previous_period("week", latest_week), dt.date(2026, 8, 3)):
        want = independent_counts(store, "week", start, mail)
        got = read_kpis(warehouse, "week", start, start)
        if want["solved"] == 0:
            assert got == []
            continue
        got = got[0]
        assert {k: got[k] for k in ("solved", "surveyed", "responded", "good", "bad")} == \
            {k: want[k] for k in ("solved", "surveyed", "responded", "good", "bad")}
        assert got["coverage"] == want["surveyed"] / want["solved"]
        with warehouse.connect() as conn:
            uns = dict(conn.execute(select(csat_unsurveyed.c.reason, csat_unsurveyed.c.tickets).where(
                csat_unsurveyed.c.period_type == "week", csat_unsurveyed.c.period_start == start)).all())
        assert uns == {k: want[k] for k in d.UNSURVEYED_REASONS}
        checked_weeks += 1
    assert checked_weeks >= 1
    # Every month against the generator's own tally.
    months = {f"{r['period_start']:%Y-%m}": r for r in read_kpis(warehouse, "month")}
    for month, tally in manifest["csat"]["by_month"].items():
        assert {k: months[month][k] for k in tally} == tally, month
    with warehouse.connect() as conn:
        bad = conn.execute(select(csat_bad_reasons.c.reason, csat_bad_reasons.c.ratings)
                           .where(csat_bad_reasons.c.period_type == "month")).all()
    totals: dict[str, int] = {}
    for reason, n in bad:
        totals[reason] = totals.get(reason, 0) + n
    assert totals == manifest["csat"]["bad_reasons"]

    path = write_report(warehouse, dt.date(2026, 11, 20), root=tmp_path)
    page = path.read_text()
    assert path == tmp_path / "kpis" / "2026-11-20" / "index.html"
    assert (tmp_path / "kpis" / "latest" / "index.html").read_text() == page
    assert d.period_title("week", latest_week) in page and "data:image/svg+xml;base64," in page
    assert page.count("<img class=\"chart\"") == 4 and "http://" not in page and "https://" not in page
    for text in ("Weekly CSAT", "Why tickets were not surveyed", "Negative feedback by reason and route",
                 "By support level", "By ticket form"):
        assert text in page
