"""The Airflow UI and the reports in a real browser, for each mode `make up` starts.

For standalone (`make up`) and, when scripts/up.sh has it, the distributed mode
(`AIRFLOW_EXECUTOR=CeleryExecutor make up`): the project is started on ports, folders and
databases of its own (tests/browser/project.py), headless chromium logs in through Airflow's
login form (the simple auth manager's generated admin password), and then

- every DAG's page (ids from `/api/v2/dags`) renders,
- the reports menu entry (Browse -> Support Ops reports, the plugin's external view) opens the
  reports' home page inside the UI,
- every page linked from `/support-ops/` (crawled) renders,

each with no HTTP error, no failed request and no console error, and a screenshot of each is
saved (the folder is printed). A visitor who is not logged in gets none of the report pages.
Reports are written by DAG runs: the scheduled runs finish, the DAGs that never ran are
triggered (tests/browser/airflow_api.py), within SUPPORT_OPS_UI_RUN_BUDGET seconds (600).

Starts Airflow, so it runs under CI (CI=true) or with SUPPORT_OPS_TEST_UP=1, and is skipped
with a notice when no browser is installed (under CI that fails instead).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import requests

from tests.browser.airflow_api import AirflowApi, dag_files
from tests.browser.cdp import chromium_path
from tests.browser.project import ROOT, Project, celery_mode_available, prepare, stop
from tests.browser.ui import UiBrowser, problems, shot_name

CI = os.environ.get("CI", "").lower() == "true"
WANTED = CI or os.environ.get("SUPPORT_OPS_TEST_UP") == "1"
pytestmark = pytest.mark.skipif(not WANTED, reason="starts the project with make up; runs under CI or "
                                                   "SUPPORT_OPS_TEST_UP=1")
SHOTS = Path(os.environ.get("SUPPORT_OPS_SCREENSHOTS_DIR", ROOT / "test-artifacts" / "screenshots"))
RUN_BUDGET = float(os.environ.get("SUPPORT_OPS_UI_RUN_BUDGET", "600"))
REPORTS_HOME = "/support-ops/"
MAX_REPORT_PAGES = 150
# The app has rendered: Airflow's navigation is there and nothing is loading any more.
APP_READY = ("document.querySelector('[data-testid=nav-dags-link]')"
             " && !document.querySelector('.chakra-spinner, [aria-busy=true]')")


def _notice(config: pytest.Config, text: str) -> None:
    """A line in the test output even when output is captured."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


@dataclass
class Session:
    """One mode, started, with a logged-in browser and where its screenshots go."""

    project: Project
    api: AirflowApi
    browser: UiBrowser
    shots: Path
    dag_ids: list[str]
    config: pytest.Config
    report_urls: list[str] = field(default_factory=list)
    run_states: dict[str, str | None] = field(default_factory=dict)
    count: int = 0

    def shoot(self, url: str, full_page: bool = False) -> Path:
        self.count += 1
        return self.browser.screenshot(self.shots / shot_name(self.count, url), full_page=full_page)


def _login(browser: UiBrowser, project: Project) -> None:
    """Sign in through Airflow's login form, as a person does."""
    user, password = project.login()
    browser.open(project.base_url + "/", "document.querySelector('input[name=password]')")
    browser.type_into("input[name=username]", user)
    browser.type_into("input[name=password]", password)
    browser.click("document.querySelector('button[type=submit]:not([disabled])')", "the Sign in button")
    browser.wait_for(f"!location.pathname.startsWith('/auth/') && {APP_READY}", 90, "the UI after signing in")


@pytest.fixture(scope="module", params=["standalone", "celery"])
def session(request, tmp_path_factory) -> Iterator[Session]:
    mode = request.param
    if chromium_path() is None:
        if CI:
            pytest.fail("CI requires chromium for the browser tests (scripts/system_deps.sh installs it)")
        _notice(request.config, "NOTICE: chromium is not installed; the UI browser tests are skipped "
                                "(scripts/system_deps.sh installs it)")
        pytest.skip("chromium is not installed (scripts/system_deps.sh installs it)")
    if mode == "celery" and not celery_mode_available():
        _notice(request.config, "NOTICE: scripts/up.sh has no distributed mode yet; only standalone is tested")
        pytest.skip("scripts/up.sh has no AIRFLOW_EXECUTOR=CeleryExecutor mode")
    project = prepare(mode, tmp_path_factory.mktemp(f"ui-{mode}"))
    shots = SHOTS / mode
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    _notice(request.config, f"\nUI test, {mode} mode: Airflow on {project.base_url}, project folders in "
                            f"{project.folder}; screenshots in {shots}")
    started = time.monotonic()
    browser = None
    try:
        up = project.make("up", timeout=1200)
        if up.returncode != 0:
            pytest.fail(f"make up ({mode}) failed:\n{(up.stdout + up.stderr)[-4000:]}\n{project.logs_tail()}")
        _notice(request.config, f"  make up ({mode}): {time.monotonic() - started:.0f} s")
        api = AirflowApi(project.base_url, project.token())
        dag_ids = api.wait_for_dags(dag_files(ROOT / "dags"), timeout=180)
        browser = UiBrowser(tmp_path_factory.mktemp(f"chromium-{mode}"))
        _login(browser, project)
        yield Session(project, api, browser, shots, dag_ids, request.config)
    finally:
        if browser is not None:
            browser.close()
        left = stop(project)
        _notice(request.config, f"  {mode} mode: {time.monotonic() - started:.0f} s in all; "
                                f"screenshots in {shots}")
    assert left == [], f"make down left process groups {left} running ({mode})"


def test_signed_in_the_home_page_renders(session):
    visit = session.browser.open(session.project.base_url + "/", APP_READY)
    session.shoot(visit.final_url)
    assert problems(visit, "home") == []
    assert session.browser.evaluate("document.body.innerText").count("Welcome") >= 1


def test_every_dag_page_renders(session):
    missing = dag_files(ROOT / "dags") - set(session.dag_ids)
    broken: list[str] = []
    started = time.monotonic()
    for dag_id in session.dag_ids:
        url = f"{session.project.base_url}/dags/{dag_id}"
        ready = (f"{APP_READY} && [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === "
                 f"{dag_id!r}) && document.body.innerText.includes('Latest Run')")
        try:
            visit = session.browser.open(url, ready)
        except TimeoutError as exc:
            session.shoot(url)
            broken.append(f"{dag_id}: {exc}")
            continue
        session.shoot(url)
        broken += problems(visit, dag_id)
        if urlparse(visit.final_url).path != f"/dags/{dag_id}":
            broken.append(f"{dag_id}: ended on {visit.final_url}")
    _notice(session.config, f"  {session.project.mode} mode: {len(session.dag_ids)} DAG pages in "
                            f"{time.monotonic() - started:.0f} s")
    assert not missing, f"DAG files not listed by the API: {sorted(missing)}"
    assert broken == [], "\n".join(broken) + f"\nscreenshots: {session.shots}"


def test_the_reports_menu_entry_opens_the_reports(session):
    """Browse -> Support Ops reports: the plugin's page inside the UI shows the reports' home."""
    browser = session.browser
    browser.open(session.project.base_url + "/", APP_READY)
    browser.events = []
    browser.click("document.querySelector('button[aria-label=Browse]')", "the Browse menu")
    item = ("[...document.querySelectorAll('[role=menuitem]')]"
            ".find(e => e.textContent.trim() === 'Support Ops reports')")
    browser.click(item, "the Support Ops reports menu entry")
    frame = "document.querySelector('iframe[title=\"Support Ops reports\"]')"
    browser.wait_for(f"{frame} && {frame}.contentDocument && {frame}.contentDocument.readyState === 'complete'"
                     f" && {frame}.contentDocument.documentElement.dataset.kit === 'ready'", 60,
                     "the reports' home page in the plugin's frame")
    visit = browser.observed(session.project.base_url + "/plugin/support-ops-reports")
    session.shoot(visit.final_url)
    assert problems(visit, "reports menu entry") == []
    assert urlparse(visit.final_url).path.startswith("/plugin/support-ops-reports"), visit.final_url
    assert browser.evaluate(f"{frame}.getAttribute('src')") == REPORTS_HOME
    assert "Support Ops reports" in browser.evaluate(f"{frame}.contentDocument.body.innerText")


def _links(browser: UiBrowser) -> list[str]:
    return browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)") or []


def test_every_report_page_renders(session):
    """Crawl everything under /support-ops/ once the DAGs have run; every page is clean."""
    started = time.monotonic()
    session.run_states = session.api.settle_runs(session.dag_ids, RUN_BUDGET)
    _notice(session.config, f"  {session.project.mode} mode: DAG runs after {time.monotonic() - started:.0f} s: "
                            + ", ".join(f"{d}={s}" for d, s in sorted(session.run_states.items())))
    base = session.project.base_url
    queue, broken = [base + REPORTS_HOME], []
    linked_from = {base + REPORTS_HOME: "the menu entry"}
    while queue and len(session.report_urls) < MAX_REPORT_PAGES:
        url = queue.pop(0)
        visit = session.browser.visit(url)
        session.report_urls.append(url)
        is_html = "<body" in visit.html and not urlparse(url).path.endswith((".json", ".js", ".svg", ".txt"))
        if is_html:
            session.shoot(url, full_page=True)
        label = f"{urlparse(url).path} (linked from {linked_from[url]})"
        broken += problems(visit, label)
        if visit.status != 200:
            broken.append(f"{label}: status {visit.status}, ended on {visit.final_url}")
            continue
        for link in _links(session.browser):
            target = urldefrag(urljoin(url, link))[0]
            if target.startswith(base + REPORTS_HOME) and target not in linked_from:
                linked_from[target] = urlparse(url).path
                queue.append(target)
    reports = [u for u in session.report_urls if "/support-ops/reports/" in u]
    _notice(session.config, f"  {session.project.mode} mode: {len(session.report_urls)} report pages loaded "
                            f"({time.monotonic() - started:.0f} s with the wait for the DAG runs)")
    assert broken == [], "\n".join(broken) + f"\nscreenshots: {session.shots}"
    assert reports, (f"the reports' home page links to no report after the DAG runs {session.run_states}; "
                     f"screenshots: {session.shots}")


def test_a_visitor_who_is_not_logged_in_gets_no_report(session, tmp_path_factory):
    urls = session.report_urls or [session.project.base_url + REPORTS_HOME]
    served: list[str] = []
    for url in urls:  # any client without a session: refused, nothing of the page in the answer
        resp = requests.get(url, headers={"Accept": "application/json"}, allow_redirects=False, timeout=30)
        if resp.status_code != 401:
            served.append(f"{url}: HTTP {resp.status_code} without a session")
    anonymous = UiBrowser(tmp_path_factory.mktemp(f"chromium-anonymous-{session.project.mode}"))
    try:  # a browser without a session lands on the login page
        for url in urls[:10]:
            anonymous.open(url, "document.querySelector('input[name=password]')")
            path = urlparse(anonymous.evaluate("location.href")).path
            if not path.startswith("/auth/login"):
                served.append(f"{url}: an anonymous browser ended on {path}")
            if "Support Ops reports" in (anonymous.evaluate("document.body.innerText") or ""):
                served.append(f"{url}: an anonymous browser was shown the reports")
        anonymous.screenshot(session.shots / "anonymous-login.png")
    finally:
        anonymous.close()
    assert served == [], "\n".join(served)
