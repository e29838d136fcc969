"""SANDBOX_DATA folders: dump/load round trip of every collection, refusal of malformed or
impossible records with the previous state kept, lenient loading, live mode."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import gitlab
import pagerduty
import pytest
import requests
from airflow.providers.pagerduty.hooks.pagerduty_events import (
    PagerdutyEventsHook,
    prepare_event_data,
)
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

from sandbox.__main__ import main as sandbox_main
from sandbox.core.collections import (
    DATA_FILES,
    GL_ISSUES,
    GL_USERS,
    PD_INCIDENTS,
    SF_ACCOUNT,
    ZD_SATISFACTION_RATINGS,
    ZD_TICKETS,
)
from sandbox.core.config import SERVICES
from sandbox.core.datadir import DataFolderError, dump, load
from sandbox.core.live import LiveActivity, run_live
from sandbox.core.server import free_port
from sandbox.core.store import Store
from sandbox.generate import generate
from sandbox.generate.util import rng_for
from sandbox.testing import use_sandbox

NOW = "2026-11-20T12:00:00Z"
ROWS = "SELECT collection, key, seq, ts, doc FROM docs ORDER BY collection, key"
T = "2026-01-02T03:04:05Z"


def _files(folder: Path) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in folder.rglob("*.json")}


def _rows(store: Store) -> list[tuple]:
    return store.conn.execute(ROWS).fetchall()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Store, Path]:
    base = tmp_path_factory.mktemp("datadir")
    store = Store(base / "gen.db")
    generate(store, seed=4, scale=0.05, now=NOW)
    dump(store, base / "dump")
    return store, base / "dump"


def test_round_trip_of_generated_state_is_identical(generated, tmp_path):
    store, folder = generated
    counts = load(tmp_path / "fresh.db", folder)
    fresh = Store(tmp_path / "fresh.db")
    assert counts[ZD_TICKETS] == store.count(ZD_TICKETS) > 0
    assert _rows(fresh) == _rows(store)  # same keys, seq and ts as the generator computed
    dump(fresh, tmp_path / "again")
    assert _files(tmp_path / "again") == _files(folder)
    tickets = json.loads((folder / "zendesk/tickets.json").read_text())
    assert isinstance(tickets, list) and tickets[0]["id"] and "_seq" not in tickets[0]
    accounts = json.loads((folder / "salesforce/Account.json").read_text())
    assert "attributes" not in accounts[0] and accounts[0]["Owner"]["Name"]


def _use_every_service(sb, monkeypatch) -> None:
    """Write to every collection a service keeps, through the real client libraries."""
    use_sandbox(monkeypatch, sb)
    conn = json.loads(sb.env["AIRFLOW_CONN_GITLAB_DEFAULT"])
    gl = gitlab.Gitlab(conn["host"], private_token=conn["password"])
    project = gl.projects.get("gitlab-com/support/feedback")
    issue = project.issues.create({"title": "Bad rating on ticket 100001", "labels": ["SSAT"]})
    issue.notes.create({"body": "Followed up with the customer."})
    issue.state_event = "close"
    issue.save()
    project.files.create({"file_path": "kpi/2026-11.json", "branch": "main",
                          "content": '{"csat": 0.96}', "commit_message": "KPI report"})
    project.commits.create({"branch": "main", "commit_message": "Drop the README", "actions": [
        {"action": "delete", "file_path": "README.md"}]})
    SlackWebhookHook(slack_webhook_conn_id="slack_default").send_text("CSAT below target")
    hook = PagerdutyEventsHook(pagerduty_events_conn_id="pagerduty_events_default")
    base = hook.get_connection("pagerduty_events_default").extra_dejson["base_url"]
    events = pagerduty.EventsApiV2Client(hook.integration_key, base_url=base)
    events.send_event(**prepare_event_data(summary="SLA breach", severity="critical",
                                           source="support-ops", dedup_key="sla-open"))
    creds = sb.credentials["zendesk"]
    zd = sb.config.base_url("zendesk")
    token = requests.post(f"{zd}/oauth/tokens", timeout=10, data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"], "scope": "read write"}).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    org = next(sb.store.all("zd_organizations"))
    job = requests.put(f"{zd}/api/v2/organizations/update_many.json", headers=h, timeout=10,
                       json={"organizations": [{"id": org["id"], "notes": "synced"}]}).json()
    requests.get(job["job_status"]["url"], headers=h, timeout=10)  # a poll updates the job
    sb.store.put(GL_USERS, 7, {"id": 7, "username": "amara", "name": "Amara Okafor",
                               "state": "active"}, 0, 7)


def test_dump_then_load_round_trips_every_collection(sandbox_factory, monkeypatch, tmp_path):
    sb = sandbox_factory(populate="generate")
    _use_every_service(sb, monkeypatch)
    before = _rows(sb.store)
    present = {row[0] for row in before}
    assert set(DATA_FILES.values()) <= present, set(DATA_FILES.values()) - present
    counts = dump(sb.store, tmp_path / "dump")
    assert set(counts) >= set(DATA_FILES.values()) and all(counts.values())
    load(tmp_path / "loaded.db", tmp_path / "dump")
    loaded = Store(tmp_path / "loaded.db")
    assert _rows(loaded) == before
    # The open incident is still found by its dedup key: a second trigger does not open another.
    assert loaded.get_meta("pd_open_incident:PL3TX00:sla-open") == \
        sb.store.get_meta("pd_open_incident:PL3TX00:sla-open") is not None


def _folder(tmp_path: Path, files: dict[str, list | str]) -> Path:
    folder = tmp_path / "data"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


TICKET = {"id": 7, "status": "open", "created_at": T, "updated_at": T, "tags": [],
          "requester_id": 11}


def test_missing_files_are_empty_collections(tmp_path):
    folder = _folder(tmp_path, {
        "zendesk/tickets.json": [TICKET],
        "salesforce/Account.json": [
            {"attributes": {"type": "Account"}, "Id": "001000000000aBc", "Name": "X",
             "SystemModstamp": "2026-01-02T03:04:05.000+0000",
             "Owner": {"attributes": {"type": "User"}, "Name": "O"}}]})
    counts = load(tmp_path / "s.db", folder)
    store = Store(tmp_path / "s.db")
    assert counts[ZD_TICKETS] == 1 and counts[SF_ACCOUNT] == 1
    assert sum(counts.values()) == 2 and set(counts) == set(DATA_FILES.values())
    row = store.page_by_ts(ZD_TICKETS, None, 10)[0]
    assert row[0] == 1767323045 and row[1] == 7  # ts from updated_at, seq = id
    acc = next(store.all(SF_ACCOUNT))
    # attributes stripped (also nested), the 15-character id extended with its checksum
    assert acc == {"Id": "001000000000aBcAAI", "Name": "X",
                   "SystemModstamp": "2026-01-02T03:04:05.000+0000", "Owner": {"Name": "O"}}


def _t(**change) -> dict:
    return {**TICKET, **change}


RATING = {"id": 9, "ticket_id": 7, "score": "good", "created_at": T, "updated_at": T}
# (file, content, record, field, words of the reason)
BAD = [
    ("zendesk/tickets.json", "[{\"id\": 1},", None, None, "invalid JSON"),
    ("zendesk/users.json", '{"users": []}', None, None, "JSON array"),
    ("zendesk/organizations.json", '[5]', 0, None, "object"),
    ("zendesk/tickets.json", [TICKET, _t(id=8), {**TICKET, "id": 8}], 2, None, "duplicate"),
    ("zendesk/tickets.json", [TICKET, _t(id="3")], 1, "id", "integer"),
    ("zendesk/tickets.json", [TICKET, _t(id=2**63)], 1, "id", "2^63"),
    ("zendesk/tickets.json", [_t(requester_id=2**64)], 0, "requester_id", "2^63"),
    ("zendesk/tickets.json", [{k: v for k, v in TICKET.items() if k != "created_at"}], 0,
     "created_at", "missing"),
    ("zendesk/tickets.json", [_t(status="resolved")], 0, "status", "not one of"),
    ("zendesk/tickets.json", [_t(updated_at="soon")], 0, "updated_at", "ISO 8601"),
    ("zendesk/tickets.json", [_t(updated_at="2026-01-02")], 0, "updated_at", "ISO 8601"),
    ("zendesk/tickets.json", [_t(generated_timestamp="soon")], 0, "generated_timestamp",
     "integer"),
    ("zendesk/tickets.json", json.dumps([TICKET])[:-2] + ', "score": NaN}]', 0, "score",
     "finite"),
    ("zendesk/tickets.json", json.dumps([TICKET])[:-2] + ', "score": 1e400}]', 0, "score",
     "finite"),
    ("zendesk/satisfaction_ratings.json", [{**RATING, "score": "great"}], 0, "score",
     "not one of"),
    ("zendesk/satisfaction_ratings.json", [{**RATING, "ticket_id": 99}], 0, "ticket_id",
     "not in zendesk/tickets.json"),
    ("zendesk/satisfaction_ratings.json", [{**RATING, "comment": {"body": "x"}}], 0, "comment",
     "string"),
    ("zendesk/satisfaction_ratings.json", [{k: v for k, v in RATING.items() if k != "id"}], 0,
     "id", "missing"),
    ("zendesk/ticket_metrics.json", [{"id": 5, "created_at": T, "updated_at": T}], 0,
     "ticket_id", "missing"),
    ("zendesk/users.json", [{"id": 3, "name": "A", "role": "owner", "created_at": T,
                             "updated_at": T}], 0, "role", "not one of"),
    ("salesforce/Account.json", [{"Id": 123}], 0, "Id", "Salesforce id"),
    ("salesforce/Account.json", [{"Id": "001000000000aBcXXX", "Name": "X",
                                  "SystemModstamp": "2026-01-02T03:04:05.000+0000"}], 0, "Id",
     "checksum"),
    ("gitlab/issues.json", [{"id": 1, "iid": 1, "project_id": 4040, "title": "x",
                             "state": "opened", "created_at": T, "updated_at": T}], 0,
     "project_id", "not in gitlab/projects.json"),
    ("zendesk/ticket.json", [TICKET], None, None, "unknown file"),
]


@pytest.mark.parametrize(("file", "content", "index", "fld", "reason"), BAD,
                         ids=[f"{b[0]}-{b[4]}-{i}" for i, b in enumerate(BAD)])
def test_refused_folder_leaves_the_previous_state_intact(generated, tmp_path, file, content, index,
                                                         fld, reason):
    """Every kind of refusal, against a store holding a full generated sandbox."""
    store, folder = generated
    target = tmp_path / "t.db"
    load(target, folder)
    before = _rows(Store(target))
    broken = _folder(tmp_path, {"zendesk/tickets.json": [TICKET], file: content})
    with pytest.raises(DataFolderError) as err:
        load(target, broken)
    message = str(err.value)
    assert "nothing was loaded" in message
    assert file in message and reason in message, message
    if index is not None:
        assert f"{file}: record {index}" in message, message
    if fld is not None:
        assert repr(fld) in message, message
    assert _rows(Store(target)) == before
    assert not [p for p in tmp_path.iterdir() if ".building-" in p.name]  # no side file left


def test_every_problem_is_listed(tmp_path):
    folder = _folder(tmp_path, {"zendesk/tickets.json": [_t(status="x"), _t(id=8, created_at=5)]})
    with pytest.raises(DataFolderError) as err:
        load(tmp_path / "s.db", folder)
    text = str(err.value)
    assert "(2 problem(s))" in text
    assert "record 0: field 'status'" in text and "record 1: field 'created_at'" in text


LENIENT_CASES = [
    _t(id=8, status="resolved"), _t(id=9, created_at=None), _t(id=2**63),
    _t(id=10, requester_id=2**64), _t(id="eleven"),
]


def test_lenient_loads_what_the_real_systems_never_return(tmp_path):
    rating_nowhere = {**RATING, "ticket_id": 999}
    text = json.dumps([TICKET, *LENIENT_CASES])[:-2] + ', "score": NaN}]'
    folder = _folder(tmp_path, {"zendesk/tickets.json": text,
                                "zendesk/satisfaction_ratings.json": [rating_nowhere]})
    with pytest.raises(DataFolderError):
        load(tmp_path / "s.db", folder)
    warnings: list[str] = []
    counts = load(tmp_path / "s.db", folder, lenient=True, warnings=warnings)
    assert counts[ZD_TICKETS] == 6 and counts[ZD_SATISFACTION_RATINGS] == 1
    store = Store(tmp_path / "s.db")
    docs = {d["id"]: d for d in store.all(ZD_TICKETS)}
    assert docs[8]["status"] == "resolved" and docs[2**63]["id"] == 2**63
    assert docs["eleven"]["id"] == "eleven"
    assert store.get(ZD_TICKETS, 2**63)["id"] == 2**63  # stored under its own id
    joined = "\n".join(warnings)
    for words in ("'status'", "'created_at'", "2^63", "'ticket_id'", "finite", "'id'"):
        assert words in joined, (words, joined)
    # ...but broken structure is refused in every mode.
    (folder / "zendesk/users.json").write_text('[1]')
    with pytest.raises(DataFolderError, match="expected an object"):
        load(tmp_path / "s.db", folder, lenient=True)
    assert store.count(ZD_TICKETS) == 6


def test_gitlab_users_and_issues_are_served_from_a_folder(sandbox_factory, monkeypatch, tmp_path):
    project = {"id": 31, "name": "Feedback", "path": "feedback", "default_branch": "main",
               "path_with_namespace": "acme/feedback", "web_url": "https://gitlab.example/acme/feedback"}
    user = {"id": 7, "username": "amara", "name": "Amara Okafor", "state": "active"}
    issue = {"id": 900, "iid": 3, "project_id": 31, "title": "Rating 5 on ticket 7",
             "description": "Too slow", "state": "opened", "created_at": T, "updated_at": T,
             "labels": ["SSAT"], "assignees": [user], "author": user,
             "web_url": "https://gitlab.example/acme/feedback/-/issues/3"}
    folder = _folder(tmp_path, {"gitlab/projects.json": [project], "gitlab/users.json": [user],
                                "gitlab/issues.json": [issue]})

    def populate(store, cfg):
        load(store, folder)

    sb = use_sandbox(monkeypatch, sandbox_factory(populate=populate))
    assert sb.store.count(GL_USERS) == 1 and sb.store.count(GL_ISSUES) == 1
    conn = json.loads(sb.env["AIRFLOW_CONN_GITLAB_DEFAULT"])
    gl = gitlab.Gitlab(conn["host"], private_token=conn["password"])
    listed = gl.projects.get("acme/feedback").issues.list(get_all=True)
    assert [(i.iid, i.title, i.assignees[0]["username"]) for i in listed] == \
        [(3, "Rating 5 on ticket 7", "amara")]
    assert [u.name for u in gl.users.list(username="Amara")] == ["Amara Okafor"]
    assert gl.users.get(7).username == "amara" and gl.users.list(search="nobody") == []
    created = gl.projects.get(31).issues.create({"title": "Another"})
    assert created.iid == 4  # iids continue after the loaded issue


def _cli(tmp_path: Path, *args: str) -> int:
    return sandbox_main(["--dir", str(tmp_path / "sb"), *args])


def test_cli_reset_refuses_a_folder_and_keeps_the_state(tmp_path, capsys, generated, monkeypatch):
    _, folder = generated
    for svc in SERVICES:  # reset refuses while something serves on the sandbox's ports
        monkeypatch.setenv(f"SANDBOX_{svc.upper()}_PORT", str(free_port()))
    assert _cli(tmp_path, "reset", "--data", str(folder)) == 0
    store = Store(tmp_path / "sb" / "sandbox.db")
    before = _rows(store)
    assert store.get_meta("populated")[ZD_TICKETS] > 0
    bad = _folder(tmp_path, {"zendesk/tickets.json": [_t(id=2**63)]})
    capsys.readouterr()
    assert _cli(tmp_path, "reset", "--data", str(bad)) == 2
    err = capsys.readouterr().err
    assert "zendesk/tickets.json: record 0: field 'id'" in err and "2^63" in err
    assert "OverflowError" not in err and "previous sandbox state is unchanged" in err
    assert _rows(Store(tmp_path / "sb" / "sandbox.db")) == before
    assert _cli(tmp_path, "reset", "--lenient", "--data", str(bad)) == 0
    assert "sandbox: lenient: loaded anyway: zendesk/tickets.json: record 0: field 'id'" in \
        capsys.readouterr().out
    assert Store(tmp_path / "sb" / "sandbox.db").get(ZD_TICKETS, 2**63) is not None


def test_live_activity_creates_updates_and_rates(tmp_path):
    store = Store(tmp_path / "live.db")
    generate(store, seed=4, scale=0.05, now=NOW)
    top = store.next_id(ZD_TICKETS)
    activity = LiveActivity(store, rng_for(4, "live"))
    start = int(time.time())
    totals = {"created": 0, "advanced": 0, "rated": 0, "changed": 0, "premium": 0}
    for step in range(30):
        for key, n in activity.tick(start + step).items():
            totals[key] += n
    assert totals["created"] >= 30 and totals["advanced"] >= 30
    assert totals["rated"] > 0 and totals["changed"] > 0
    new = store.page_by_seq(ZD_TICKETS, top - 1, 1000)
    assert len(new) == totals["created"] + totals["premium"]  # premium tickets are new ones too
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


def test_pd_incidents_keep_their_numbers(generated):
    store, folder = generated
    numbers = [i["incident_number"] for i in json.loads((folder / "pagerduty/incidents.json")
                                                        .read_text())]
    assert numbers == sorted(numbers) and store.count(PD_INCIDENTS) == len(numbers)
