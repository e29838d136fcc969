"""From warehouse rows to the three CSAT contract tables (docs/kpi-definitions.md, docs/data-contract.md).

`classify(inputs)` decides, per solved ticket, everything the definitions ask (surveyed,
responded, unsurveyed reason, bad-rating reason and route, segments, periods); `compute(inputs)`
aggregates that into `csat_kpis`, `csat_unsurveyed` and `csat_bad_reasons`. Both are pure
(pandas, no database) so the definitions are unit-tested on hand-made rows. `load_inputs`
reads the warehouse and `refresh` replaces the periods whose data changed (`incremental`
decides which; all of them on request) in one transaction: rerunning it gives the same tables,
and late changes (bad -> good, a re-solved ticket) move the periods they touch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
)

from ..config import settings
from ..warehouse.registry import tables as schema
from . import definitions as d
from . import incremental

if TYPE_CHECKING:  # pandas is imported inside functions (DAG files must parse without it)
    import numpy as np
    import pandas as pd

log = logging.getLogger(__name__)

TICKET_COLUMNS = ("id", "solved_at", "is_deleted", "recipient", "tags", "satisfaction_score",
                  "satisfaction_reason", "requester_id", "organization_id", "ticket_form_id")
RATING_COLUMNS = ("id", "ticket_id", "score", "reason", "updated_at")
USER_COLUMNS = ("id", "organization_id")
ORG_COLUMNS = ("id", "name", "support_level")
FORM_COLUMNS = ("id", "name")
COUNTS = ("solved", "surveyed", "responded", "good", "bad")
_ID_COLUMNS = {"id", "requester_id", "organization_id", "ticket_form_id", "ticket_id"}


@dataclass
class Inputs:
    """Warehouse rows the computation needs, one DataFrame per source table.

    tickets: TICKET_COLUMNS (tags as a JSON text or a list; solved_at as datetime or ISO text;
    satisfaction_reason: the reason embedded in the ticket, used only without a rating row),
    ratings: RATING_COLUMNS, users: USER_COLUMNS, organizations: ORG_COLUMNS, forms: FORM_COLUMNS.
    """

    tickets: pd.DataFrame
    ratings: pd.DataFrame
    users: pd.DataFrame
    organizations: pd.DataFrame
    forms: pd.DataFrame


@dataclass
class KpiTables:
    """The three contract tables as DataFrames, plus the periods they cover."""

    kpis: pd.DataFrame
    unsurveyed: pd.DataFrame
    bad_reasons: pd.DataFrame
    periods: list[tuple[str, dt.date]] = field(default_factory=list)
    tickets: int = 0

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Rows ready for the database: plain Python ints/floats/dates, None for NULL."""
        return {
            schema.csat_kpis.name: _records(self.kpis),
            schema.csat_unsurveyed.name: _records(self.unsurveyed),
            schema.csat_bad_reasons.name: _records(self.bad_reasons),
        }


def _frame(rows: Iterable[Mapping[str, Any]] | None, columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(list(rows or []))
    for col in columns:
        if col not in df.columns:
            df[col] = None
    df = df[list(columns)].copy()
    for col in columns:
        if col in _ID_COLUMNS:
            df[col] = pd.array(df[col].astype("object").where(df[col].notna(), None), dtype="Int64")
    return df


def inputs_from_records(
    tickets: Iterable[Mapping[str, Any]] = (),
    ratings: Iterable[Mapping[str, Any]] = (),
    users: Iterable[Mapping[str, Any]] = (),
    organizations: Iterable[Mapping[str, Any]] = (),
    forms: Iterable[Mapping[str, Any]] = (),
) -> Inputs:
    """Inputs from plain dicts (missing columns are NULL): what tests and tools hand over."""
    tk = _frame(tickets, TICKET_COLUMNS)
    tk["is_deleted"] = tk["is_deleted"].fillna(False).astype(bool)
    return Inputs(tk, _frame(ratings, RATING_COLUMNS), _frame(users, USER_COLUMNS),
                  _frame(organizations, ORG_COLUMNS), _frame(forms, FORM_COLUMNS))


def _utc(values: pd.Series) -> pd.Series:
    """Timestamps (datetime objects or ISO text, any offset) as naive UTC."""
    import pandas as pd

    if len(values) == 0:
        return pd.Series(pd.to_datetime([]), index=values.index)
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        parsed = pd.to_datetime(values.astype("object"), utc=True, format="ISO8601")
    else:
        parsed = pd.to_datetime(values, utc=True)
    return parsed.dt.tz_convert(None)


def _tags_text(tags: pd.Series) -> pd.Series:
    """Tags as JSON text, whichever form they came in (list from Python, text from SQL)."""
    import pandas as pd

    if pd.api.types.is_string_dtype(tags) and not tags.isna().any():
        return tags
    return tags.map(lambda v: v if isinstance(v, str) else json.dumps(list(v) if v is not None else []))


def _tag_flags(tags: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(has a survey-sent tag, has the merged tag) per ticket, exact tag names.

    Tag lists repeat a lot, so each distinct list is parsed once."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(_tags_text(tags).astype("object"), use_na_sentinel=True)
    survey = np.zeros(len(uniques) + 1, dtype=bool)
    merged = np.zeros(len(uniques) + 1, dtype=bool)
    wanted = set(d.SURVEY_TAGS)
    for i, text in enumerate(uniques):
        try:
            items = json.loads(text)
        except (TypeError, ValueError):
            items = []
        names = {str(x) for x in items} if isinstance(items, list) else set()
        survey[i] = bool(names & wanted)
        merged[i] = d.MERGED_TAG in names
    return survey[codes], merged[codes]


def _map_unique(values: pd.Series, func, missing: Any) -> np.ndarray:
    """`func` applied once per distinct value (fast at a million rows); `missing` for NULLs."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [func(u) for u in uniques]
    table[-1] = missing  # code -1 (NULL) picks the last entry
    return table[codes]


def _segment_name(value: Any, lower: bool = False) -> str:
    text = str(value).strip()
    if not text:
        return d.UNKNOWN_SEGMENT
    return (text.lower() if lower else text)[:128]


def classify(inputs: Inputs, mail_list_address: str | None = None) -> pd.DataFrame:
    """One row per ticket of the cohort with every per-ticket decision of docs/kpi-definitions.md.

    Columns: id, solved_at (naive UTC), week, month (period starts), score (the latest),
    surveyed, responded, good, bad (bools), unsurveyed_reason (None when surveyed),
    bad_reason, route (None unless bad), support_level, form.
    """
    import numpy as np
    import pandas as pd

    mail_list = (mail_list_address if mail_list_address is not None
                 else settings().mail_list_address).strip().casefold()
    t = inputs.tickets
    t = t[t["solved_at"].notna() & ~t["is_deleted"].fillna(False).astype(bool)].copy()
    t["solved_at"] = _utc(t["solved_at"])

    # The latest rating per ticket (ratings change later: bad -> good); ties by id.
    r = inputs.ratings[inputs.ratings["ticket_id"].notna()].copy()
    r["_updated"] = _utc(r["updated_at"])
    r = (r.sort_values(["ticket_id", "_updated", "id"], na_position="first", kind="stable")
          .drop_duplicates("ticket_id", keep="last"))
    r = r.rename(columns={"ticket_id": "id", "score": "r_score", "reason": "r_reason", "id": "rating_id"})
    t = t.merge(r[["id", "rating_id", "r_score", "r_reason"]], on="id", how="left")
    has_rating = t["rating_id"].notna()
    score = t["r_score"].astype("object").where(has_rating, t["satisfaction_score"].astype("object"))
    reason = t["r_reason"].astype("object").where(has_rating, t["satisfaction_reason"].astype("object"))
    score = pd.Series(_map_unique(score, lambda v: str(v).strip().lower(), None), index=t.index, dtype=object)

    survey_tag, merged = _tag_flags(t["tags"])
    responded = score.isin(list(d.RESPONDED_SCORES)).to_numpy()
    surveyed = survey_tag | score.isin(list(d.SURVEYED_SCORES)).to_numpy()
    good = (score == "good").to_numpy()
    bad = (score == "bad").to_numpy()

    # The requester's organization: the user's, falling back to the ticket's.
    users = inputs.users.dropna(subset=["id"]).drop_duplicates("id", keep="last")
    users = users.rename(columns={"id": "requester_id", "organization_id": "user_org_id"})
    t = t.merge(users[["requester_id", "user_org_id"]], on="requester_id", how="left")
    t["org_id"] = t["user_org_id"].astype("Int64").fillna(t["organization_id"].astype("Int64"))
    orgs = inputs.organizations.dropna(subset=["id"]).drop_duplicates("id", keep="last")
    orgs = orgs.rename(columns={"id": "org_id", "name": "org_name"})
    t = t.merge(orgs[["org_id", "org_name", "support_level"]], on="org_id", how="left")
    forms = inputs.forms.dropna(subset=["id"]).drop_duplicates("id", keep="last")
    forms = forms.rename(columns={"id": "ticket_form_id", "name": "form_name"})
    t = t.merge(forms[["ticket_form_id", "form_name"]], on="ticket_form_id", how="left")

    to_mail_list = _map_unique(t["recipient"], lambda v: bool(mail_list) and str(v).strip().casefold() == mail_list,
                               False).astype(bool)
    staff = (t["org_name"].astype("object") == d.STAFF_ORG_NAME).fillna(False).to_numpy(dtype=bool)
    unsurveyed_reason = np.select(
        [surveyed, merged, to_mail_list, staff],
        [None, "merged", "mail_list", "gitlab_team"], default="other",
    )
    bad_reason = np.where(bad, _map_unique(reason, d.canonical_reason, d.NO_REASON), None)
    route = np.where(bad, _map_unique(pd.Series(bad_reason), d.route_for, None), None)

    day = t["solved_at"].dt.normalize()

    def obj(values) -> pd.Series:  # keep None as None (pandas 3 would infer str with NaN)
        return pd.Series(np.asarray(values, dtype=object), dtype=object)

    out = pd.DataFrame({
        "id": t["id"].to_numpy(),
        "solved_at": t["solved_at"].to_numpy(),
        "week": (day - pd.to_timedelta(day.dt.weekday, unit="D")).to_numpy(),
        "month": (day - pd.to_timedelta(day.dt.day - 1, unit="D")).to_numpy(),
        "score": obj(score.to_numpy(dtype=object)),
        "surveyed": surveyed,
        "responded": responded,
        "good": good,
        "bad": bad,
        "unsurveyed_reason": obj(unsurveyed_reason),
        "bad_reason": obj(bad_reason),
        "route": obj(route),
        "support_level": obj(_map_unique(t["support_level"], lambda v: _segment_name(v, True), d.UNKNOWN_SEGMENT)),
        "form": obj(_map_unique(t["form_name"], _segment_name, d.UNKNOWN_SEGMENT)),
    })
    return out.sort_values("id", kind="stable").reset_index(drop=True)


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    import numpy as np

    def div(a: str, b: str):
        den = df[b].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, df[a].to_numpy(dtype=float) / np.where(den > 0, den, 1), np.nan)

    df["csat"] = div("good", "responded")  # good / (good + bad): responded is exactly good + bad
    df["response_rate"] = div("responded", "surveyed")
    df["coverage"] = div("surveyed", "solved")
    return df


def compute(inputs: Inputs, mail_list_address: str | None = None) -> KpiTables:
    """The three contract tables for every period with solved tickets (pure)."""
    return aggregate(classify(inputs, mail_list_address))


def aggregate(c: pd.DataFrame) -> KpiTables:
    """Aggregate `classify` output into the contract tables."""
    import pandas as pd

    flags = pd.DataFrame({
        "solved": 1,
        "surveyed": c["surveyed"].astype(int),
        "responded": c["responded"].astype(int),
        "good": c["good"].astype(int),
        "bad": c["bad"].astype(int),
    }, index=c.index)
    kpi_parts, uns_parts, bad_parts, periods = [], [], [], []
    for ptype in d.PERIOD_TYPES:
        pstart = c[ptype]
        for stype in d.SEGMENT_TYPES:
            value = pd.Series("all", index=c.index) if stype == "all" else c[stype]
            g = flags.groupby([pstart.rename("period_start"), value.rename("segment_value")], sort=True).sum()
            g = g.reset_index()
            g.insert(0, "period_type", ptype)
            g.insert(2, "segment_type", stype)
            kpi_parts.append(g)
        starts = sorted(pstart.unique())
        periods += [(ptype, pd.Timestamp(s).date()) for s in starts]
        un = c[~c["surveyed"]]
        counts = un.groupby([un[ptype].rename("period_start"), un["unsurveyed_reason"].rename("reason")]).size()
        full = pd.MultiIndex.from_product([starts, list(d.UNSURVEYED_REASONS)], names=["period_start", "reason"])
        counts = counts.reindex(full, fill_value=0).rename("tickets").reset_index()
        counts.insert(0, "period_type", ptype)
        uns_parts.append(counts)
        bd = c[c["bad"]]
        bcounts = bd.groupby([bd[ptype].rename("period_start"), bd["bad_reason"].rename("reason"),
                              bd["route"].rename("route")]).size().rename("ratings").reset_index()
        bcounts.insert(0, "period_type", ptype)
        bad_parts.append(bcounts)

    kpis = _rates(pd.concat(kpi_parts, ignore_index=True)) if kpi_parts else None
    kpi_cols = ["period_type", "period_start", "segment_type", "segment_value", *COUNTS,
                "csat", "response_rate", "coverage"]
    kpis = kpis[kpi_cols] if kpis is not None and len(kpis) else pd.DataFrame(columns=kpi_cols)
    uns = pd.concat(uns_parts, ignore_index=True)[["period_type", "period_start", "reason", "tickets"]]
    bad = pd.concat(bad_parts, ignore_index=True)[["period_type", "period_start", "reason", "route", "ratings"]]
    for df in (kpis, uns, bad):
        if len(df):
            df["period_start"] = pd.to_datetime(df["period_start"]).dt.date
    return KpiTables(kpis.reset_index(drop=True), uns.reset_index(drop=True), bad.reset_index(drop=True),
                     periods, int(len(c)))


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    import math

    rows = []
    for rec in df.to_dict("records"):
        row = {}
        for k, v in rec.items():
            if hasattr(v, "item"):  # numpy scalar
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = None
            row[k] = v
        rows.append(row)
    return rows


# -- the warehouse side -----------------------------------------------------------------------

@contextmanager
def _connection(bind: Engine | Connection) -> Iterator[Connection]:
    """The caller's connection (its transaction), or a new one from the engine."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def load_inputs(bind: Engine | Connection, periods: Iterable[tuple[str, dt.date]] | None = None) -> Inputs:
    """Read what `compute` needs. Only solved, non-deleted tickets; timestamps and tags come
    as text and are parsed vectorised (fast at a million tickets on both dialects).

    With `periods`, only the tickets solved inside them (whole periods: a week or month is
    always recomputed from all of its tickets), their ratings and their requesters."""
    import pandas as pd

    tk, rt = schema.zd_tickets, schema.zd_satisfaction_ratings
    cohort = incremental.cohort_filter()
    if periods is not None:
        cohort = and_(cohort, incremental.in_ranges(tk.c.solved_at, incremental.ranges(periods)))
    with _connection(bind) as conn:
        dialect = conn.dialect

        def frame(stmt, columns) -> pd.DataFrame:
            # The driver's own cursor: building a DataFrame from SQLAlchemy Row objects costs
            # several times the query itself at this size. The statements carry no user input.
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            cur = conn.connection.dbapi_connection.cursor()
            try:
                cur.execute(sql)
                parts = []
                while chunk := cur.fetchmany(200_000):
                    parts.append(pd.DataFrame.from_records(chunk, columns=list(columns)))
            finally:
                cur.close()
            if not parts:
                return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
            return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

        tickets = frame(
            select(tk.c.id, cast(tk.c.solved_at, String), tk.c.recipient, cast(tk.c.tags, Text),
                   tk.c.satisfaction_score, tk.c.requester_id, tk.c.organization_id, tk.c.ticket_form_id)
            .where(cohort),
            ("id", "solved_at", "recipient", "tags", "satisfaction_score", "requester_id",
             "organization_id", "ticket_form_id"))
        rating_q = select(rt.c.id, rt.c.ticket_id, rt.c.score, rt.c.reason, cast(rt.c.updated_at, String))
        user_q = select(schema.zd_users.c.id, schema.zd_users.c.organization_id)
        if periods is not None:
            rating_q = rating_q.where(rt.c.ticket_id.in_(select(tk.c.id).where(cohort)))
            user_q = user_q.where(schema.zd_users.c.id.in_(select(tk.c.requester_id).where(cohort)))
        ratings = frame(rating_q.where(rt.c.ticket_id.is_not(None)), RATING_COLUMNS)
        users = frame(user_q, USER_COLUMNS)
        orgs = frame(select(schema.zd_organizations.c.id, schema.zd_organizations.c.name,
                            schema.zd_organizations.c.support_level), ORG_COLUMNS)
        forms = frame(select(schema.zd_ticket_forms.c.id, schema.zd_ticket_forms.c.name), FORM_COLUMNS)
        # The embedded rating's reason, only where a ticket says 'bad' and no rating row exists.
        tickets["satisfaction_reason"] = None
        need = tickets.loc[(tickets["satisfaction_score"] == "bad")
                           & ~tickets["id"].isin(ratings["ticket_id"]), "id"].tolist()
        reasons: dict[int, Any] = {}
        for i in range(0, len(need), 500):
            for tid, raw in conn.execute(select(tk.c.id, tk.c.raw).where(tk.c.id.in_(need[i:i + 500]))):
                sr = (raw or {}).get("satisfaction_rating") if isinstance(raw, dict) else None
                reasons[tid] = sr.get("reason") if isinstance(sr, dict) else None
        if reasons:
            tickets["satisfaction_reason"] = tickets["id"].map(reasons)
    tickets["is_deleted"] = False
    for df in (tickets, ratings, users, orgs, forms):
        for col in df.columns:
            if col in _ID_COLUMNS:
                df[col] = df[col].astype("Int64")
    return Inputs(tickets[list(TICKET_COLUMNS)], ratings, users, orgs, forms)


def data_as_of(bind: Engine | Connection, now: dt.datetime | None = None) -> dt.datetime:
    """The newest ticket or rating change in the warehouse, capped at `now` (UTC).

    "Latest complete week" is judged against this, so a sandbox frozen in the past, or an
    extraction that stopped, does not make an empty week look complete.
    """
    now = now or dt.datetime.now(dt.UTC)
    with _connection(bind) as conn:
        newest = [conn.execute(select(func.max(t.c.updated_at))).scalar()
                  for t in (schema.zd_tickets, schema.zd_satisfaction_ratings)]
    newest = [(v if v.tzinfo else v.replace(tzinfo=dt.UTC)) for v in newest if v is not None]
    newest = [v.astimezone(dt.UTC) for v in newest]
    return min(now, max(newest)) if newest else now


_TARGETS = (schema.csat_kpis, schema.csat_unsurveyed, schema.csat_bad_reasons)


def replace_periods(conn, tables: KpiTables, periods: Iterable[tuple[str, dt.date]] | None = None) -> dict[str, int]:
    """Delete the periods being recomputed and insert the new rows (caller's transaction).

    `periods=None` means every period: the whole history was recomputed, so rows of periods
    that no longer have any solved ticket disappear too. With `periods`, only their rows are
    written (the tickets read for a month also fill parts of weeks that are not recomputed).
    Returns the rows written per table.
    """
    targets = _TARGETS
    written = {}
    if periods is None:
        for table in targets:
            conn.execute(delete(table))
    else:
        keys = sorted(set(periods))
        for table in targets:
            for i in range(0, len(keys), 200):
                conn.execute(delete(table).where(
                    tuple_(table.c.period_type, table.c.period_start).in_(keys[i:i + 200])))
    recs = tables.records()
    wanted = None if periods is None else set(periods)
    for table in targets:
        rows = recs[table.name]
        if wanted is not None:
            rows = [r for r in rows if (r["period_type"], r["period_start"]) in wanted]
        if rows:
            conn.execute(insert(table), rows)
        written[table.name] = len(rows)
    return written


@contextmanager
def one_transaction(engine: Engine) -> Iterator[Connection]:
    """The computation's single transaction, reading one consistent state of the warehouse.

    PostgreSQL: REPEATABLE READ, so rows an extraction commits meanwhile are not half seen (a
    concurrent second computation fails on its write and is retried). SQLite: BEGIN IMMEDIATE
    (WAL readers go on; writers wait, up to the busy timeout, for this one)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn


def refresh(engine: Engine, *, now: dt.datetime | None = None, mail_list_address: str | None = None,
            full: bool = False) -> dict:
    """Recompute the periods whose data changed (every period when `full`, or when the last
    computation left no state) and replace their rows, all in one transaction.

    The tables come out the same as a full recompute's (tests/integration/test_kpis_incremental.py).
    Returns a small summary (references, not data) for XCom and logs.
    """
    started = time.monotonic()
    computed_at = now or dt.datetime.now(dt.UTC)
    run_id = f"{computed_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    with one_transaction(engine) as conn:
        plan = incremental.plan(conn, full=full)
        periods = None if plan.full else sorted(plan.periods)
        written = dict.fromkeys([t.name for t in _TARGETS], 0)
        read = 0
        if periods != []:  # nothing changed: nothing to read or replace
            tables = compute(load_inputs(conn, periods), mail_list_address)
            written = replace_periods(conn, tables, periods)
            read = tables.tickets
        incremental.finish(conn, plan, computed_at)
        replaced = tables.periods if periods is None else periods
        cohort = plan.cohort if plan.cohort is not None else (
            read if periods is None else incremental.cohort_size(conn))
        as_of = data_as_of(conn, computed_at)
        starts = [p for _, p in replaced]
        seconds = round(time.monotonic() - started, 3)
        conn.execute(insert(schema.csat_kpi_runs), [{
            "run_id": run_id, "computed_at": computed_at, "data_as_of": as_of,
            "first_period": min(starts) if starts else None, "last_period": max(starts) if starts else None,
            "periods": len(replaced), "tickets": cohort, "seconds": seconds,
        }])
    summary = {
        "run_id": run_id,
        "mode": "full" if plan.full else "incremental",
        "reason": plan.reason,
        "changed": {"tickets": plan.changed_tickets, "ratings": plan.changed_ratings, **plan.changed_dimensions},
        "tickets": cohort,
        "tickets_read": read,
        "periods": len(replaced),
        "rows": written,
        "data_as_of": as_of.isoformat(),
        "latest_week": d.latest_complete("week", as_of).isoformat(),
        "latest_month": d.latest_complete("month", as_of).isoformat(),
        "seconds": seconds,
    }
    log.info("csat kpis: %s", summary)
    return summary


__all__ = ["Inputs", "KpiTables", "aggregate", "classify", "compute", "data_as_of", "inputs_from_records",
           "load_inputs", "one_transaction", "refresh", "replace_periods"]
