"""Plan, then apply: the one way the pipelines write to other systems (docs/outbound-writes.md).

`plan()` stores the full list of intended writes (each with its idempotency key, target,
before/after) and applies nothing. `apply()` sends them: each write is recorded `pending` just
before the effect and `applied` or `failed` just after, so a crash in between leaves a trace.
On a later apply, a key already applied is skipped; a key left `pending` (or `failed`, for a
target that can be read back) is first reconciled against the target, and is sent only if the
effect is absent. Targets that cannot be read back follow their declared delivery.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine

from . import store
from . import targets as target_registry
from .actor import Actor, current_actor
from .model import (
    APPLIED,
    DRY_RUN,
    FAILED,
    PENDING,
    PLAN_APPLIED,
    PLAN_CAPPED,
    PLAN_DRY_RUN,
    PLAN_FAILED,
    PLAN_PLANNED,
    PLANNED,
    SKIPPED,
    ApplyResult,
    CapExceeded,
    Delivery,
    Outcome,
    StoredWrite,
    Write,
    WritesFailed,
)
from .targets import Target
from .writers import Writer

log = logging.getLogger(__name__)


def _plan_id(writer: Writer) -> str:
    stamp = store.now().strftime("%Y%m%dT%H%M%S")
    return f"{writer.name[:40]}-{stamp}-{secrets.token_hex(4)}"


def plan(
    engine: Engine,
    writer: Writer,
    writes: Iterable[Write],
    *,
    dry_run: bool = False,
    actor: Actor | None = None,
    max_changes: int | str | None = None,
) -> str:
    """Store the plan; returns its id. A dry run's plan is final: its writes are never sent."""
    writes = list(writes)
    keys = [w.key for w in writes]
    if len(set(keys)) != len(keys):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"{writer.name}: the same idempotency key twice in one plan: {dupes[:5]}")
    target_registry.get(writer.target)  # an unknown target fails before anything is stored
    actor = actor or current_actor()
    plan_id = _plan_id(writer)
    at = store.now()
    status = DRY_RUN if dry_run else PLANNED
    store.insert_plan(engine, {
        "plan_id": plan_id, "writer": writer.name, "target": writer.target, "created_at": at,
        "actor": actor.actor[:255], "dag_id": actor.dag_id, "run_id": actor.run_id, "task_id": actor.task_id,
        "dry_run": dry_run, "planned": len(writes), "status": PLAN_DRY_RUN if dry_run else PLAN_PLANNED,
        "finished_at": at if dry_run else None,
    }, [{
        "plan_id": plan_id, "idempotency_key": w.key, "seq": i, "writer": writer.name, "target": writer.target,
        "action": w.action, "target_ref": w.target_ref[:255], "summary": w.summary, "before": w.before,
        "after": w.after, "status": status, "reconciled": False, "attempts": 0, "planned_at": at,
    } for i, w in enumerate(writes)])
    log.info("%s: planned %d write(s) to %s as %s%s", writer.name, len(writes), writer.target, plan_id,
             " (dry run)" if dry_run else "")
    if dry_run:
        _log_dry_run(engine, writer, plan_id, writes, max_changes)
    return plan_id


def _log_dry_run(engine: Engine, writer: Writer, plan_id: str, writes: Sequence[Write],
                 max_changes: int | str | None) -> None:
    """Show every message or change the run would have made, and what a real run would skip."""
    done = store.history(engine, [w.key for w in writes], plan_id, [APPLIED])
    for w in writes:
        note = f" (a real run would not repeat it: applied in {done[w.key][0][0]})" if w.key in done else ""
        log.info("DRY RUN %s: would %s %s [%s]:\n%s%s", writer.name, w.action, w.target_ref, w.key, w.summary, note)
    to_apply = sum(1 for w in writes if w.key not in done)
    cap = writer.cap(max_changes)
    store.update_plan(engine, plan_id, to_apply=to_apply, max_changes=cap)
    if to_apply > cap:
        log.warning("DRY RUN %s: %d changes planned, above the cap of %d: a real run would apply nothing "
                    "and fail (approve with %s)", writer.name, to_apply, cap, writer.how_to_approve())


def apply(
    engine: Engine,
    plan_id: str,
    *,
    writer: Writer | None = None,
    max_changes: int | str | None = None,
    raise_on_failure: bool = True,
) -> ApplyResult:
    """Send the plan's writes that are not applied yet, under the writer's cap."""
    p = store.load_plan(engine, plan_id)
    writer = writer or _writer_of(p)
    rows = store.load_writes(engine, plan_id)
    if p["dry_run"]:
        log.info("%s: plan %s is a dry run: nothing is sent", writer.name, plan_id)
        return ApplyResult(plan_id, PLAN_DRY_RUN, {w.key: w.status for w in rows})
    target = target_registry.get(p["target"])
    open_rows = [w for w in rows if w.status in (PLANNED, PENDING, FAILED)]
    result = ApplyResult(plan_id, PLAN_APPLIED, {w.key: w.status for w in rows})
    earlier = store.history(engine, [w.key for w in open_rows], plan_id, [APPLIED, PENDING, FAILED])

    skip: list[tuple[StoredWrite, str, str | None]] = []  # (write, applied_in, error)
    settle: list[StoredWrite] = []
    send: list[StoredWrite] = []
    for w in open_rows:
        seen = earlier.get(w.key, [])
        applied_in = next((pid for pid, s in seen if s == APPLIED), None)
        interrupted = w.status == PENDING or any(s == PENDING for _, s in seen)
        failed_before = w.status == FAILED or any(s == FAILED for _, s in seen)
        if applied_in:
            skip.append((w, applied_in, None))
        elif (interrupted or failed_before) and target.can_read_back:
            settle.append(w)
        elif interrupted and target.delivery is Delivery.AT_MOST_ONCE:
            skip.append((w, "", f"an interrupted attempt may have reached {target.name}; not sent again "
                                f"({target.name} is at most once)"))
        else:
            send.append(w)

    to_apply = len(settle) + len(send)
    cap = writer.cap(max_changes)
    store.update_plan(engine, plan_id, to_apply=to_apply, max_changes=cap)
    if to_apply > cap:
        err = CapExceeded(writer.name, plan_id, to_apply, cap, writer.how_to_approve())
        store.update_plan(engine, plan_id, status=PLAN_CAPPED, error=str(err), finished_at=store.now())
        log.error("%s", err)
        raise err

    for w, applied_in, error in skip:
        result.statuses[w.key] = SKIPPED
        store.mark(engine, plan_id, [w.key], status=SKIPPED, error=error, finished_at=store.now(),
                   result={"applied_in": applied_in} if applied_in else None)
        if applied_in:
            log.info("%s: %s was applied before (plan %s): not repeated", writer.name, w.key, applied_in)
        else:
            log.warning("%s: %s: %s", writer.name, w.key, error)
    _settle_interrupted_elsewhere(engine, plan_id, [w for w, a, _ in skip if not a], earlier, "not sent again")

    order = {w.key: w.seq for w in open_rows}
    work = sorted(settle + send, key=lambda w: order[w.key])
    settle_keys = {w.key for w in settle}
    for i in range(0, len(work), max(1, target.batch_size)):
        chunk = work[i:i + max(1, target.batch_size)]
        to_send = [w for w in chunk if w.key not in settle_keys]
        to_send += _reconcile(engine, writer, target, [w for w in chunk if w.key in settle_keys], result)
        to_send.sort(key=lambda w: order[w.key])
        _send(engine, writer, target, to_send, result)
        _settle_interrupted_elsewhere(engine, plan_id, chunk, earlier, "settled")

    failed = {k: v for k, v in result.errors.items() if result.statuses.get(k) == FAILED}
    result.status = PLAN_FAILED if failed else PLAN_APPLIED
    store.update_plan(engine, plan_id, status=result.status, finished_at=store.now(),
                      error=f"{len(failed)} write(s) failed" if failed else None)
    log.info("%s: plan %s %s: %s", writer.name, plan_id, result.status, result.counts())
    if failed and raise_on_failure:
        raise WritesFailed(plan_id, failed)
    return result


def _reconcile(engine: Engine, writer: Writer, target: Target, writes: list[StoredWrite],
               result: ApplyResult) -> list[StoredWrite]:
    """Read interrupted or failed writes back; returns those whose effect is absent (to send)."""
    if not writes:
        return []
    try:
        found = target.reconcile(writes)
    except Exception as exc:  # noqa: BLE001 - cannot know: do not write blind, fail the write
        err = f"could not read {target.name} back to settle an earlier attempt: {_describe(target, exc)}"
        for w in writes:
            result.statuses[w.key], result.errors[w.key] = FAILED, err
        store.mark(engine, writes[0].plan_id, [w.key for w in writes], status=FAILED, error=err,
                   finished_at=store.now())
        log.error("%s: %s", writer.name, err)
        return []
    absent = []
    rows = []
    for w, outcome in zip(writes, found, strict=True):
        if outcome is None:
            absent.append(w)
            continue
        result.statuses[w.key] = APPLIED
        rows.append((w.key, {"status": APPLIED, "reconciled": True, "result": outcome.result,
                             "error": None, "finished_at": store.now()}))
        log.info("%s: %s found on %s after an interrupted attempt: recorded as applied, not sent again",
                 writer.name, w.key, target.name)
    store.mark_each(engine, writes[0].plan_id, rows)
    for w in absent:
        log.info("%s: %s not found on %s: sending it", writer.name, w.key, target.name)
    return absent


def _send(engine: Engine, writer: Writer, target: Target, writes: list[StoredWrite],
          result: ApplyResult) -> None:
    if not writes:
        return
    plan_id = writes[0].plan_id
    started = store.now()  # the intent of the whole batch, committed before its effect
    store.mark_each(engine, plan_id, [(w.key, {"status": PENDING, "attempts": w.attempts + 1,
                                               "started_at": started, "error": None}) for w in writes])
    try:
        outcomes = target.send(writes)
        if len(outcomes) != len(writes):
            raise RuntimeError(f"target {target.name} answered {len(outcomes)} outcomes for {len(writes)} writes")
    except Exception as exc:  # noqa: BLE001 - a refused or unreachable target fails these writes
        err = _describe(target, exc)
        outcomes = [Outcome.failed(err)] * len(writes)
    rows = []
    for w, o in zip(writes, outcomes, strict=True):
        status = APPLIED if o.ok else FAILED
        result.statuses[w.key] = status
        if o.error:
            result.errors[w.key] = o.error
        rows.append((w.key, {"status": status, "result": o.result, "error": o.error, "finished_at": store.now()}))
        if o.ok:
            log.info("%s: %s %s [%s]: %s", writer.name, w.action, w.target_ref, w.key, w.summary[:300])
        else:
            log.error("%s: %s %s [%s] failed: %s", writer.name, w.action, w.target_ref, w.key, o.error)
    store.mark_each(engine, plan_id, rows)


def _settle_interrupted_elsewhere(engine: Engine, plan_id: str, writes: Sequence[StoredWrite],
                                  earlier: dict[str, list[tuple[str, str]]], how: str) -> None:
    pairs = [(w.key, pid) for w in writes for pid, s in earlier.get(w.key, []) if s == PENDING]
    if pairs:
        store.mark_interrupted(engine, pairs, f"interrupted before its outcome was recorded; {how} by plan {plan_id}")


def _describe(target: Target, exc: BaseException) -> str:
    describe = getattr(target, "describe_error", None)
    return describe(exc) if describe else f"{type(exc).__name__}: {exc}"


def _writer_of(p: dict[str, Any]) -> Writer:
    from .writers import WRITERS

    known = WRITERS.get(p["writer"])
    if known is None:
        raise LookupError(f"plan {p['plan_id']}: writer {p['writer']!r} is not registered "
                          "(outbound.writers.register_writer); pass writer=")
    return known


def execute(
    engine: Engine,
    writer: Writer,
    writes: Iterable[Write],
    *,
    dry_run: bool = False,
    max_changes: int | str | None = None,
    actor: Actor | None = None,
    raise_on_failure: bool = True,
) -> ApplyResult:
    """Plan and apply in one step, for a task whose plan is a message or two."""
    plan_id = plan(engine, writer, writes, dry_run=dry_run, actor=actor, max_changes=max_changes)
    return apply(engine, plan_id, writer=writer, max_changes=max_changes, raise_on_failure=raise_on_failure)
