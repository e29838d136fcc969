"""Serves the project's reports folder inside the Airflow UI, with a menu link to it."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from support_ops.config import settings
from support_ops.reports.index import render_index

URL_PREFIX = "/support-ops"

reports_app = FastAPI(title="Support Ops reports")


@reports_app.get("/", response_class=HTMLResponse)
def index() -> str:
    """Links to every generated report, newest first."""
    return render_index(settings().reports_dir, base_href=f"{URL_PREFIX}/reports/")


reports_app.mount(
    "/reports", StaticFiles(directory=settings().reports_dir, html=True, check_dir=False), name="reports"
)


class SupportOpsReportsPlugin(AirflowPlugin):
    name = "support_ops_reports"
    fastapi_apps = [{"app": reports_app, "url_prefix": URL_PREFIX, "name": "Support Ops reports"}]
    external_views = [
        {
            "name": "Support Ops reports",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "support-ops-reports",
        }
    ]
