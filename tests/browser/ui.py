"""Driving the Airflow 3 UI (a React app) in the browser of tests/browser/cdp.py.

The UI renders after its scripts and API calls finish, so a page is "loaded" when a condition
written in JavaScript holds (an element that only appears once the app rendered), never after a
fixed sleep. What happened meanwhile — failed requests, answers >= 400, console errors and
uncaught exceptions — is read from the same DevTools events `Browser.visit` reads.
"""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse

from tests.browser.cdp import Browser, PageVisit

VIEWPORT = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}


class UiBrowser(Browser):
    """The report tests' browser, plus waiting on the app, clicking, typing and screenshots."""

    def __init__(self, profile: Path):
        super().__init__(profile)
        self.send("Emulation.setDeviceMetricsOverride", VIEWPORT)

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails'].get('text')}")
        return res.get("result", {}).get("value")

    def wait_for(self, condition: str, timeout: float = 60, what: str = "") -> None:
        """Poll a JavaScript condition (events keep being recorded while waiting)."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                text = (self.evaluate("document.body && document.body.innerText") or "")[:500]
                raise TimeoutError(f"{what or condition} not seen within {timeout:.0f} s; "
                                   f"at {self.evaluate('location.href')}, page text: {text!r}")
            self._settle(0.25)

    def open(self, url: str, ready: str, timeout: float = 90) -> PageVisit:
        """Navigate, wait for the load event and for `ready`, and report the page's errors."""
        self.events = []
        self.send("Page.navigate", {"url": url})
        self._drain_until("Page.loadEventFired", timeout)
        self.wait_for(ready, timeout, what=f"page {url} ready ({ready})")
        return self.observed(url)

    def observed(self, url: str) -> PageVisit:
        """Everything recorded since `self.events` was last cleared, as a PageVisit."""
        self._settle(0.5)
        visit = PageVisit(url)
        urls: dict[str, str] = {}
        for ev in self.events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Network.requestWillBeSent":
                urls[p["requestId"]] = p["request"]["url"]
            elif method == "Network.responseReceived":
                status = int(p["response"]["status"])
                visit.responses[p["response"]["url"]] = status
                if p.get("type") == "Document":
                    visit.status = status
                if status >= 400:
                    visit.failed.append(f"{status} {p['response']['url']}")
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                visit.failed.append(f"{p.get('errorText')} {urls.get(p['requestId'], '?')}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                visit.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                     for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                details = p["exceptionDetails"]
                visit.console_errors.append(str(details.get("exception", {}).get("description")
                                                or details.get("text")))
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                visit.console_errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} "
                                            f"{p['entry'].get('url', '')}".strip())
        visit.final_url = self.evaluate("location.href") or ""
        visit.html = self.evaluate("document.documentElement.outerHTML") or ""
        return visit

    def click(self, selector_js: str, what: str, timeout: float = 30) -> None:
        """Click the element a JavaScript expression returns, at its centre, as a mouse does."""
        self.wait_for(selector_js, timeout, what=what)
        box = self.evaluate(f"(() => {{ const el = {selector_js}; el.scrollIntoView({{block: 'center'}});"
                            " const r = el.getBoundingClientRect();"
                            " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                   "clickCount": 1})

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type into it (key events React's controlled inputs react to)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text})

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """The page as shown (or whole, for long reports) as a PNG."""
        params: dict = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": max(width, VIEWPORT["width"]),
                              "height": min(max(height, VIEWPORT["height"]), 8000), "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def shot_name(index: int, url: str) -> str:
    """A file name that says which page it is: 03-support-ops-reports-kpis-latest.png."""
    path = urlparse(url).path.strip("/") or "root"
    return f"{index:02d}-{re.sub(r'[^A-Za-z0-9._-]+', '-', path)[:120]}.png"


def problems(visit: PageVisit, label: str) -> list[str]:
    """What makes a page broken: an HTTP error, a failed request, a console error."""
    out = []
    if visit.status is not None and visit.status >= 400:
        out.append(f"{label}: HTTP {visit.status}")
    out += [f"{label}: request failed: {f}" for f in visit.failed]
    out += [f"{label}: console error: {e}" for e in visit.console_errors]
    return out
