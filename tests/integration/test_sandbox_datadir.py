"""SANDBOX_DATA folders: dump/load round trip, refusal of malformed files, live mode."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from sandbox.collections import DATA_FILES, SF_ACCOUNT, ZD_SATISFACTION_RATINGS, ZD_TICKETS
from sandbox.datadir import DataFolderError, dump, load
from sandbox.generate import generate
from sandbox.generate.util import rng_for
from sandbox.live import LiveActivity, run_live
from sandbox.store import Store

NOW = "2026-11-20T12:00:00Z"


def _files(folder: Path) -> dict[str, bytes]:
    return {f: (folder / f).read_bytes() for f in DATA_FILES}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Store, Path]:
    base = tmp_path_factory.mktemp("datadir")
    store = Store(base / "gen.db")
    generate(store, seed=4, scale=0.05, now=NOW)
    dump(store, base / "dump")
    return store, base / "dump"


def test_round_trip_is_identical(generated, tmp_path):
    store, folder = generated
    fresh = Store(tmp_path / "fresh.db")
    counts = load(fresh, folder)
    assert counts[ZD_TICKETS] == store.count(ZD_TICKETS) > 0
    dump(fresh, tmp_path / "again")
    assert _files(tmp_path / "again") == _files(folder)
    query = "SELECT key, seq, ts, doc FROM docs WHERE collection=? ORDER BY key"
    for coll in DATA_FILES.values():  # same ts/seq as the generator computed
        assert fresh.conn.execute(query, (coll,)).fetchall() == \
            store.conn.execute(query, (coll,)).fetchall(), coll
    tickets = json.loads((folder / "zendesk/tickets.json").read_text())
    assert isinstance(tickets, list) and tickets[0]["id"]
    accounts = json.loads((folder / "salesforce/Account.json").read_text())
    assert "attributes" not in accounts[0] and accounts[0]["Owner"]["Name"]


def test_missing_files_are_empty_collections(tmp_path):
    folder = tmp_path / "data"
    (folder / "zendesk").mkdir(parents=True)
    (folder / "zendesk/tickets.json").write_text(json.dumps(
        [{"id": 7, "status": "open", "updated_at": "2026-01-02T03:04:05Z", "tags": []}]))
    (folder / "salesforce").mkdir()
    (folder / "salesforce/Account.json").write_text(json.dumps(
        [{"attributes": {"type": "Account"}, "Id": "001000000000aBc", "Name": "X",
          "SystemModstamp": "2026-01-02T03:04:05.000+0000",
          "Owner": {"attributes": {"type": "User"}, "Name": "O"}}]))
    store = Store(tmp_path / "s.db")
    counts = load(store, folder)
    assert counts[ZD_TICKETS] == 1 and counts[SF_ACCOUNT] == 1
    assert sum(counts.values()) == 2 and set(counts) == set(DATA_FILES.values())
    row = store.page_by_ts(ZD_TICKETS, None, 10)[0]
    assert row[0] == 1767323045 and row[1] == 7  # ts from updated_at, seq = id
    acc = next(store.all(SF_ACCOUNT))
    # attributes stripped (also nested), the 15-character id extended with its checksum
    assert acc == {"Id": "001000000000aBcAAI", "Name": "X",
                   "SystemModstamp": "2026-01-02T03:04:05.000+0000", "Owner": {"Name": "O"}}


BAD = [
    ("zendesk/tickets.json", "[{\"id\": 1},", None, None, "invalid JSON"),
    ("zendesk/users.json", '{"users": []}', None, None, "JSON array"),
    ("zendesk/organizations.json", '[{"id": 1}, 5]', 1, None, "object"),
    ("zendesk/satisfaction_ratings.json", '[{"id": 1}, {"score": "good"}]', 1, "id", "missing"),
    ("zendesk/tickets.json", '[{"id": 1}, {"id": 2}, {"id": "3"}]', 2, "id", "integer"),
    ("salesforce/Account.json", '[{"Id": 123}]', 0, "Id", "string"),
    ("zendesk/ticket_metrics.json", '[{"id": 5}]', 0, "ticket_id", "missing"),
    ("zendesk/tickets.json", '[{"id": 1, "generated_timestamp": "soon"}]', 0,
     "generated_timestamp", "timestamp"),
]


@pytest.mark.parametrize(("file", "text", "index", "field", "problem"), BAD)
def test_malformed_file_is_refused_and_store_unchanged(generated, tmp_path, file, text, index,
                                                       field, problem):
    store, folder = generated
    target = Store(tmp_path / "t.db")
    load(target, folder)
    before = target.conn.execute("SELECT collection, key, ts, doc FROM docs ORDER BY 1, 2").fetchall()
    broken = tmp_path / "broken"
    for f, content in _files(folder).items():
        (broken / f).parent.mkdir(parents=True, exist_ok=True)
        (broken / f).write_bytes(content)
    (broken / file).write_text(text)
    with pytest.raises(DataFolderError) as err:
        load(target, broken)
    message = str(err.value)
    assert file in message and problem in message
    if index is not None:
        assert f"record {index}" in message
    if field is not None:
        assert repr(field) in message
    after = target.conn.execute("SELECT collection, key, ts, doc FROM docs ORDER BY 1, 2").fetchall()
    assert after == before


def test_live_activity_creates_updates_and_rates(tmp_path):
    store = Store(tmp_path / "live.db")
    generate(store, seed=4, scale=0.05, now=NOW)
    top = store.next_id(ZD_TICKETS)
    activity = LiveActivity(store, rng_for(4, "live"))
    start = int(time.time())
    totals = {"created": 0, "advanced": 0, "rated": 0, "changed": 0}
    for step in range(30):
        for key, n in activity.tick(start + step).items():
            totals[key] += n
    assert totals["created"] >= 30 and totals["advanced"] >= 30
    assert totals["rated"] > 0 and totals["changed"] > 0
    new = store.page_by_seq(ZD_TICKETS, top - 1, 1000)
    assert len(new) == totals["created"]
    assert all(t["generated_timestamp"] >= start for t in new)
    recent = [r for _, _, r in store.page_by_ts(ZD_SATISFACTION_RATINGS, (start, 0), 1000)]
    assert any(r["score"] == "good" and r["created_at"] < r["updated_at"] for r in recent) or \
        totals["changed"] > 0


def test_live_mode_tickets_reach_the_api(sandbox_factory):
    """run_live in a thread next to a served sandbox: new tickets show up over HTTP."""
    sb = sandbox_factory(populate="generate")
    top = sb.store.next_id(ZD_TICKETS)
    stop = threading.Event()
    thread = threading.Thread(target=run_live, args=(sb.store, sb.config, stop, 0.05), daemon=True)
    thread.start()
    deadline = time.time() + 20
    while sb.store.next_id(ZD_TICKETS) <= top + 3 and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert sb.store.next_id(ZD_TICKETS) > top + 3
    token = sb.credentials["zendesk"]
    resp = requests.get(f"{sb.config.base_url('zendesk')}/api/v2/tickets/{top}.json",
                        auth=(f"{token['email']}/token", token["api_token"]), timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json()["ticket"]["id"] == top
