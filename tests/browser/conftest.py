"""Reports built from hostile data, served by a real Airflow api-server with the project's plugin.

The warehouse holds an account and organizations whose names, domain and a rating comment carry
`<script>` and `<img onerror>` payloads; the KPI report, the integrity summary and the GX
validation page are built from it the way the DAGs build them (GX included). Then
`airflow api-server` (simple auth manager, one test user) serves them on a free loopback port.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from sandbox.core.server import free_port

PAYLOAD = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"
HOSTILE_NAME = f"Evil {PAYLOAD} Corp"
HOSTILE_DOMAIN = "<img src=x onerror=window.__pwned=3>.com"
RUN_DATE = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ACCOUNT_1, ACCOUNT_2 = "0018X00000EVIL1AAA", "0018X00000EVIL2AAA"
USER, PASSWORD = "report-reader", secrets.token_urlsafe(12)


def _extracted(raw: dict) -> dict:
    return {"raw": raw, "extracted_at": NOW}


def plant_hostile_warehouse(engine) -> None:
    """Accounts, organizations, a solved ticket and its bad rating, all carrying the payloads."""
    from sqlalchemy import insert

    from support_ops.extract.tables import (
        sf_accounts,
        zd_organizations,
        zd_satisfaction_ratings,
        zd_ticket_forms,
        zd_tickets,
    )
    from support_ops.warehouse import upgrade

    upgrade(engine)
    accounts = [
        {"id": ACCOUNT_1, "id15": ACCOUNT_1[:15], "name": HOSTILE_NAME, "type": "Customer", "is_deleted": False,
         "support_level": "premium", "deployment": "GitLab.com", "zendesk_organization_id": "7001",
         "zendesk_organization_name": HOSTILE_NAME + " Org", "system_modstamp": NOW, **_extracted({"Id": ACCOUNT_1})},
        {"id": ACCOUNT_2, "id15": ACCOUNT_2[:15], "name": HOSTILE_NAME, "type": "Customer", "is_deleted": False,
         "support_level": "ultimate", "deployment": "Self-Managed", "system_modstamp": NOW,
         **_extracted({"Id": ACCOUNT_2})},
    ]
    orgs = [
        {"id": 7001, "name": HOSTILE_NAME + " Org", "domain_names": [HOSTILE_DOMAIN, "ok.example.com"], "tags": [],
         "salesforce_id": ACCOUNT_1, "support_level": None, "updated_at": NOW, **_extracted({"id": 7001})},
        {"id": 7002, "name": PAYLOAD, "domain_names": [], "tags": [], "salesforce_id": None,
         "support_level": "premium", "updated_at": NOW, **_extracted({"id": 7002})},
    ]
    solved = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)  # week 2026-W46, month November: both shown
    tickets = [{"id": 1001, "status": "solved", "is_deleted": False, "tags": ["csat_survey_sent"],
                "organization_id": 7001, "solved_at": solved, "created_at": solved, "updated_at": solved,
                "satisfaction_score": "bad", **_extracted({"id": 1001})},
               {"id": 1002, "status": "solved", "is_deleted": False, "tags": ["csat_survey_sent"],
                "organization_id": 7002, "solved_at": dt.datetime(2026, 10, 14, 9, tzinfo=dt.UTC),
                "created_at": solved, "updated_at": solved, "satisfaction_score": "bad", **_extracted({"id": 1002})}]
    ratings = [{"id": 5001, "ticket_id": 1001, "score": "bad", "reason": PAYLOAD, "comment": HOSTILE_NAME,
                "updated_at": solved, "created_at": solved, **_extracted({"id": 5001})},
               {"id": 5002, "ticket_id": 1002, "score": "bad", "reason": "My issue was not resolved",
                "comment": PAYLOAD, "updated_at": solved, "created_at": solved, **_extracted({"id": 5002})}]
    forms = [{"id": 1, "name": PAYLOAD, "active": True, "updated_at": NOW, **_extracted({"id": 1})}]
    with engine.begin() as conn:
        for table, rows in ((sf_accounts, accounts), (zd_organizations, orgs),
                            (zd_tickets, [{**t, "ticket_form_id": 1} for t in tickets]),
                            (zd_satisfaction_ratings, ratings), (zd_ticket_forms, forms)):
            for row in rows:
                conn.execute(insert(table).values(**row))


@pytest.fixture(scope="session")
def hostile_reports(tmp_path_factory) -> Path:
    """Every report built from the hostile warehouse; returns the data folder."""
    from support_ops.integrity import run_checks
    from support_ops.kpis.compute import refresh
    from support_ops.kpis.report import write_report
    from support_ops.warehouse import get_engine

    data = tmp_path_factory.mktemp("browser-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUPPORT_OPS_DATA_DIR", str(data))
        mp.setenv("AIRFLOW_CONN_ZENDESK_DEFAULT", json.dumps({"conn_type": "zendesk", "host": "acme.zendesk.com"}))
        mp.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps(
            {"conn_type": "salesforce", "extra": {"instance_url": "https://acme.my.salesforce.com"}}))
        engine = get_engine(f"sqlite:///{data / 'warehouse.db'}")
        plant_hostile_warehouse(engine)
        refresh(engine, now=NOW)
        write_report(engine, RUN_DATE, root=data / "reports")
        run_checks(engine, RUN_DATE.isoformat(), use_gx=True)
    return data


@dataclass
class ApiServer:
    base_url: str
    token: str
    log: Path


def _airflow_db_ready() -> None:
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="session")
def api_server(hostile_reports, tmp_path_factory) -> Iterator[ApiServer]:
    """`airflow api-server` on a free loopback port, serving the plugin; stopped afterwards."""
    _airflow_db_ready()
    folder = tmp_path_factory.mktemp("api-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    passwords = folder / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    env = {**os.environ,
           "SUPPORT_OPS_DATA_DIR": str(hostile_reports),
           "AIRFLOW__API__BASE_URL": base,
           "AIRFLOW__CORE__AUTH_MANAGER":
               "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:viewer",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
           "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
           "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32)}
    log = folder / "api-server.log"
    airflow = Path(sys.executable).with_name("airflow")
    with log.open("wb") as out:
        proc = subprocess.Popen([str(airflow), "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"api-server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"api-server not healthy after 180 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        resp = requests.post(f"{base}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30)
        assert resp.status_code in (200, 201), resp.text
        yield ApiServer(base, resp.json()["access_token"], log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
