"""Serves the project's reports inside the Airflow UI, behind Airflow's own login.

Mounted by Airflow's api-server at `/support-ops` (a plugin FastAPI app), so requests carry the
UI's session: the JWT in the `_token` cookie, or an `Authorization: Bearer` header. Every route
depends on Airflow's `requires_access_view(AccessView.WEBSITE)` — the same check the UI's own
pages use, answered by the configured auth manager — so an anonymous browser is sent to the
login page (and back afterwards) and any other anonymous client gets 401.

Every response carries a Content-Security-Policy allowing only the project's own script
(`_kit/kit.js`, served from this app), no inline script, no third-party anything: a value that
slipped through escaping still could not run. Report files are served read-only from
`settings().reports_dir`; nothing outside it is reachable.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from support_ops.config import settings
from support_ops.reports import kit
from support_ops.reports.index import render_index

URL_PREFIX = "/support-ops"
REPORTS_HREF = f"{URL_PREFIX}/reports/"
KIT_HREF = f"{REPORTS_HREF}{kit.KIT_FOLDER}/"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # customer data: not kept by shared caches
}
SERVED_TYPES = {".html", ".js", ".css", ".svg", ".png", ".json", ".txt"}

require_login = Depends(requires_access_view(AccessView.WEBSITE))
reports_app = FastAPI(title="Support Ops reports", docs_url=None, redoc_url=None, openapi_url=None,
                      dependencies=[require_login])


@reports_app.middleware("http")
async def security_headers(request: Request, call_next) -> Response:
    """Every answer, errors and redirects included, carries the CSP and friends."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _login_url(request: Request) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return get_auth_manager().get_url_login(next_url=target)


@reports_app.exception_handler(HTTPException)
async def refused(request: Request, exc: HTTPException) -> Response:
    """A browser without a session goes to Airflow's login page; other clients get the status."""
    wants_html = "text/html" in request.headers.get("accept", "")
    if exc.status_code == 401 and wants_html and request.method in ("GET", "HEAD"):
        return RedirectResponse(_login_url(request), status_code=303)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


@reports_app.get("/", response_class=HTMLResponse)
def home() -> str:
    """The latest of every capability at a glance, then the archive of dated reports."""
    return render_index(settings().reports_dir, base_href=REPORTS_HREF, kit_href=KIT_HREF)


@reports_app.get(f"/reports/{kit.KIT_FOLDER}/{{name}}")
def kit_asset(name: str) -> Response:
    """The kit's own script, from the package (always the installed version)."""
    if name not in kit.ASSETS:
        raise HTTPException(404, "not found")
    return FileResponse(kit.STATIC_DIR / name, media_type="text/javascript")


@reports_app.get("/reports/{path:path}")
def report_file(path: str) -> Response:
    """A file of the reports folder; a folder answers with its index.html."""
    root = settings().reports_dir.resolve()
    target = (root / path).resolve()
    if target != root and root not in target.parents:
        raise HTTPException(404, "not found")
    if target.is_dir():
        if path and not path.endswith("/"):
            return RedirectResponse(f"{REPORTS_HREF}{quote(path)}/", status_code=307)
        target = target / "index.html"
    if not target.is_file() or target.suffix.lower() not in SERVED_TYPES or _hidden(target, root):
        raise HTTPException(404, "not found")
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media)


def _hidden(target: Path, root: Path) -> bool:
    """Temporary files of a write in progress ('.name.tmp') are never served."""
    return any(part.startswith(".") for part in target.relative_to(root).parts)


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
