"""make demo's runner (scripts/demo_run.py): the order is derived from the DAGs' Assets, a
failing DAG does not stop the others, and the table names each result with its first error."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("demo_run", ROOT / "scripts" / "demo_run.py")
demo_run = importlib.util.module_from_spec(SPEC)
sys.modules["demo_run"] = demo_run
SPEC.loader.exec_module(demo_run)


def test_order_of_the_project_dags_follows_their_assets():
    order, errors = demo_run.plan(ROOT / "dags")
    assert errors == {}
    files = sorted(p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_"))
    assert sorted(order) == [f for f in files if f != "shared_org_apply"]  # every DAG file but the manual-only
    assert order[0] == "warehouse_maintenance"  # it applies the migrations
    for consumer, producers in {"csat_kpis": ["zendesk_extract"],
                                "crm_integrity": ["zendesk_extract", "salesforce_extract"],
                                "salesforce_zendesk_org_sync": ["crm_integrity"]}.items():
        if consumer in order:
            assert all(order.index(p) < order.index(consumer) for p in producers), order


def test_first_error_prefers_the_failed_task_over_other_files_import_errors():
    log = "\n".join([
        "[error    ] Failed to import: dags/other.py",
        "Traceback (most recent call last):",
        '  File "dags/other.py", line 1, in <module>',
        "ModuleNotFoundError: No module named 'nope'",
        "[info     ] running",
        "[error    ] Task failed with exception     [task]",
        "Traceback (most recent call last):",
        '  File "x.py", line 3, in run',
        "    raise ValueError('no')",
        "ValueError: the warehouse said no",
    ])
    assert demo_run.first_error(log) == "ValueError: the warehouse said no"
    assert demo_run.first_error("a\n2026 [error    ] Cannot connect\n") == "2026 [error    ] Cannot connect"
    assert demo_run.first_error("all good\n") == ""


DAG = '''
from datetime import datetime
from airflow.sdk import Asset, dag, task

@dag(schedule={schedule}, start_date=datetime(2026, 1, 1), catchup=False)
def {name}():
    @task(outlets={outlets})
    def step():
        {body}
    step()

{name}()
'''


@pytest.mark.slow
def test_a_failing_dag_does_not_stop_the_others(tmp_path):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "a_consumer.py").write_text(DAG.format(
        name="a_consumer", schedule="[Asset('demo://made')]", outlets="[]", body="return 2"))
    (dags / "b_broken.py").write_text(DAG.format(
        name="b_broken", schedule="'@daily'", outlets="[Asset('demo://made')]",
        body="raise ValueError('the warehouse said no')"))
    (dags / "c_typo.py").write_text("from airflow.sdk import dag\nimport not_a_module_here\n")
    home = tmp_path / "home"
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_run.py"),
                          "--logs", str(tmp_path / "logs"), "--dags", str(dags)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 1, out.stdout + out.stderr
    text = out.stdout
    # The producer runs first although its name sorts later; the consumer still runs after it fails.
    assert text.index("running DAG b_broken") < text.index("running DAG a_consumer")
    table = text[text.index("==> results"):]
    log = re.escape(f"(log: {tmp_path}/logs/demo-b_broken.log)")
    assert re.search(rf"\n  b_broken +FAILED: ValueError: the warehouse said no {log}\n", table), table
    assert re.search(r"\n  a_consumer +ok \(\d+s\)\n", table), table
    assert re.search(r"\n  dags/c_typo.py +FAILED: does not import: ModuleNotFoundError: "
                     r"No module named 'not_a_module_here'\n", table), table
    assert "2 of 3 pipeline(s) failed; see their logs." in text
