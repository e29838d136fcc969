"""DagBag policy: every DAG loads, follows the house rules, and parses without heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support_ops.dag_policy import ON_DAG_FAILURE, OWNER, TAGS

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
HEAVY = ["pandas", "great_expectations", "zenpy", "simple_salesforce", "gitlab", "matplotlib"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.models import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dagbag_has_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= len(DAG_FILES) >= 1


def test_one_dag_per_file_named_after_it(dagbag):
    by_file = {Path(d.fileloc).stem: dag_id for dag_id, d in dagbag.dags.items()}
    assert sorted(by_file) == sorted(p.stem for p in DAG_FILES)
    assert all(stem == dag_id for stem, dag_id in by_file.items())


def test_every_dag_follows_the_house_rules(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md.strip()) > 40, f"{dag_id}: doc_md missing"
        assert dag.tags, f"{dag_id}: no tags"
        assert set(dag.tags) <= TAGS, f"{dag_id}: tags outside the vocabulary: {set(dag.tags) - TAGS}"
        for t in dag.tasks:
            assert t.owner == OWNER, f"{dag_id}.{t.task_id}: owner {t.owner!r}"
            assert t.retries >= 2, f"{dag_id}.{t.task_id}: retries {t.retries}"


def test_every_dag_posts_a_failure_notice(dagbag):
    """One Slack message per failed run: the DAG-level callback from dag_policy, on every DAG."""
    for dag_id, dag in dagbag.dags.items():
        callbacks = dag.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert ON_DAG_FAILURE in callbacks, f"{dag_id}: on_failure_callback=ON_DAG_FAILURE missing"
        for t in dag.tasks:  # per-task callbacks would post once per task, not once per run
            per_task = t.on_failure_callback or []
            per_task = per_task if isinstance(per_task, list) else [per_task]
            assert ON_DAG_FAILURE not in per_task, f"{dag_id}.{t.task_id}: failure notice set per task"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_without_heavy_imports(dag_file):
    code = (
        "import json, runpy, sys\n"
        f"runpy.run_path({str(dag_file)!r})\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{dag_file.name} imports {loaded} at parse time"
