"""SANDBOX_DATA=DIR replaces the PagerDuty seed: pagerduty/*.json is what the audit reads."""

from __future__ import annotations

import datetime as dt
import json

from sandbox.core.collections import PD_SCHEDULES
from sandbox.core.datadir import dump, load
from sandbox.core.store import Store
from sandbox.pagerduty.seed import planted_oncall_findings, seed_pagerduty
from support_ops.clients.pagerduty import rest_client
from support_ops.oncall import store
from support_ops.oncall.runner import run_oncall
from tests.conftest import use_sandbox

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def test_a_data_folder_with_the_gap_repaired_gives_no_coverage_finding(sandbox_factory, monkeypatch, tmp_path,
                                                                       warehouse):
    seeded = Store(tmp_path / "seed.db")
    seed_pagerduty(seeded, NOW)
    folder = tmp_path / "data"
    dump(seeded, folder)
    path = folder / "pagerduty" / "schedules.json"
    schedules = json.loads(path.read_text())
    apac = next(s for s in schedules if s["id"] == "PWBXTYX")
    apac["schedule_layers"] = apac["schedule_layers"][:1]
    apac["schedule_layers"][0]["end"] = None  # the old layer goes on: no night without anyone
    apac["name"] = apac["summary"] = "Support Manager - APAC"
    path.write_text(json.dumps(schedules))

    sb = use_sandbox(monkeypatch, sandbox_factory(populate=lambda s, cfg: load(s, folder)))
    assert sb.store.count(PD_SCHEDULES) == len(schedules)
    run_oncall(warehouse, rest_client(), NOW)
    found = {(f["check_name"], f["entity_id"]) for f in store.load_findings(warehouse, NOW.date())}
    planted = {(p["check_name"], p["entity_id"]) for p in planted_oncall_findings(NOW)}
    assert found == planted - {("coverage_gap", "PWBXTYX")}
