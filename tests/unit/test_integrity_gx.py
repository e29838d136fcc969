"""The Great Expectations suite agrees with the reference rules, check by check, on the hand-built
records of test_integrity_rules (one shared GX validation: importing GX costs seconds)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support_ops.integrity.frame import build_frame
from support_ops.integrity.rules import CHECK_NAMES, evaluate
from tests.unit.test_integrity_rules import ACCOUNTS, EXPECTED, ORGS, SHORT_A, STAFF_O


@pytest.fixture(scope="module")
def frame():
    return build_frame(ACCOUNTS, ORGS)


@pytest.fixture(scope="module")
def gx_run(frame, tmp_path_factory):
    from support_ops.integrity.gx_suite import validate

    root = tmp_path_factory.mktemp("gx")
    docs = root / "reports" / "data_docs" / "local_site"
    result = validate(frame, "unit-test", project_dir=root / "gx", docs_dir=docs)
    return result, root, docs


def test_gx_and_the_reference_agree_on_every_check(gx_run):
    result, _, _ = gx_run
    reference = evaluate(ACCOUNTS, ORGS).findings
    for check in CHECK_NAMES:
        assert result.findings[check] == reference[check] == EXPECTED[check], check
    assert result.success is False  # the records are built to fail every check


def test_one_expectation_per_check_with_complete_results(gx_run):
    _, root, _ = gx_run
    suite = json.loads((root / "gx" / "gx" / "expectations" / "crm_integrity.json").read_text())
    assert [e["meta"]["check_name"] for e in suite["expectations"]] == list(CHECK_NAMES)
    checkpoint = json.loads((root / "gx" / "gx" / "checkpoints" / "crm_integrity_checkpoint.json").read_text())
    assert checkpoint["result_format"]["result_format"] == "COMPLETE"
    assert [a["type"] for a in checkpoint["actions"]] == ["update_data_docs"]


def test_data_docs_are_written_to_the_configured_site(gx_run):
    result, _, docs = gx_run
    assert result.data_docs_index == docs / "index.html" and result.data_docs_index.exists()
    assert "crm_integrity" in result.data_docs_index.read_text()
    assert list((docs / "validations" / "crm_integrity").rglob("*.html"))
    assert result.validation_url and "crm_integrity" in result.validation_url


def test_the_frame_is_an_outer_join_on_the_15_character_id(frame):
    pairs = frame[frame["pair_row"]]
    in_scope_accounts = {a["id"] for a in ACCOUNTS if a["type"] == "Customer" and not a["is_deleted"]}
    assert set(pairs["account_id"].dropna()) == in_scope_accounts
    assert set(pairs["org_id"].dropna()) == {str(o["id"]) for o in ORGS if not o["deleted_at"]}
    short = pairs[pairs["account_id"] == SHORT_A["id"]]
    assert list(short["linked"]) == [True]
    staff = pairs[pairs["org_id"] == str(STAFF_O["id"])]
    assert list(staff["has_account"]) == [False]
    assert frame["account_row"].sum() == len(in_scope_accounts)


def test_importing_the_package_loads_neither_pandas_nor_gx():
    code = ("import sys, support_ops.integrity, support_ops.reports.integrity_report; "
            "print([m for m in ('pandas', 'great_expectations') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
