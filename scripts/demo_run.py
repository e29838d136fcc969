"""make demo's pipeline runner: every DAG in the DAGs folder once, in data order, each reported.

The order is derived, not listed: DAGs that produce the warehouse schema Asset first (they
apply the migrations), then every DAG before the DAGs scheduled on the Assets it updates
(extraction before KPIs and integrity), DAGs that update no Asset (such as a sync that reads
the warehouse and writes to another system) after all that do, ties by name. A DAG file that does not import is
reported as failed. One failing DAG does not stop the others; the exit status is non-zero
if any failed.

Usage: python scripts/demo_run.py --logs DIR [--dags DIR] [--plan] [--table FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAILED_MARKERS = re.compile(r"state=failed|DagRunState\.FAILED|state: failed")


@dataclass
class Result:
    dag_id: str
    ok: bool
    seconds: float
    log: Path | None
    error: str = ""


def _assets(obj) -> set[str]:
    """URIs of the Assets in a schedule condition (Asset, AssetAny/AssetAll, nested)."""
    if obj is None:
        return set()
    if getattr(obj, "uri", None):
        return {obj.uri}
    out: set[str] = set()
    for child in getattr(obj, "objects", ()) or ():
        out |= _assets(child)
    return out


def plan(dags_folder: Path) -> tuple[list[str], dict[str, str]]:
    """(DAG ids in run order, {file: import error})."""
    from airflow.dag_processing.dagbag import DagBag

    from support_ops import assets

    bag = DagBag(str(dags_folder))
    for manual in [i for i, d in bag.dags.items() if type(d.timetable).__name__ == "NullTimetable"]:
        bag.dags.pop(manual)  # manual-only DAGs (schedule=None: shared_org_apply) are not run
    consumes = {d.dag_id: _assets(getattr(d.timetable, "asset_condition", None))
                for d in bag.dags.values()}
    produces = {d.dag_id: {o.uri for t in d.tasks for o in t.outlets if getattr(o, "uri", None)}
                for d in bag.dags.values()}
    first = sorted(d for d, outs in produces.items() if assets.WAREHOUSE_SCHEMA in outs)
    graph: dict[str, set[str]] = {d: set() for d in bag.dags}
    for consumer, wanted in consumes.items():
        for producer, outs in produces.items():
            if producer != consumer and wanted & outs:
                graph[consumer].add(producer)
    producers = {d for d, outs in produces.items() if outs}
    for d in graph:
        if d not in first:
            graph[d] |= set(first)
        if d not in producers:  # writes elsewhere / reads everything: after every producer
            graph[d] |= producers - {d}
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError:  # Assets that feed each other: fall back to names, schema first
        return first + sorted(set(bag.dags) - set(first)), _named(bag.import_errors, dags_folder)
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order, _named(bag.import_errors, dags_folder)


def _named(errors: dict[str, str], dags_folder: Path) -> dict[str, str]:
    """Import errors keyed by a short file name (dags/x.py), not a machine path."""
    base = dags_folder.resolve().parent
    return {str(Path(f).resolve().relative_to(base)) if Path(f).resolve().is_relative_to(base)
            else f: e for f, e in errors.items()}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hide Airflow's own logging while the DAGs folder is parsed (shown if parsing breaks)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile("w+") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            sink.seek(0)
            sys.stderr.write(sink.read())
            raise
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _exception_line(lines: list[str]) -> str:
    """The exception line of the first traceback in `lines`."""
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            for later in lines[i + 1:]:
                stripped = later.strip()
                if later and not later[0].isspace() and not stripped.startswith(
                        ("Traceback", "During handling", "The above exception", "File ")):
                    return stripped[:300]
    return ""


def first_error(text: str) -> str:
    """What went wrong: the failed task's exception, else the first traceback or ERROR line.

    Parsing the DAGs folder can log other files' import errors first; the task's own
    failure comes after Airflow's "Task failed with exception" line.
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Task failed with exception" in line and (found := _exception_line(lines[i:])):
            return found
    if found := _exception_line(lines):
        return found
    for line in lines:
        if re.search(r"\bERROR\b|\[error\s*\]", line):
            return line.strip()[:300]
    return ""


def run_dag(dag_id: str, logs: Path) -> Result:
    log = logs / f"demo-{dag_id}.log"
    start = time.monotonic()
    with log.open("w") as out:
        rc = subprocess.call([sys.executable, "-m", "airflow", "dags", "test", dag_id],
                             stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    text = log.read_text(errors="replace")
    ok = rc == 0 and not FAILED_MARKERS.search(text)
    error = "" if ok else (first_error(text) or f"airflow dags test exited with {rc}")
    return Result(dag_id, ok, time.monotonic() - start, log, error)


def table(results: list[Result]) -> str:
    width = max([len(r.dag_id) for r in results] + [3])
    lines = [f"  {'DAG':<{width}}  result", f"  {'-' * width}  {'-' * 6}"]
    for r in results:
        if r.ok:
            lines.append(f"  {r.dag_id:<{width}}  ok ({r.seconds:.0f}s)")
        else:
            where = f" (log: {r.log})" if r.log else ""
            lines.append(f"  {r.dag_id:<{width}}  FAILED: {r.error}{where}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--logs", type=Path, required=True)
    p.add_argument("--dags", type=Path,
                   default=Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", ROOT / "dags")))
    p.add_argument("--plan", action="store_true", help="print the order and stop")
    p.add_argument("--table", type=Path, help="write the results table here instead of printing it")
    args = p.parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)
    with _quiet():
        order, errors = plan(args.dags)
    if args.plan:
        print("\n".join(order))
        for file, err in errors.items():
            print(f"{file}: does not import: {first_error(err) or err.splitlines()[-1]}")
        return 1 if errors else 0
    results = [Result(file, False, 0.0, None, "does not import: "
                      + (first_error(err) or err.strip().splitlines()[-1]))
               for file, err in errors.items()]
    print(f"==> pipelines, in data order: {', '.join(order)}", flush=True)
    for dag_id in order:
        print(f"==> running DAG {dag_id} (log: {args.logs / f'demo-{dag_id}.log'})", flush=True)
        result = run_dag(dag_id, args.logs)
        print(f"    {'ok' if result.ok else 'FAILED: ' + result.error} "
              f"in {result.seconds:.0f}s", flush=True)
        results.append(result)
    failed = [r for r in results if not r.ok]
    report = "==> results\n" + table(results) + "\n"
    if failed:
        report += f"\n{len(failed)} of {len(results)} pipeline(s) failed; see their logs.\n"
    if args.table:
        args.table.write_text(report)  # the caller prints it last, after its own output
    else:
        print("\n" + report, end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
