"""`SANDBOX_DATA=DIR`: load a folder of JSON arrays (API shapes) into the store, and dump one.

Layout: `collections.DATA_FILES`. A missing file is an empty collection. Every file is
validated before anything is written, so a malformed folder leaves the store untouched;
the error names the file, the record index and the field. `ts`/`seq` are computed as the
generator computes them, so a dump loads back into an identical store.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .collections import (
    DATA_FILES,
    GL_PROJECTS,
    MANIFEST_KEY,
    PD_ESCALATION_POLICIES,
    PD_INCIDENTS,
    PD_SCHEDULES,
    PD_SERVICES,
    PD_USERS,
    SF_ACCOUNT,
    ZD_TICKET_METRIC_EVENTS,
    ZD_TICKET_METRICS,
    ZD_TICKETS,
)
from .generate.util import parse_time, sf_checksum
from .store import Store

BATCH = 5000


class DataFolderError(ValueError):
    """A data folder that cannot be loaded; the message says where and why."""


@dataclass(frozen=True)
class Spec:
    """How a collection's documents are keyed and ordered."""

    key: str = "id"
    key_type: type = int
    ts_fields: tuple[str, ...] = ("updated_at",)
    seq_field: str | None = None  # None: numeric key, or position in the file


ZENDESK = Spec()
SPECS: dict[str, Spec] = {
    ZD_TICKETS: Spec(ts_fields=("generated_timestamp", "updated_at")),
    ZD_TICKET_METRICS: Spec(key="ticket_id"),
    ZD_TICKET_METRIC_EVENTS: Spec(ts_fields=("time",)),
    SF_ACCOUNT: Spec(key="Id", key_type=str, ts_fields=("SystemModstamp",)),
    PD_SERVICES: Spec(key_type=str, ts_fields=()),
    PD_ESCALATION_POLICIES: Spec(key_type=str, ts_fields=()),
    PD_SCHEDULES: Spec(key_type=str, ts_fields=()),
    PD_USERS: Spec(key_type=str, ts_fields=()),
    PD_INCIDENTS: Spec(key_type=str, ts_fields=("created_at",), seq_field="incident_number"),
    GL_PROJECTS: Spec(ts_fields=()),
}


def _fail(file: str, index: int | None, field: str | None, problem: str) -> DataFolderError:
    where = file if index is None else f"{file}: record {index}"
    if field is not None:
        where += f": field {field!r}"
    return DataFolderError(f"{where}: {problem}")


def _strip_attributes(doc: Any) -> Any:
    """Salesforce query records carry `attributes`; the store keeps records without them."""
    if isinstance(doc, dict):
        return {k: _strip_attributes(v) for k, v in doc.items() if k != "attributes"}
    return doc


def _ts(doc: dict, spec: Spec, file: str, index: int) -> int:
    for field in spec.ts_fields:
        value = doc.get(field)
        if value is None:
            continue
        if isinstance(value, bool):
            raise _fail(file, index, field, "expected a timestamp, got a boolean")
        if isinstance(value, int | float):
            return int(value)
        if isinstance(value, str):
            try:
                return parse_time(value)
            except ValueError:
                raise _fail(file, index, field, f"not an ISO timestamp: {value!r}") from None
        raise _fail(file, index, field, f"expected a timestamp, got {type(value).__name__}")
    return 0


def _rows(collection: str, file: str, records: Any) -> list[tuple[Any, dict, int, int]]:
    """Validate one file's records and turn them into store rows."""
    spec = SPECS.get(collection, ZENDESK)
    if not isinstance(records, list):
        raise _fail(file, None, None, f"expected a JSON array, got {type(records).__name__}")
    rows, seen = [], set()
    for index, doc in enumerate(records):
        if not isinstance(doc, dict):
            raise _fail(file, index, None, f"expected an object, got {type(doc).__name__}")
        if collection == SF_ACCOUNT:
            doc = _strip_attributes(doc)
        if spec.key not in doc:
            raise _fail(file, index, spec.key, "missing")
        key = doc[spec.key]
        if spec.key_type is int:
            if not isinstance(key, int) or isinstance(key, bool):
                raise _fail(file, index, spec.key, f"expected an integer, got {type(key).__name__}")
        elif not isinstance(key, str) or not key:
            raise _fail(file, index, spec.key, f"expected a non-empty string, got {key!r}")
        if collection == SF_ACCOUNT:
            if len(key) not in (15, 18) or not key.isalnum():
                raise _fail(file, index, "Id", f"not a 15- or 18-character Salesforce id: {key!r}")
            if len(key) == 15:
                key = doc["Id"] = key + sf_checksum(key)
        if key in seen:
            raise _fail(file, index, spec.key, f"duplicate id {key!r}")
        seen.add(key)
        if spec.seq_field:
            seq = doc.get(spec.seq_field)
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise _fail(file, index, spec.seq_field, "expected an integer")
        else:
            seq = key if isinstance(key, int) else index + 1
        rows.append((key, doc, _ts(doc, spec, file, index), seq))
    return rows


def _read(folder: Path, file: str) -> Any:
    path = folder / file
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _fail(file, None, None, f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                                      f"{exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise _fail(file, None, None, f"not UTF-8 text: {exc}") from None


def load(store: Store, folder: Path) -> dict[str, int]:
    """Replace every data collection with the folder's content; return counts per collection."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFolderError(f"{folder}: not a directory")
    prepared = {coll: _rows(coll, file, _read(folder, file)) for file, coll in DATA_FILES.items()}
    counts = {}
    for coll, rows in prepared.items():
        store.clear(coll)
        for i in range(0, len(rows), BATCH):
            store.put_many(coll, rows[i : i + BATCH])
        counts[coll] = len(rows)
    if store.get_meta(MANIFEST_KEY) is not None:
        store.set_meta(MANIFEST_KEY, None)  # a generator manifest no longer describes the data
    return counts


def dump(store: Store, folder: Path) -> dict[str, int]:
    """Write every data collection as a JSON array, one record per line; return counts."""
    folder = Path(folder)
    counts = {}
    for file, coll in DATA_FILES.items():
        path = folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        n = 0
        cur = store.conn.execute(
            "SELECT doc FROM docs WHERE collection=? ORDER BY seq, key", (coll,))
        with tmp.open("w", encoding="utf-8") as out:
            out.write("[")
            for (doc,) in cur:
                out.write(",\n" if n else "\n")
                out.write(doc)
                n += 1
            out.write("\n]\n" if n else "]\n")
        os.replace(tmp, path)
        counts[coll] = n
    return counts
