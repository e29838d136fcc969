"""The sandbox's organization bulk endpoints behave as Zendesk's (API reference: Organizations,
Job Statuses; "Rate limits", Job limit; the recorded real responses in tests/fixtures/recorded):
per-item results and errors, jobs that must be polled, the 30 queued-jobs limit answered 429
with Retry-After, job statuses that expire, the job list, create_many."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.core.collections import ZD_ORGANIZATIONS
from support_ops.clients.zendesk import SupportZendeskHook
from tests.conftest import use_sandbox

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded" / "zendesk" / "organizations_update_many.json"


@pytest.fixture
def api(sandbox_factory, monkeypatch):
    sb = use_sandbox(monkeypatch, sandbox_factory(populate="generate"))
    session, base = SupportZendeskHook().api_session()
    return sb, session, base


def _orgs(sb, n: int) -> list[int]:
    return sorted(int(o["id"]) for o in sb.store.all(ZD_ORGANIZATIONS) if not o.get("deleted_at"))[:n]


def _poll(session, base, job: dict) -> dict:
    for _ in range(10):
        if job["status"] in ("completed", "failed", "killed"):
            return job
        job = session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10).json()["job_status"]
    raise AssertionError(f"job {job['id']} never finished")


def test_update_many_results_have_the_recorded_shape(api):
    sb, session, base = api
    ids = _orgs(sb, 3)
    sb.store.set_meta("zendesk.jobs", {"fail": {str(ids[1]): 1}})
    body = {"organizations": [{"id": i, "organization_fields": {"market_segment": "SMB"}} for i in ids]
            + [{"id": 1, "organization_fields": {}}]}
    resp = session.put(f"{base}/organizations/update_many.json", json=body, timeout=10)
    job = resp.json()["job_status"]
    recorded = json.loads(RECORDED.read_text())
    queued = next(r["response_json"]["job_status"] for r in recorded if r["method"] == "PUT")
    assert set(job) == set(queued) and job["status"] == "queued" and job["results"] is None
    first = session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10).json()["job_status"]
    assert first["status"] == "working"  # clients must really poll
    done = _poll(session, base, first)
    assert done["status"] == "completed" and done["total"] == 4
    ok, failed, missing = done["results"][0], done["results"][1], done["results"][3]
    real = next(r["response_json"]["job_status"] for r in recorded
                if r["method"] == "GET" and (r["response_json"].get("job_status") or {}).get("status") == "completed"
                and any(x.get("action") == "update" for x in r["response_json"]["job_status"]["results"]))
    real_ok = next(x for x in real["results"] if x.get("success"))
    real_err = next(x for x in real["results"] if "error" in x)
    assert set(ok) == set(real_ok) and ok == {"action": "update", "id": ids[0], "status": "Updated", "success": True}
    assert set(failed) == set(real_err) and failed["index"] == 1 and failed["id"] == ids[1]
    assert failed["error"] == "OrganizationUpdateFailed"
    assert missing["error"] == "RecordNotFound" and missing["index"] == 3
    assert sb.store.get(ZD_ORGANIZATIONS, ids[0])["organization_fields"]["market_segment"] == "SMB"
    listed = session.get(f"{base}/job_statuses.json", timeout=10).json()["job_statuses"]
    assert listed[0]["id"] == job["id"] and listed[0]["status"] == "completed"


def test_more_than_100_is_refused(api):
    sb, session, base = api
    body = {"organizations": [{"id": i, "organization_fields": {}} for i in range(101)]}
    resp = session.put(f"{base}/organizations/update_many.json", json=body, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "TooManyValues"
    resp = session.get(f"{base}/organizations/show_many.json", params={"ids": ",".join(map(str, range(1, 102)))},
                       timeout=10)
    assert resp.status_code == 400


def test_the_queued_jobs_limit_answers_429_with_retry_after(api):
    sb, session, base = api
    sb.store.set_meta("zendesk.jobs", {"run_seconds": 600})  # jobs stay queued until polled twice
    ids = _orgs(sb, 1)
    body = {"organizations": [{"id": ids[0], "organization_fields": {"market_segment": "SMB"}}]}
    jobs = [session.put(f"{base}/organizations/update_many.json", json=body, timeout=10).json()["job_status"]
            for _ in range(30)]
    resp = session.put(f"{base}/organizations/update_many.json", json=body, timeout=10)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.json()["error"] == "TooManyJobs"
    _poll(session, base, jobs[0])  # one finishes: there is room again
    assert session.put(f"{base}/organizations/update_many.json", json=body, timeout=10).status_code == 200


def test_job_statuses_expire(api):
    sb, session, base = api
    ids = _orgs(sb, 1)
    job = session.put(f"{base}/organizations/update_many.json",
                      json={"organizations": [{"id": ids[0], "organization_fields": {}}]}, timeout=10).json()["job_status"]
    assert session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10).status_code == 200
    sb.store.set_meta("zendesk.jobs", {"ttl": -1})  # an hour later
    resp = session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10)
    assert resp.status_code == 404 and resp.json()["error"] == "RecordNotFound"
    assert session.get(f"{base}/job_statuses.json", timeout=10).json()["job_statuses"] == []


def test_create_many_creates_through_a_job(api):
    sb, session, base = api
    taken = sb.store.get(ZD_ORGANIZATIONS, _orgs(sb, 1)[0])["name"]
    body = {"organizations": [{"name": "Brand New Org", "organization_fields": {"support_level": "premium"}},
                              {"name": taken}]}
    job = session.post(f"{base}/organizations/create_many.json", json=body, timeout=10).json()["job_status"]
    done = _poll(session, base, job)
    created, dupe = done["results"]
    assert created["status"] == "Created" and set(created) == {"id", "status"}
    assert dupe["index"] == 1 and "has already been taken" in dupe["details"]
    org = session.get(f"{base}/organizations/{created['id']}.json", timeout=10).json()["organization"]
    assert org["name"] == "Brand New Org" and org["organization_fields"] == {"support_level": "premium"}
