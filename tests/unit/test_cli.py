"""The `support_ops` command line: one-line answers to bad input, incomplete periods marked,
absolute report links, and no `~/airflow` when run outside the project's environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from support_ops.cli import main
from support_ops.kpis.tables import csat_kpi_runs, csat_kpis
from support_ops.warehouse import get_engine, upgrade

AS_OF = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)  # a Friday: week 2026-W47 is not over


@pytest.fixture
def kpi_warehouse(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path / "data"))
    engine = get_engine(url)
    upgrade(engine)
    row = {"period_type": "week", "segment_type": "all", "segment_value": "all", "solved": 10, "surveyed": 8,
           "responded": 4, "good": 3, "bad": 1, "csat": 0.75, "response_rate": 0.5, "coverage": 0.8}
    with engine.begin() as conn:
        conn.execute(insert(csat_kpis), [{**row, "period_start": dt.date(2026, 11, 9)},
                                                {**row, "period_start": dt.date(2026, 11, 16)}])
        conn.execute(insert(csat_kpi_runs).values(
            run_id="t", computed_at=AS_OF, data_as_of=AS_OF, periods=2, tickets=20, seconds=0.1))
    return engine


def _one_line_error(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    out = capsys.readouterr()
    assert exc.value.code == 2 and out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    return lines[0]


def test_a_bad_period_is_answered_in_one_line(kpi_warehouse, capsys):
    line = _one_line_error(capsys, ["kpis", "--from", "2026-W99"])
    assert line == "support_ops kpis: error: --from '2026-W99' is not a week (use 2026-W46 or a date such as 2026-11-09)"
    line = _one_line_error(capsys, ["kpis", "--period", "month", "--to", "November"])
    assert line.startswith("support_ops kpis: error: --to 'November' is not a month")
    line = _one_line_error(capsys, ["kpis", "--from", "2026-W47", "--to", "2026-W40"])
    assert line == "support_ops kpis: error: --from '2026-W47' is after --to '2026-W40'"


def test_bad_options_and_commands_are_answered_in_one_line(capsys):
    line = _one_line_error(capsys, ["kpis", "--period", "fortnight"])
    assert line.startswith("support_ops kpis: error: argument --period: invalid choice: 'fortnight'")
    assert line.endswith("(see support_ops kpis --help)")
    assert "invalid choice" in _one_line_error(capsys, ["nonsense"])


def test_an_unmigrated_warehouse_is_answered_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", f"sqlite:///{tmp_path / 'empty.db'}")
    line = _one_line_error(capsys, ["kpis"])
    assert line.startswith("support_ops kpis: error: cannot read the warehouse (no such table")
    assert "support_ops migrate" in line


def test_the_unfinished_week_is_marked_incomplete(kpi_warehouse, capsys):
    assert main(["kpis", "--from", "2026-W46"]) == 0
    text = capsys.readouterr().out
    rows = [ln for ln in text.splitlines() if ln.startswith("2026-W")]
    assert rows[0].startswith("2026-W46 ") and rows[1].startswith("2026-W47* ")
    assert text.rstrip().endswith("* incomplete: the week has not ended yet, its figures will still change")
    assert main(["kpis", "--from", "2026-W46", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["period"], r["complete"]) for r in out] == [("2026-W46", True), ("2026-W47", False)]


def test_report_links_are_absolute(kpi_warehouse, monkeypatch):
    from support_ops import links
    from support_ops.kpis.cli import summary_lines

    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example.com:8080")
    links.reset()
    latest = Path(os.environ["SUPPORT_OPS_DATA_DIR"]) / "reports" / "kpis" / "latest" / "index.html"
    latest.parent.mkdir(parents=True)
    latest.write_text("<p>report</p>")
    try:
        last = summary_lines(kpi_warehouse)[-1]
    finally:
        links.reset()
    assert last == f"KPI report: http://airflow.example.com:8080/support-ops/reports/kpis/latest/index.html ({latest})"


def test_outside_the_project_environment_no_home_airflow_is_created(tmp_path):
    """Plain `.venv/bin/support_ops` with no AIRFLOW_HOME: Airflow is imported (connections are
    read), yet nothing appears in the user's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SUPPORT_OPS"))}
    env.update(HOME=str(tmp_path), SUPPORT_OPS_DATA_DIR=str(tmp_path / "data"))
    cli = Path(sys.executable).with_name("support_ops")
    for argv in (["migrate"], ["summary"], ["kpis"], ["integrity"]):
        done = subprocess.run([str(cli), *argv], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (argv, done.stderr[-2000:])
    assert not (tmp_path / "airflow").exists()
    assert "Traceback" not in done.stderr
