"""The csat_kpis DAG for real: sandbox -> extraction -> DAG run (compute, report, Slack alert),
then the report opened in headless Chromium.

One backend (SQLite) is enough here; the computation runs on both in tests/integration.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from sandbox.core import collections as C
from sandbox.generate import generate
from support_ops.config import PROJECT_ROOT
from tests.conftest import use_sandbox
from tests.e2e.conftest import run_dag

W46 = dt.date(2026, 11, 9)  # the sandbox's "now" is 2026-11-20: its latest complete week
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def plant_bad_week(store, cfg) -> None:
    """The generated organization, with one good rating of week 2026-W46 turned bad, so the week
    is below target and the alert path runs (the generated week happens to be all good)."""
    generate(store, seed=cfg.seed, scale=cfg.scale, now=cfg.now)
    solved = {m["ticket_id"]: m["solved_at"] for m in store.all(C.ZD_TICKET_METRICS) if m.get("solved_at")}
    for r in store.all(C.ZD_SATISFACTION_RATINGS):
        day = solved.get(r["ticket_id"])
        if r["score"] == "good" and day and W46 <= dt.date.fromisoformat(day[:10]) < W46 + dt.timedelta(days=7):
            doc = {**r, "score": "bad", "reason": "My issue was not resolved", "reason_id": None}
            ts = int(dt.datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")).timestamp())
            store.put_many(C.ZD_SATISFACTION_RATINGS, [(r["id"], doc, ts, None)])
            return
    raise AssertionError("no good rating in 2026-W46 to turn bad")


def slack_messages(sb) -> list[dict]:
    body = requests.get(sb.config.base_url("slack") + "/_sandbox/messages", timeout=10).json()
    return body["messages"] if isinstance(body, dict) else body


@pytest.fixture(scope="module")
def dag_run(sandbox_factory, airflow_db, tmp_path_factory):
    """Extract a sandbox into a fresh SQLite warehouse and run csat_kpis once (really sending)."""
    from support_ops.clients.zendesk import SupportZendeskHook
    from support_ops.extract.zendesk import extract_all
    from support_ops.warehouse import get_engine, upgrade

    folder = tmp_path_factory.mktemp("csat_e2e")
    sb = sandbox_factory(populate=plant_bad_week)
    with pytest.MonkeyPatch.context() as mp:
        use_sandbox(mp, sb)
        url = f"sqlite:///{folder / 'warehouse.db'}"
        mp.setenv("AIRFLOW_CONN_SUPPORT_WAREHOUSE", url)
        mp.setenv("SUPPORT_OPS_DATA_DIR", str(folder / "data"))
        engine = get_engine(url)
        upgrade(engine)
        extract_all(engine, SupportZendeskHook(), start_time=0)
        run = run_dag("csat_kpis", dry_run=False)
        yield {"run": run, "engine": engine, "sandbox": sb, "reports": folder / "data" / "reports"}


def test_dag_run_computes_reports_and_alerts_once(dag_run):
    from support_ops.kpis.tables import csat_kpis
    from support_ops.kpis.tasks import alert_task
    from support_ops.outbound.tables import outbound_writes

    run, engine, sb = dag_run["run"], dag_run["engine"], dag_run["sandbox"]
    assert str(run.state).endswith("success")
    with engine.connect() as conn:
        row = conn.execute(select(csat_kpis).where(
            csat_kpis.c.period_type == "week", csat_kpis.c.period_start == W46,
            csat_kpis.c.segment_type == "all")).one()
        logged = conn.execute(select(outbound_writes.c.idempotency_key).where(
            outbound_writes.c.status == "applied")).scalars().all()
    assert row.bad == 1 and row.csat < 0.95
    run_date = run.run_after.date().isoformat()
    dated = dag_run["reports"] / "kpis" / run_date / "index.html"
    assert dated.exists() and (dag_run["reports"] / "kpis" / "latest" / "index.html").exists()
    sent = slack_messages(sb)
    assert len(sent) == 1 and logged == ["slack:csat-below-target:2026-W46"]
    text = sent[0]["text"]
    assert "2026-W46" in text and f"{row.csat:.1%}" in text and f"/support-ops/reports/kpis/{run_date}/index.html" in text
    # The same week again (a later run): nothing new is sent.
    again = alert_task({"latest_week": W46.isoformat()}, {"url": "/x"}, dry_run=False)
    assert again["status"] == "skipped" and len(slack_messages(sb)) == 1


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_report_renders_in_headless_chromium(dag_run, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires chromium for the KPI report check (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium): report not checked in a browser")
    page: Path = dag_run["reports"] / "kpis" / "latest" / "index.html"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "csat_kpis_report.png"
    shot.unlink(missing_ok=True)
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
              "--window-size=1280,2000"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln]
    assert console == [], console
    html = dom.stdout
    assert html.count('class="chart"') == 4 and "Customer satisfaction (CSAT) KPI report" in html
    assert "2026-W46" in html and "below target" in html
    done = subprocess.run([*common, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(str(shot))
    assert pixels.shape[1] == 1280
    inked = (pixels[..., :3].mean(axis=2) < 0.9).mean()
    assert inked > 0.05, f"screenshot looks blank ({inked:.1%} non-white)"


def test_the_report_lists_last_weeks_bad_rated_ticket_with_a_working_link(dag_run):
    """The bad rating planted in 2026-W46 is listed, linked to the sandbox's page of the ticket."""
    import html
    import re

    page = (dag_run["reports"] / "kpis" / "latest" / "index.html").read_text()
    assert "<h2>Weekly figures</h2>" in page and "<h2>Monthly figures</h2>" in page
    section = page.split("Bad-rated tickets · Week 2026-W46")[1].split("</table>")[0]
    hrefs = [html.unescape(h) for h in re.findall(r"href='([^']+/agent/tickets/\d+)'", section)]
    assert len(hrefs) == 1 and hrefs[0].startswith(dag_run["sandbox"].config.base_url("zendesk"))
    assert "My issue was not resolved" in section
    opened = requests.get(hrefs[0], timeout=10)
    assert opened.status_code == 200 and "Ticket #" in opened.text
    headline = (dag_run["reports"] / "headlines" / "kpis.json").read_text()
    assert "2026-W46" in headline and "below target" in headline
