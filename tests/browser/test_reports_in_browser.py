"""The reports as people meet them: in headless chromium, through a real Airflow api-server.

- Anonymous: every report URL is refused (a browser lands on Airflow's login page, other
  clients get 401), and no customer data is in the answer.
- Logged in with the UI's session (the JWT cookie Airflow's login sets): every page renders with
  no failed request and no console error (a CSP violation is one), the project's table script
  runs, and the hostile names are shown as text while none of their scripts ran.
- The summary's link to the GX validation results opens a page with content.
"""

from __future__ import annotations

import html
import os
import re
from urllib.parse import urlparse

import pytest
import requests

from tests.browser.cdp import Browser, chromium_path
from tests.browser.conftest import HOSTILE_DOMAIN, HOSTILE_NAME, PAYLOAD, RUN_DATE

DAY = RUN_DATE.isoformat()
PAGES = [
    "/support-ops/",
    "/support-ops/reports/kpis/latest/index.html",
    f"/support-ops/reports/kpis/{DAY}/index.html",
    "/support-ops/reports/integrity/latest/index.html",
    f"/support-ops/reports/integrity/{DAY}/",
    "/support-ops/reports/data_docs/latest/index.html",
    f"/support-ops/reports/data_docs/{DAY}/index.html",
]
CUSTOMER_PAGES = [p for p in PAGES if p != "/support-ops/"]
REFUSED = [*PAGES, "/support-ops/reports/_kit/kit.js", "/support-ops/reports/headlines/kpis.json"]
NOT_RUN = {"pwned": "window.__pwned === undefined", "kit": "document.documentElement.dataset.kit || ''",
           "text": "document.body.textContent"}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if chromium_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires chromium for the browser tests (scripts/system_deps.sh installs it)")
        pytest.skip("chromium is not installed (scripts/system_deps.sh installs it)")
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.mark.parametrize("path", REFUSED)
def test_anonymous_requests_are_refused(api_server, path):
    url = api_server.base_url + path
    page = requests.get(url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert page.status_code == 303
    target = urlparse(page.headers["location"])
    assert target.path.startswith("/auth/login") and "next=" in target.query
    assert "Content-Security-Policy" in page.headers
    api = requests.get(url, headers={"Accept": "application/json"}, allow_redirects=False, timeout=30)
    assert api.status_code == 401 and "Evil" not in api.text
    forged = requests.get(url, cookies={"_token": "not-a-jwt"}, allow_redirects=False, timeout=30)
    assert forged.status_code in (401, 403)


def test_an_anonymous_browser_lands_on_the_login_page(api_server, browser):
    browser.clear_cookies()
    for path in CUSTOMER_PAGES[:2]:
        visit = browser.visit(api_server.base_url + path)
        assert urlparse(visit.final_url).path.startswith("/auth/login"), visit.final_url
        assert "Evil" not in visit.html and "EVIL1" not in visit.html


@pytest.mark.parametrize("path", PAGES)
def test_a_logged_in_browser_sees_each_page_with_no_error(api_server, browser, path):
    browser.clear_cookies()
    browser.set_cookie("_token", api_server.token, api_server.base_url)
    visit = browser.visit(api_server.base_url + path, evaluate=NOT_RUN)
    assert visit.status == 200 and urlparse(visit.final_url).path.startswith(path.rstrip("/")), visit.final_url
    assert visit.failed == [], visit.failed
    assert visit.console_errors == [], visit.console_errors
    assert visit.evaluated["kit"] == "ready"  # the project's own script ran (allowed by the CSP)
    assert visit.evaluated["pwned"] is True  # ... and no injected one did
    assert not re.search(r"<img[^>]*src=\"?x", visit.html)
    if path in CUSTOMER_PAGES:
        assert PAYLOAD in visit.evaluated["text"] or HOSTILE_NAME in visit.evaluated["text"]


def test_every_page_carries_the_csp_and_escapes_the_hostile_values(api_server):
    """The HTML as served: hostile values only ever appear escaped; the CSP allows no foreign script."""
    cookies = {"_token": api_server.token}
    escaped_payload = html.escape(PAYLOAD, quote=True)
    for path in PAGES:
        resp = requests.get(api_server.base_url + path, cookies=cookies, timeout=30)
        assert resp.status_code == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        text = resp.text
        assert "<script>window.__pwned" not in text and "onerror=\"window" not in text, path
        assert "<img src=x" not in text, path
        scripts = re.findall(r"<script[^>]*>", text)
        assert all("_kit/kit.js" in s for s in scripts), scripts
        if path in CUSTOMER_PAGES:
            assert escaped_payload in text or html.escape(HOSTILE_NAME, quote=True) in text, path
    integrity = requests.get(api_server.base_url + f"/support-ops/reports/integrity/{DAY}/", cookies=cookies,
                             timeout=30).text
    assert html.escape(HOSTILE_DOMAIN, quote=True) in integrity  # the invalid domain is shown, as text
    validation = requests.get(api_server.base_url + f"/support-ops/reports/data_docs/{DAY}/", cookies=cookies,
                              timeout=30).text
    assert html.escape(HOSTILE_DOMAIN, quote=True) in validation  # GX's failing values too


def test_the_summary_links_to_validation_results_with_content(api_server, browser):
    browser.clear_cookies()
    browser.set_cookie("_token", api_server.token, api_server.base_url)
    summary = browser.visit(api_server.base_url + f"/support-ops/reports/integrity/{DAY}/index.html", evaluate={
        "docs": "[...document.querySelectorAll('a')].find(a => a.textContent === 'validation results').href"})
    docs = browser.visit(summary.evaluated["docs"], evaluate={
        "rows": "document.querySelectorAll('#expectations tbody tr').length",
        "failed": "[...document.querySelectorAll('#expectations td.low')].length"})
    assert docs.status == 200 and docs.failed == [] and docs.console_errors == []
    assert docs.evaluated["rows"] == 10 and docs.evaluated["failed"] >= 4


def test_findings_tables_sort_and_filter_in_the_browser(api_server, browser):
    browser.clear_cookies()
    browser.set_cookie("_token", api_server.token, api_server.base_url)
    probe = ("(() => { const box = document.querySelector(\"[data-filter='findings-no_salesforce_id']\");"
             " box.value = 'no-such-organization'; box.dispatchEvent(new Event('input'));"
             " const rows = [...document.querySelectorAll('#findings-no_salesforce_id tbody tr')];"
             " return [rows.length, rows.filter(r => !r.hidden).length]; })()")
    visit = browser.visit(api_server.base_url + "/support-ops/reports/integrity/latest/", evaluate={"filter": probe})
    total, shown = visit.evaluated["filter"]
    assert total >= 1 and shown == 0
