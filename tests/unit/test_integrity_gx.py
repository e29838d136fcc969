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
    docs = root / "reports" / "data_docs"
    result = validate(frame, "crm-integrity-2026-11-20", project_dir=root / "gx", docs_dir=docs)
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
    assert checkpoint["actions"] == []  # GX's own HTML site is not built (CDN assets, unescaped values)


def test_the_validation_page_shows_what_data_docs_showed(gx_run):
    result, _, docs = gx_run
    page = docs / "2026-11-20" / "index.html"
    text = page.read_text()
    assert result.data_docs_index == page
    assert text.split("<h2>")[1] == (docs / "latest" / "index.html").read_text().split("<h2>")[1]
    assert "crm_integrity" in text and text.count("<td class='low'>failed</td>") == len(CHECK_NAMES)
    assert "expect_column_values_to_match_regex" in text and "org_domain" in text
    assert not (docs / "local_site").exists()
    assert "<script src='../../_kit/kit.js' defer></script>" in text and "http" not in text.split("<main>")[0]


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
    code = ("import sys, support_ops.integrity, support_ops.integrity.report; "
            "print([m for m in ('pandas', 'great_expectations') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_gx_logs_nothing_below_warning(tmp_path):
    """A task log shows the check's own lines, not GX's hundreds of INFO lines."""
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout, "
        "format='%(name)s|%(levelname)s|%(message)s')\n"
        "from support_ops.integrity.frame import build_frame\n"
        "from support_ops.integrity.gx_suite import validate\n"
        "from tests.unit.test_integrity_rules import ACCOUNTS, ORGS\n"
        f"validate(build_frame(ACCOUNTS, ORGS), 'crm-integrity-2026-11-20', project_dir=__import__('pathlib').Path({str(tmp_path)!r}) / 'gx', "
        f"docs_dir=__import__('pathlib').Path({str(tmp_path)!r}) / 'reports' / 'data_docs')\n")
    from support_ops.config import PROJECT_ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    lines = [ln for ln in out.stdout.splitlines() if "|" in ln]
    gx_lines = [ln for ln in lines if "great_expectations" in ln.split("|")[0]]
    assert gx_lines == [], gx_lines[:5]
    assert any(ln.startswith("support_ops.integrity.gx_suite|INFO|GX checkpoint") for ln in lines)
