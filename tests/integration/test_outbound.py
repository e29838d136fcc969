"""The outbound layer on SQLite and PostgreSQL: plan then apply, intents before effects,
reconciliation after a crash, caps, dry runs, the audit.

The targets here keep their effects in a list so the tests can count them; the real targets
(Zendesk, GitLab, Salesforce, PagerDuty) are exercised against the sandbox in
test_outbound_targets.py. A crash is simulated by a BaseException raised inside the target after
the intent row is written (and, for "crash after effect", after the effect too): the layer catches
only Exception, as a killed worker would leave things.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from support_ops import outbound
from support_ops.outbound import (
    CapExceeded,
    Delivery,
    Outcome,
    StoredWrite,
    Target,
    Write,
    Writer,
    WritesFailed,
)
from support_ops.outbound import targets as registry
from support_ops.outbound.tables import outbound_plans, outbound_writes


class Crash(BaseException):
    """The worker dies: nothing after this point runs."""


class Ledger(Target):
    """A system that keeps what it was sent; optionally readable, optionally crashing."""

    def __init__(self, name: str, delivery: Delivery, batch_size: int = 1) -> None:
        self.name, self.delivery, self.batch_size = name, delivery, batch_size
        self.effects: list[str] = []
        self.crash_before_effect = self.crash_after_effect = False
        self.refuse: set[str] = set()
        self.reconciled: list[str] = []

    def send(self, writes: Sequence[StoredWrite]) -> list[Outcome]:
        if self.crash_before_effect:
            raise Crash()
        out = []
        for w in writes:
            if w.key in self.refuse:
                out.append(Outcome.failed("refused by the test"))
                continue
            self.effects.append(w.key)
            out.append(Outcome.applied(n=len(self.effects)))
        if self.crash_after_effect:
            raise Crash()
        return out

    def reconcile(self, writes: Sequence[StoredWrite]) -> list[Outcome | None]:
        if self.delivery is not Delivery.READ_BACK:
            raise AssertionError("the layer must not read back a target that cannot be read")
        self.reconciled += [w.key for w in writes]
        return [Outcome.applied(found=True) if w.key in self.effects else None for w in writes]


@pytest.fixture
def ledger():
    made: list[str] = []

    def make(delivery: Delivery = Delivery.READ_BACK, batch_size: int = 1) -> tuple[Ledger, Writer]:
        name = f"ledger_{delivery.name.lower()}"
        t = registry.register(Ledger(name, delivery, batch_size))
        made.append(name)
        return t, Writer(f"test_{name}", name, default_cap=10)

    yield make
    for name in made:
        registry.unregister(name)


def writes(n: int, prefix: str = "k") -> list[Write]:
    return [Write(key=f"{prefix}:{i}", action="put", target_ref=f"record {i}", summary=f"set record {i} to {i}",
                  after={"value": i}, before={"value": None}) for i in range(n)]


def statuses(engine, plan_id: str) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(outbound_writes.c.idempotency_key, outbound_writes.c.status)
                            .where(outbound_writes.c.plan_id == plan_id))
        return dict(rows.all())


def plan_row(engine, plan_id: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbound_plans).where(outbound_plans.c.plan_id == plan_id)).mappings().one())


def test_plan_stores_everything_and_applies_nothing_until_apply(warehouse, ledger):
    target, writer = ledger()
    plan_id = outbound.plan(warehouse, writer, writes(3))
    assert target.effects == []
    assert set(statuses(warehouse, plan_id).values()) == {"planned"}
    stored = outbound.plan_writes(warehouse, plan_id)
    assert [r["summary"] for r in stored] == ["set record 0 to 0", "set record 1 to 1", "set record 2 to 2"]
    assert stored[1]["before"] == {"value": None} and stored[1]["after"] == {"value": 1}
    result = outbound.apply(warehouse, plan_id, writer=writer)
    assert result.status == "applied" and target.effects == ["k:0", "k:1", "k:2"]
    assert set(statuses(warehouse, plan_id).values()) == {"applied"}
    # A rerun plans the same keys again and writes nothing.
    again = outbound.execute(warehouse, writer, writes(3))
    assert set(again.statuses.values()) == {"skipped"} and len(target.effects) == 3


def test_duplicate_keys_in_one_plan_are_refused(warehouse, ledger):
    _, writer = ledger()
    with pytest.raises(ValueError, match="same idempotency key"):
        outbound.plan(warehouse, writer, writes(2) + writes(1))
    with pytest.raises(LookupError, match="no outbound target"):
        outbound.plan(warehouse, Writer("w", "nowhere", 1), writes(1))


@pytest.mark.parametrize("when", ["after_effect", "before_effect"])
def test_crash_between_intent_and_effect_is_reconciled_where_readable(warehouse, ledger, when):
    target, writer = ledger(Delivery.READ_BACK)
    first = outbound.plan(warehouse, writer, writes(2))
    setattr(target, f"crash_{when}", True)
    with pytest.raises(Crash):
        outbound.apply(warehouse, first, writer=writer)
    assert statuses(warehouse, first) == {"k:0": "pending", "k:1": "planned"}
    effects_after_crash = list(target.effects)
    assert effects_after_crash == (["k:0"] if when == "after_effect" else [])

    setattr(target, f"crash_{when}", False)
    rerun = outbound.plan(warehouse, writer, writes(2))  # the rerun plans again from scratch
    result = outbound.apply(warehouse, rerun, writer=writer)
    assert target.reconciled == ["k:0"]
    assert target.effects == ["k:0", "k:1"]  # never k:0 twice
    assert result.statuses == {"k:0": "applied", "k:1": "applied"}
    rows = {r["key"]: r for r in outbound.audit(warehouse) if r["plan_id"] == rerun}
    assert rows["k:0"]["reconciled"] is (when == "after_effect")
    assert rows["k:1"]["reconciled"] is False
    # The interrupted intent of the first run is settled, not left pending.
    assert statuses(warehouse, first)["k:0"] == "interrupted"


def test_an_error_after_the_effect_is_reconciled_not_repeated(warehouse, ledger):
    """A timeout after the system applied the write: recorded failed, read back on the rerun."""
    target, writer = ledger(Delivery.READ_BACK)
    real_send = target.send

    def send_then_time_out(ws):
        real_send(ws)
        raise TimeoutError("read timed out")

    target.send = send_then_time_out
    with pytest.raises(WritesFailed, match="read timed out"):
        outbound.execute(warehouse, writer, writes(1))
    del target.send
    result = outbound.execute(warehouse, writer, writes(1))
    assert result.statuses == {"k:0": "applied"} and target.effects == ["k:0"] and target.reconciled == ["k:0"]


def test_crash_on_a_retry_of_the_same_plan_is_reconciled(warehouse, ledger):
    """An Airflow retry of the apply step applies the same plan again."""
    target, writer = ledger(Delivery.READ_BACK)
    plan_id = outbound.plan(warehouse, writer, writes(1))
    target.crash_after_effect = True
    with pytest.raises(Crash):
        outbound.apply(warehouse, plan_id, writer=writer)
    target.crash_after_effect = False
    result = outbound.apply(warehouse, plan_id, writer=writer)
    assert result.statuses == {"k:0": "applied"} and target.effects == ["k:0"]
    assert outbound.audit(warehouse)[0]["reconciled"] is True


def test_unreadable_targets_follow_their_declared_delivery(warehouse, ledger):
    at_most, w_most = ledger(Delivery.AT_MOST_ONCE)
    at_least, w_least = ledger(Delivery.AT_LEAST_ONCE)
    for target, writer in ((at_most, w_most), (at_least, w_least)):
        target.crash_after_effect = True
        with pytest.raises(Crash):
            outbound.execute(warehouse, writer, writes(1))
        target.crash_after_effect = False
        outbound.execute(warehouse, writer, writes(1))
    assert at_most.effects == ["k:0"]  # not sent again: at most once
    assert at_least.effects == ["k:0", "k:0"]  # sent again: at least once
    skipped = [r for r in outbound.audit(warehouse, writer=w_most.name) if r["status"] == "skipped"]
    assert len(skipped) == 1 and "at most once" in skipped[0]["error"]


def test_failures_are_recorded_and_retried_on_rerun(warehouse, ledger):
    target, writer = ledger(Delivery.AT_LEAST_ONCE)
    target.refuse = {"k:1"}
    with pytest.raises(WritesFailed, match="1 write"):
        outbound.execute(warehouse, writer, writes(3))
    assert target.effects == ["k:0", "k:2"]  # one refusal does not stop the others
    failed = [r for r in outbound.audit(warehouse) if r["status"] == "failed"]
    assert [(r["key"], r["error"]) for r in failed] == [("k:1", "refused by the test")]
    target.refuse = set()
    result = outbound.execute(warehouse, writer, writes(3))
    assert result.statuses == {"k:0": "skipped", "k:1": "applied", "k:2": "skipped"}
    assert target.effects == ["k:0", "k:2", "k:1"]


def test_an_exception_in_the_target_fails_its_batch(warehouse, ledger):
    target, writer = ledger(Delivery.READ_BACK, batch_size=2)

    def broken(_writes):
        raise ConnectionError("connection reset")

    target.send = broken
    with pytest.raises(WritesFailed):
        outbound.execute(warehouse, writer, writes(3))
    errs = {r["key"]: r["error"] for r in outbound.audit(warehouse)}
    assert errs == {f"k:{i}": "ConnectionError: connection reset" for i in range(3)}


def test_cap_fails_the_run_keeps_the_plan_and_says_how_to_approve(warehouse, ledger, monkeypatch):
    target, writer = ledger()
    capped = Writer(writer.name, writer.target, default_cap=2)
    plan_id = outbound.plan(warehouse, capped, writes(5))
    with pytest.raises(CapExceeded) as err:
        outbound.apply(warehouse, plan_id, writer=capped)
    msg = str(err.value)
    assert "5 changes planned" in msg and "cap of 2" in msg and plan_id in msg
    assert "max_changes" in msg and capped.setting in msg and "at least 5" in msg
    assert target.effects == []
    p = plan_row(warehouse, plan_id)
    assert p["status"] == "capped" and p["to_apply"] == 5 and p["max_changes"] == 2 and p["error"] == msg
    assert set(statuses(warehouse, plan_id).values()) == {"planned"}  # the plan is kept as planned

    # Approving: the setting raises the cap, or the run's Param does.
    monkeypatch.setenv(capped.setting, "4")
    with pytest.raises(CapExceeded):
        outbound.apply(warehouse, plan_id, writer=capped)
    result = outbound.apply(warehouse, plan_id, writer=capped, max_changes=5)
    assert result.status == "applied" and len(target.effects) == 5
    assert plan_row(warehouse, plan_id)["max_changes"] == 5


def test_cap_counts_only_what_is_not_applied_yet(warehouse, ledger):
    target, writer = ledger()
    outbound.execute(warehouse, writer, writes(3))
    small = Writer(writer.name, writer.target, default_cap=1)
    result = outbound.execute(warehouse, small, writes(4))  # 3 applied before, 1 new
    assert result.statuses["k:3"] == "applied" and len(target.effects) == 4


def test_bad_cap_values_are_clear_errors(monkeypatch):
    w = Writer("org_sync_test", "zendesk", 1000)
    assert w.cap() == 1000 and w.cap("25") == 25
    monkeypatch.setenv(w.setting, "lots")
    with pytest.raises(ValueError, match=w.setting):
        w.cap()
    with pytest.raises(ValueError, match="must not be negative"):
        w.cap(-1)


def test_dry_run_writes_nothing_and_is_recorded(warehouse, ledger, caplog, capsys):
    caplog.set_level("INFO", logger="support_ops.outbound")
    target, writer = ledger()
    capped = Writer(writer.name, writer.target, default_cap=1)
    plan_id = outbound.plan(warehouse, capped, writes(2), dry_run=True)
    result = outbound.apply(warehouse, plan_id, writer=capped)
    assert target.effects == [] and result.status == "dry_run"
    p = plan_row(warehouse, plan_id)
    assert p["dry_run"] is True and p["status"] == "dry_run" and p["to_apply"] == 2
    assert set(statuses(warehouse, plan_id).values()) == {"dry_run"}
    captured = capsys.readouterr()
    out = caplog.text + captured.out + captured.err  # stdlib logging or Airflow's structlog
    assert "DRY RUN" in out and "set record 1 to 1" in out and "above the cap of 1" in out
    # A dry run never counts as applied: the real run still sends everything.
    outbound.execute(warehouse, writer, writes(2))
    assert target.effects == ["k:0", "k:1"]
    assert outbound.audit(warehouse, statuses=("dry_run",)) == []
    assert len(outbound.audit(warehouse, statuses=("dry_run",), include_dry_runs=True)) == 2


def test_audit_says_who_what_when_before_after(warehouse, ledger):
    _, writer = ledger()
    actor = outbound.Actor("csat_kpis/manual__2026-11-20/alert by admin", "csat_kpis", "manual__2026-11-20", "alert")
    outbound.execute(warehouse, writer, writes(1), actor=actor)
    (row,) = outbound.audit(warehouse, writer=writer.name)
    assert row["actor"] == actor.actor and row["dag_id"] == "csat_kpis" and row["task_id"] == "alert"
    assert row["action"] == "put" and row["target_ref"] == "record 0"
    assert row["before"] == {"value": None} and row["after"] == {"value": 0}
    assert row["planned_at"] is not None and row["finished_at"] is not None and row["status"] == "applied"
    assert outbound.plans(warehouse, writer=writer.name)[0]["status"] == "applied"


def test_messages_recorded_by_the_old_outbound_log_are_not_sent_again(warehouse, ledger):
    """Migration 0006 moves outbound_log rows into outbound_writes as applied writes."""
    import datetime as dt

    from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Text

    from support_ops.warehouse.migrate import downgrade, upgrade

    downgrade(warehouse, "0005")
    old = Table("outbound_log", MetaData(), Column("dedup_key", String(255)), Column("target", String(64)),
                Column("sent_at", DateTime(timezone=True)), Column("summary", Text), Column("response", JSON))
    with warehouse.begin() as conn:
        conn.execute(old.insert().values(dedup_key="slack:csat-below-target:2026-W46", target="slack",
                                         sent_at=dt.datetime(2026, 11, 17, 9, tzinfo=dt.UTC), summary="CSAT low",
                                         response={"status_code": 200}))
    upgrade(warehouse)
    from support_ops.notify.slack import notify

    assert notify(warehouse, "csat-below-target:2026-W46", "CSAT low", writer="kpi_alert") == "skipped"
    downgrade(warehouse, "0005")  # and back: the log has it again
    with warehouse.connect() as conn:
        assert conn.execute(select(old.c.dedup_key)).scalars().all() == ["slack:csat-below-target:2026-W46"]
    upgrade(warehouse)


def test_cli_shows_a_capped_plan_and_applies_it_when_approved(warehouse, ledger, capsys, monkeypatch):
    from support_ops.cli import main
    from support_ops.outbound.writers import WRITERS

    target, writer = ledger()
    capped = Writer(writer.name, writer.target, default_cap=1)
    monkeypatch.setitem(WRITERS, capped.name, capped)  # applied by name, as the CLI does
    plan_id = outbound.plan(warehouse, capped, writes(3))
    with pytest.raises(CapExceeded):
        outbound.apply(warehouse, plan_id)
    capsys.readouterr()
    assert main(["outbound", "show", plan_id]) == 0
    shown = capsys.readouterr().out
    assert "[planned] put record 2 (k:2)" in shown and "set record 2 to 2" in shown
    assert main(["outbound", "apply", plan_id]) == 1  # still above the cap
    assert "3 changes planned" in capsys.readouterr().out and target.effects == []
    assert main(["outbound", "apply", plan_id, "--max-changes", "3"]) == 0
    assert target.effects == ["k:0", "k:1", "k:2"]
    assert main(["outbound", "plans", "--writer", capped.name]) == 0
    assert plan_id in capsys.readouterr().out
