"""`SANDBOX_DATA=DIR`: load a folder of JSON arrays (API shapes) into the store, and dump one.

Layout: `collections.DATA_FILES` (+ `salesforce/<Object>.json`, `sandbox/<collection>.json`).
A missing file is an empty collection. Loading never touches the current store until the
whole folder has passed: records are checked (structure, and what the real systems
guarantee — `datadir_rules`) while they are written into a new store file beside the
current one, which replaces it in one rename only when every file passed. A refused folder
leaves the previous state exactly as it was, and the error lists every problem found (file,
record, field, reason), up to `MAX_PROBLEMS`.

`lenient=True` loads records that break the guarantees (to exercise the pipeline's
quarantine) and reports them as warnings; a folder that is not valid structure (not JSON,
not an array of objects, two records with one key) is refused in every mode.

Store rows carry `ts`/`seq` computed as the generator and the services compute them. Where a
row's key, seq or ts cannot be derived from its record (an event's store id, a seq moved by
an update), the dump writes it as the record's `_key`, `_seq` or `_ts`, and the loader
takes it from there: dump then load gives an identical store.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.core.collections import (
    DATA_FILES,
    OTHER_FOLDER,
    PD_INCIDENTS,
    data_file,
)
from sandbox.core.datadir_rules import INT64, STORE_INT, Rule, get, rule_for
from sandbox.core.store import Store, rebuild
from sandbox.generate.util import parse_time
from sandbox.salesforce.ids import id_suffix

log = logging.getLogger("sandbox")

BATCH = 5000
MAX_PROBLEMS = 20
OVERRIDES = ("_key", "_seq", "_ts")
_COLLECTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class DataFolderError(ValueError):
    """A data folder that cannot be loaded; the message says where and why."""


def _where(file: str, index: int | None, fld: str | None) -> str:
    where = file if index is None else f"{file}: record {index}"
    return where + (f": field {fld!r}" if fld is not None else "")


@dataclass
class Report:
    """Problems that refuse the folder, and (lenient) guarantees broken but loaded."""

    lenient: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_problems: int = 0
    n_warnings: int = 0

    def refuse(self, file: str, index: int | None, fld: str | None, reason: str) -> None:
        self.n_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{_where(file, index, fld)}: {reason}")

    def guarantee(self, file: str, index: int, fld: str | None, reason: str) -> None:
        """A record the real system would never return: refused, or loaded when lenient."""
        if not self.lenient:
            self.refuse(file, index, fld, reason)
            return
        self.n_warnings += 1
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(f"{_where(file, index, fld)}: {reason}")

    def error(self, folder: Path) -> DataFolderError:
        more = self.n_problems - len(self.problems)
        lines = [f"{folder}: refused, nothing was loaded ({self.n_problems} problem(s)):"]
        lines += [f"  {p}" for p in self.problems]
        if more:
            lines.append(f"  ... and {more} more")
        return DataFolderError("\n".join(lines))


# -- reading ------------------------------------------------------------------------------
def _files(folder: Path, report: Report) -> list[tuple[str, str]]:
    """(file, collection) pairs to load, in load order; unknown JSON files are refused."""
    pairs = list(DATA_FILES.items())
    known = set(DATA_FILES)
    for path in sorted(folder.glob("*/*.json")):
        rel = path.relative_to(folder).as_posix()
        if rel in known:
            continue
        sub, stem = rel.split("/")[0], path.stem
        if sub == "salesforce" and _COLLECTION_NAME.fullmatch(stem):
            pairs.append((rel, f"sf_{stem}"))
        elif sub == OTHER_FOLDER and _COLLECTION_NAME.fullmatch(stem):
            pairs.append((rel, stem))
        elif sub in {f.split("/")[0] for f in DATA_FILES} | {OTHER_FOLDER}:
            report.refuse(rel, None, None, "unknown file (see the README's list of data files)")
    return pairs


def _read(path: Path, file: str, report: Report) -> tuple[list | None, bool]:
    """The file's JSON value, and whether it holds a number the real APIs never send (an
    integer of 19+ digits, NaN, Infinity, 1e400); None (and a problem) when it is not JSON."""
    odd: list[str] = []

    def parse_int(text: str) -> int:
        if len(text) > 18:
            odd.append(text)
        return int(text)

    def parse_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            odd.append(text)
        return value

    def parse_constant(text: str) -> float:
        odd.append(text)
        return float(text)

    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.refuse(file, None, None, f"not UTF-8 text: {exc}")
        return None, False
    try:
        value = json.loads(raw, parse_int=parse_int, parse_float=parse_float,
                           parse_constant=parse_constant)
        return value, bool(odd)
    except json.JSONDecodeError as exc:
        report.refuse(file, None, None,
                      f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except RecursionError:
        report.refuse(file, None, None, "JSON nested too deeply")
    return None, False


def _bad_number(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first non-finite float or out-of-range integer inside a record: (field, reason)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or None, f"{value} is not a finite number (JSON has no NaN or Infinity)"
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        return path or None, f"integer {value} does not fit in 64 bits (at least 2^63)"
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for k, v in items:
        found = _bad_number(v, f"{path}.{k}" if path else str(k))
        if found:
            return found
    return None


# -- derivation of store rows (shared with dump) ------------------------------------------
def _store_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        v = int(v)
    if isinstance(v, int) and -STORE_INT < v < STORE_INT:
        return v
    return None


def derive_ts(doc: dict, rule: Rule) -> int:
    for name in rule.ts_fields:
        value = doc.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            try:
                ts = parse_time(value)
            except (ValueError, OverflowError):
                continue
        else:
            ts = _store_int(value)
        if ts is not None and -STORE_INT < ts < STORE_INT:
            return ts
    return 0


def derive_seq(doc: dict, key: Any, rule: Rule, position: int) -> int:
    if rule.seq == "key":
        seq = _store_int(key)
    elif rule.seq == "position":
        seq = None
    else:
        seq = _store_int(doc.get(rule.seq))
    return position if seq is None else seq


# -- loading ------------------------------------------------------------------------------
def _check_record(doc: dict, rule: Rule, file: str, index: int, report: Report,
                  keys: dict[str, set[str]]) -> None:
    for fld in rule.fields:
        present, value = get(doc, fld.path)
        if not present or value is None:
            if fld.required:
                report.guarantee(file, index, fld.path, "missing" if not present else "null")
            continue
        problem = fld.check(value)
        if problem:
            report.guarantee(file, index, fld.path, problem)
        elif fld.ref is not None and str(value) not in keys.get(fld.ref, ()):
            report.guarantee(file, index, fld.path,
                             f"refers to {value!r}, which is not in {data_file(fld.ref)}")
    for coll, what, key_fn in rule.refs:
        try:
            ref = str(key_fn(doc))
        except (KeyError, TypeError):
            continue  # the field checks above already said what is missing
        if ref not in keys.get(coll, ()):
            report.guarantee(file, index, None, f"refers to {what} {ref!r}, which is not in "
                                                f"{data_file(coll)}")


def _overrides(doc: dict, file: str, index: int, report: Report) -> dict[str, Any]:
    """Pop the sandbox-only `_key`/`_seq`/`_ts` fields a dump writes where needed."""
    out = {}
    for name in OVERRIDES:
        if name not in doc:
            continue
        value = doc.pop(name)
        if name == "_key":
            if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
                report.refuse(file, index, name, "expected a non-empty string or an integer")
                continue
        elif _store_int(value) is None or isinstance(value, float):
            report.refuse(file, index, name, f"expected an integer below 2^62, got {value!r}")
            continue
        out[name] = value
    return out


def _rows(coll: str, file: str, records: Any, scan: bool, report: Report,
          keys: dict[str, set[str]]) -> list[tuple[Any, dict, int, int]]:
    """Check one file's records and turn them into store rows (key, doc, ts, seq)."""
    if not isinstance(records, list):
        report.refuse(file, None, None, f"expected a JSON array, got {type(records).__name__}")
        return []
    rule = rule_for(coll)
    seen = keys.setdefault(coll, set())
    rows = []
    for index, doc in enumerate(records):
        if not isinstance(doc, dict):
            report.refuse(file, index, None, f"expected an object, got {type(doc).__name__}")
            continue
        if coll.startswith("sf_"):
            doc = _strip_attributes(doc)
        fixed = _overrides(doc, file, index, report)
        label, problem = rule.key if isinstance(rule.key, str) else "id", None
        if "_key" in fixed:
            key = fixed["_key"]
        else:
            found, key = rule.key_of(doc)
            problem = "missing" if not found or key is None else rule.key_check(key)
            if problem:
                report.guarantee(file, index, label, problem)
                if not found or key is None or not isinstance(key, str | int | float):
                    key = f"~{index + 1}"  # lenient: a key the store can hold
            elif coll.startswith("sf_") and len(key) == 15:
                key = doc[rule.key] = key + id_suffix(key)
        if scan and (bad := _bad_number(doc)) and not (problem and bad[0] == label):
            report.guarantee(file, index, bad[0], bad[1])  # the key's own problem is said above
        store_key = str(key)
        if store_key in seen:
            report.refuse(file, index, None, f"duplicate key {key!r} (each record once)")
            continue
        seen.add(store_key)
        _check_record(doc, rule, file, index, report, keys)
        ts = fixed.get("_ts", derive_ts(doc, rule))
        seq = fixed.get("_seq", derive_seq(doc, key, rule, index + 1))
        rows.append((store_key, doc, ts, seq))
    return rows


def _strip_attributes(doc: Any) -> Any:
    """Salesforce query records carry `attributes`; the store keeps records without them."""
    if isinstance(doc, dict):
        return {k: _strip_attributes(v) for k, v in doc.items() if k != "attributes"}
    if isinstance(doc, list):
        return [_strip_attributes(v) for v in doc]
    return doc


def _open_incidents(store: Store) -> None:
    """PagerDuty dedups events on open incidents by key: rebuild that index for loaded ones."""
    for inc in store.all(PD_INCIDENTS):
        svc = inc.get("service") if isinstance(inc.get("service"), dict) else {}
        if inc.get("status") != "resolved" and svc.get("id") and inc.get("incident_key"):
            store.set_meta(f"pd_open_incident:{svc['id']}:{inc['incident_key']}", inc["id"])


def load(target: Store | str | Path, folder: str | Path, lenient: bool = False,
         warnings: list[str] | None = None) -> dict[str, int]:
    """Replace the store at `target` with the folder's content; return counts per collection.

    Raises DataFolderError (and leaves `target` untouched) when the folder is refused.
    Broken guarantees loaded in lenient mode are appended to `warnings` (and logged).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFolderError(f"{folder}: not a directory")
    path = target.path if isinstance(target, Store) else str(target)
    if isinstance(target, Store):
        target.close()  # it reconnects to the new file on next use
    report = Report(lenient)

    def fill(store: Store) -> dict[str, int]:
        keys: dict[str, set[str]] = {}
        counts: dict[str, int] = {}
        for file, coll in _files(folder, report):
            fpath = folder / file
            records, odd = _read(fpath, file, report) if fpath.exists() else ([], False)
            rows = _rows(coll, file, records, odd, report, keys) if records is not None else []
            if not report.n_problems:
                for i in range(0, len(rows), BATCH):
                    store.put_many(coll, rows[i : i + BATCH])
            counts[coll] = len(rows)
        if report.n_problems:
            raise report.error(folder)
        _open_incidents(store)
        return counts

    counts = rebuild(path, fill)
    if report.n_warnings:
        head = (f"{folder}: loaded {report.n_warnings} record problem(s) the real systems never "
                f"produce (lenient)")
        log.warning("%s:\n  %s", head, "\n  ".join(report.warnings))
        if warnings is not None:
            warnings += report.warnings
    return counts


# -- dumping ------------------------------------------------------------------------------
def dump(store: Store, folder: str | Path) -> dict[str, int]:
    """Write every collection as a JSON array, one record per line; return counts.

    A record gets `_key`/`_seq`/`_ts` only where the loader could not derive the row's
    key, seq or ts from it, so the dump loads back into an identical store.
    """
    folder = Path(folder)
    present = [c for (c,) in store.conn.execute("SELECT DISTINCT collection FROM docs")]
    collections = list(DATA_FILES.values()) + sorted(set(present) - set(DATA_FILES.values()))
    counts = {}
    for coll in collections:
        rule = rule_for(coll)
        path = folder / data_file(coll)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        n = 0
        cur = store.conn.execute(
            "SELECT key, seq, ts, doc FROM docs WHERE collection=? ORDER BY seq, key", (coll,))
        with tmp.open("w", encoding="utf-8") as out:
            out.write("[")
            for key, seq, ts, raw in cur:
                out.write(",\n" if n else "\n")
                n += 1
                out.write(_dump_record(rule, key, seq, ts, raw, n))
            out.write("\n]\n" if n else "]\n")
        os.replace(tmp, path)
        counts[coll] = n
    return counts


def _dump_record(rule: Rule, key: str, seq: int, ts: int, raw: str, position: int) -> str:
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        return raw
    found, derived = rule.key_of(doc)
    extra: dict[str, Any] = {}
    if not found or str(derived) != key:
        extra["_key"] = key
        derived = key
    if derive_seq(doc, derived, rule, position) != seq:
        extra["_seq"] = seq
    if derive_ts(doc, rule) != ts:
        extra["_ts"] = ts
    if not extra:
        return raw
    return json.dumps({**doc, **extra}, separators=(",", ":"))

