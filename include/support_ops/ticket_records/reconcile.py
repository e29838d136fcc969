"""Recent tickets against their Salesforce records (docs/ticket-records.md).

In the window: tickets (not deleted) created or solved in the last N days. Zendesk's target sends
a record when a ticket is created and when it is solved, so:
- `missing_record`: no record carries the ticket's number;
- `stale_status`: the ticket is solved or closed and its record does not say so (the solve was
  never sent);
- `wrong_account`: the record is linked to another account than the one the ticket's
  organization names (`salesforce_id`, compared on the first 15 characters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, select

from ..clients.salesforce_ids import to18
from ..extract.tables import zd_organizations, zd_tickets
from . import names

MISSING, STALE, WRONG_ACCOUNT = "missing_record", "stale_status", "wrong_account"
CHECKS = (MISSING, STALE, WRONG_ACCOUNT)
SOLVED = ("solved", "closed")
CHUNK = 200


@dataclass
class Ticket:
    id: int
    status: str
    organization_id: int | None
    account_id: str | None
    subject: str | None
    created_at: dt.datetime | None
    solved_at: dt.datetime | None


@dataclass
class Finding:
    check: str
    ticket: Ticket
    details: dict[str, Any] = field(default_factory=dict)


def window_tickets(engine: Engine, since: dt.datetime) -> list[Ticket]:
    t, o = zd_tickets.c, zd_organizations.c
    with engine.connect() as conn:
        accounts = {int(r.id): r.salesforce_id for r in conn.execute(select(o.id, o.salesforce_id))}
        rows = conn.execute(select(t.id, t.status, t.organization_id, t.created_at, t.solved_at, t.raw).where(
            t.is_deleted.is_(False), or_(t.created_at >= since, t.solved_at >= since)).order_by(t.id)).all()
    out = []
    for r in rows:
        sfid = accounts.get(int(r.organization_id)) if r.organization_id else None
        try:
            account = to18(sfid) if sfid else None
        except ValueError:
            account = None
        out.append(Ticket(int(r.id), r.status, r.organization_id, account,
                          (r.raw or {}).get("subject") if isinstance(r.raw, dict) else None, r.created_at, r.solved_at))
    return out


def read_records(sf: Any, ticket_ids: list[int]) -> dict[str, dict[str, Any]]:
    """{ticket number: record} for the tickets, by SOQL on the external id, 200 a query."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ticket_ids), CHUNK):
        ids = ", ".join(f"'{int(x)}'" for x in ticket_ids[i:i + CHUNK])
        soql = (f"SELECT Id, {names.TICKET_ID}, {names.STATUS}, {names.ACCOUNT} FROM {names.ticket_object()} "
                f"WHERE {names.TICKET_ID} IN ({ids})")
        for rec in sf.query_all(soql)["records"]:
            out[str(rec.get(names.TICKET_ID))] = rec
    return out


def compare(tickets: list[Ticket], records: dict[str, dict[str, Any]]) -> list[Finding]:
    found = []
    for t in tickets:
        rec = records.get(str(t.id))
        if rec is None:
            found.append(Finding(MISSING, t, {"status": t.status, "account": t.account_id}))
            continue
        status = str(rec.get(names.STATUS) or "").strip().lower()
        if t.status in SOLVED and status not in SOLVED:
            found.append(Finding(STALE, t, {"status": t.status, "record_status": rec.get(names.STATUS),
                                            "record": rec.get("Id")}))
        linked = rec.get(names.ACCOUNT)
        if t.account_id and linked and str(linked)[:15] != t.account_id[:15]:
            found.append(Finding(WRONG_ACCOUNT, t, {"account": t.account_id, "record_account": linked,
                                                    "record": rec.get("Id")}))
    return found
