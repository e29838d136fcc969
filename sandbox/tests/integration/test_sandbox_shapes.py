"""The generated sandbox serves Zendesk objects in the shapes of real recorded responses.

For every kind of object in `fixtures/recorded/zendesk/` (export tickets, organizations,
job statuses, views, envelopes of each pagination style), each recorded key must exist in
the sandbox's object of the same kind with the same JSON type (null matches anything),
recursively into nested objects and lists of objects. Keys the project's data contract
(docs/data-contract.md) names but the recordings lack are checked for presence as well.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.core.collections import ZD_ORGANIZATIONS

if not hasattr(pytest.importorskip("sandbox.generate"), "generate"):
    pytest.skip("the data generator (sandbox.generate.generate) is not written yet",
                allow_module_level=True)

FIXTURES_ENV = "SUPPORT_OPS_RECORDED_FIXTURES"


def _fixtures_dir() -> Path:
    """Recorded responses: $SUPPORT_OPS_RECORDED_FIXTURES, else the shared folder next to the repo."""
    if os.environ.get(FIXTURES_ENV):
        return Path(os.environ[FIXTURES_ENV])
    root = Path(__file__).resolve().parents[3]
    for candidate in (root / "tests" / "fixtures" / "recorded" / "zendesk",
                      root.parent / "shared" / "fixtures" / "recorded" / "zendesk"):
        if candidate.is_dir():
            return candidate
    pytest.skip("recorded Zendesk fixtures not found")


def _recorded(name: str) -> list[dict]:
    return json.loads((_fixtures_dir() / name).read_text())


def _jtype(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def schema_of(examples: list[dict]) -> dict[str, Any]:
    """Merge recorded objects into {key: (JSON type or "null", nested schema or None)}.

    The type is the first non-null one seen; nested schemas merge every object value
    (or every object in a list value) recorded under the key.
    """
    values: dict[str, list[Any]] = {}
    for obj in examples:
        for key, value in obj.items():
            values.setdefault(key, []).append(value)
    schema: dict[str, Any] = {}
    for key, vals in values.items():
        types = [_jtype(v) for v in vals if v is not None]
        jt = types[0] if types else "null"
        nested = None
        if jt == "object":
            nested = schema_of([v for v in vals if isinstance(v, dict)])
        elif jt == "array":
            items = [x for v in vals if isinstance(v, list) for x in v]
            if items and all(isinstance(x, dict) for x in items):
                nested = schema_of(items)
        schema[key] = (jt, nested)
    return schema


def check_shape(schema: dict[str, Any], obj: Any, where: str) -> list[str]:
    """Problems of `obj` against `schema`: missing keys and JSON type mismatches."""
    problems: list[str] = []
    if not isinstance(obj, dict):
        return [f"{where}: expected an object, got {_jtype(obj)}"]
    for key, (jt, nested) in schema.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
            continue
        value = obj[key]
        vt = _jtype(value)
        if jt != "null" and vt != "null" and vt != jt:
            problems.append(f"{where}.{key}: {vt}, recorded {jt}")
            continue
        if nested and vt == "object":
            problems += check_shape(nested, value, f"{where}.{key}")
        elif nested and vt == "array":
            for i, item in enumerate(value[:5]):
                problems += check_shape(nested, item, f"{where}.{key}[{i}]")
    return problems


def _assert_all(schema: dict, objects: list[dict], kind: str) -> None:
    assert objects, f"the sandbox returned no {kind}"
    problems = []
    for i, obj in enumerate(objects):
        problems += check_shape(schema, obj, f"{kind}[{i}]")
    assert not problems, "\n".join(sorted(set(problems))[:40])


def _responses(name: str, path_part: str, method: str = "GET") -> list[dict]:
    return [e["response_json"] for e in _recorded(name)
            if path_part in e["path"] and e["method"] == method and e["status"] < 300]


@pytest.fixture(scope="module")
def zd(sandbox):
    """The shared generated sandbox and OAuth headers for it (read-only use)."""
    base = sandbox.config.base_url("zendesk")
    creds = sandbox.credentials["zendesk"]
    tok = requests.post(f"{base}/oauth/tokens", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"]}, timeout=10).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tok}"
    return sandbox, base, session


def _get(zd, path: str, **params) -> dict:
    _, base, session = zd
    r = session.get(f"{base}/api/v2/{path}", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _envelope(body: dict, items_key: str) -> dict:
    return {k: v for k, v in body.items() if k != items_key}


def test_export_tickets_and_envelopes(zd):
    cursor_pages = _responses("incremental_tickets.json", "/incremental/tickets/cursor.json")
    time_pages = _responses("incremental_tickets.json", "/incremental/tickets.json")
    tickets = [t for page in cursor_pages + time_pages for t in page["tickets"]]
    ticket_schema = schema_of(tickets)

    got = _get(zd, "incremental/tickets/cursor.json", start_time=0, per_page=200)
    _assert_all(ticket_schema, got["tickets"], "cursor_export.tickets")
    _assert_all(schema_of([_envelope(p, "tickets") for p in cursor_pages]),
                [_envelope(got, "tickets")], "cursor_export")
    assert got["after_url"].startswith(zd[1])

    timed = _get(zd, "incremental/tickets.json", start_time=0, per_page=200)
    _assert_all(ticket_schema, timed["tickets"], "time_export.tickets")
    _assert_all(schema_of([_envelope(p, "tickets") for p in time_pages]),
                [_envelope(timed, "tickets")], "time_export")

    # The data contract: with include=metric_sets each live ticket carries its `metric_set`
    # (with solved_at), deleted ones none, and there is no top-level `metric_sets` array.
    with_metrics = _get(zd, "incremental/tickets/cursor.json", start_time=0, per_page=200,
                        include="metric_sets")
    assert "metric_sets" not in with_metrics
    live = [t for t in with_metrics["tickets"] if t["status"] != "deleted"]
    assert live and all("metric_set" not in t for t in with_metrics["tickets"] if t["status"] == "deleted")
    _assert_all(schema_of([{"id": 1, "ticket_id": 1, "solved_at": None, "created_at": "",
                            "updated_at": ""}]), [t["metric_set"] for t in live], "ticket.metric_set")
    assert all(t["metric_set"]["ticket_id"] == t["id"] for t in live)


def test_organizations_in_every_list_style(zd):
    name = "organizations_pagination.json"
    cursor_pages = [p for p in _responses(name, "/organizations.json") if "meta" in p]
    offset_pages = [p for p in _responses(name, "/organizations.json") if "meta" not in p]
    shown = _responses("organizations_update_many.json", "/organizations/show_many.json")
    org_schema = schema_of([o for p in cursor_pages + offset_pages + shown for o in p["organizations"]])
    contract = schema_of([{
        "id": 1, "name": "", "domain_names": [], "external_id": None, "shared_tickets": False,
        "shared_comments": False, "tags": [], "created_at": "", "updated_at": "",
        "deleted_at": None, "organization_fields": {
            k: None for k in ("salesforce_id", "support_level", "aar", "account_owner",
                              "number_of_seats", "market_segment", "sales_segmentation",
                              "technical_account_manager", "account_type")}}])

    cursor = _get(zd, "organizations.json", **{"page[size]": 50})
    _assert_all(org_schema, cursor["organizations"], "organizations(cursor)")
    _assert_all(contract, cursor["organizations"], "organizations(contract)")
    _assert_all(schema_of([_envelope(p, "organizations") for p in cursor_pages]),
                [_envelope(cursor, "organizations")], "organizations(cursor).envelope")
    assert cursor["links"]["next"].startswith(zd[1])

    offset = _get(zd, "organizations.json")
    _assert_all(org_schema, offset["organizations"], "organizations(offset)")
    _assert_all(schema_of([_envelope(p, "organizations") for p in offset_pages]),
                [_envelope(offset, "organizations")], "organizations(offset).envelope")

    ids = ",".join(str(o["id"]) for o in cursor["organizations"][:10])
    many = _get(zd, "organizations/show_many.json", ids=ids)
    _assert_all(org_schema, many["organizations"], "show_many")
    _assert_all(schema_of([_envelope(p, "organizations") for p in shown]),
                [_envelope(many, "organizations")], "show_many.envelope")


def test_job_status_of_update_many(zd, sandbox_factory):
    """Run on a private copy of one generated organization: the shared sandbox stays unchanged."""
    recorded = _responses("organizations_update_many.json", "", "PUT") + \
        _responses("organizations_update_many.json", "/job_statuses/")
    jobs = [r["job_status"] for r in recorded]
    results = [x for j in jobs for x in (j.get("results") or [])]
    ok_schema = schema_of([x for x in results if "success" in x])
    err_schema = schema_of([x for x in results if "error" in x])
    job_schema = schema_of([{k: v for k, v in j.items() if k != "results"} for j in jobs])

    org = _get(zd, "organizations.json", **{"page[size]": 1})["organizations"][0]

    def seed(store, cfg):
        store.put(ZD_ORGANIZATIONS, org["id"], org, ts=0, seq=org["id"])

    private = sandbox_factory(populate=seed)
    base = private.config.base_url("zendesk")
    creds = private.credentials["zendesk"]
    auth = (f"{creds['email']}/token", creds["api_token"])
    body = {"organizations": [{"id": org["id"], "notes": "checked"}, {"id": 1, "notes": "x"}]}
    queued = requests.put(f"{base}/api/v2/organizations/update_many.json", json=body, auth=auth,
                          timeout=10).json()["job_status"]
    _assert_all(job_schema, [queued], "job_status(queued)")
    job = queued
    for _ in range(5):
        job = requests.get(queued["url"], auth=auth, timeout=10).json()["job_status"]
        if job["status"] == "completed":
            break
    assert job["status"] == "completed"
    _assert_all(job_schema, [job], "job_status(completed)")
    _assert_all(ok_schema, [job["results"][0]], "job_status.results(ok)")
    _assert_all(err_schema, [job["results"][1]], "job_status.results(error)")


def test_views_and_counts(zd):
    recorded = _recorded("views_count.json")
    view_schema = schema_of([e["response_json"]["view"] for e in recorded if e["method"] == "POST"])
    count_schema = schema_of([e["response_json"] for e in recorded if e["path"].endswith("count.json")])

    # `execution` is display metadata (columns, grouping): its presence is checked, not its insides.
    view_schema["execution"] = ("object", None)
    views = _get(zd, "views.json")["views"]
    _assert_all(view_schema, views, "views")
    _assert_all(count_schema, [_get(zd, "views/count.json")], "views/count")
    ids = ",".join(str(v["id"]) for v in views[:20])
    counts = _get(zd, "views/count_many.json", ids=ids)["view_counts"]
    documented = schema_of([{"view_id": 1, "url": "", "value": 1, "pretty": "", "fresh": True}])
    _assert_all(documented, counts, "view_counts")


def test_satisfaction_ratings_contract(zd):
    """No recording exists; docs/data-contract.md fixes the keys."""
    contract = schema_of([{
        "id": 1, "url": "", "ticket_id": 1, "requester_id": 1, "assignee_id": None,
        "group_id": None, "score": "", "comment": None, "reason": None, "reason_id": None,
        "created_at": "", "updated_at": ""}])
    body = _get(zd, "satisfaction_ratings.json", **{"page[size]": 100})
    _assert_all(contract, body["satisfaction_ratings"], "satisfaction_ratings")
    assert {"has_more", "after_cursor", "before_cursor"} <= set(body["meta"])
    assert {"next", "prev"} <= set(body["links"])


def _query_keys(url: str) -> set[str]:
    from urllib.parse import parse_qsl, urlsplit

    return {k for k, _ in parse_qsl(urlsplit(url).query)}


def test_next_page_links_carry_what_the_recorded_ones_carry(zd):
    """Zendesk's recorded links keep the request's parameters and swap only the paging one:
    the same request to the sandbox gives links with the same parameter names."""
    checks = [  # (recording, request path with query as recorded, link field)
        ("incremental_tickets.json", "/api/v2/incremental/tickets/cursor.json?per_page=1&start_time=0", "after_url"),
        ("incremental_tickets.json", "/api/v2/incremental/tickets.json?per_page=1&start_time=0", "next_page"),
        ("organizations_pagination.json", "/api/v2/organizations.json?page%5Bsize%5D=1", "links.next"),
        ("organizations_pagination.json", "/api/v2/organizations.json?page%5Bsize%5D=1", "links.prev"),
    ]  # the offset `next_page` (`?page=2` without per_page) is checked in test_sandbox_zendesk
    _, base, session = zd
    for name, path, field in checks:
        recorded = next(e["response_json"] for e in _recorded(name) if e["path"] == path)
        got = session.get(base + path, timeout=30).json()
        rec_link, got_link = recorded, got
        for part in field.split("."):
            rec_link, got_link = rec_link[part], got_link[part]
        assert _query_keys(got_link) == _query_keys(rec_link), (path, field, got_link, rec_link)
