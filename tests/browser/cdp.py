"""A small Chrome DevTools Protocol client: headless Debian chromium, one page, every event kept.

Why not `--dump-dom`: the tests need a session cookie set before the first request, and every
failed request, console message and uncaught exception of the page, which only the protocol
gives. Talks to chromium over its debugging websocket (the `websockets` package Airflow's
api-server already depends on); listens on loopback only.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import connect


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class PageVisit:
    """What happened while one URL loaded."""

    url: str
    final_url: str = ""
    status: int | None = None
    html: str = ""
    failed: list[str] = field(default_factory=list)  # requests that failed or answered >= 400
    console_errors: list[str] = field(default_factory=list)  # console errors, CSP reports, exceptions
    responses: dict[str, int] = field(default_factory=dict)  # url -> status
    evaluated: dict[str, Any] = field(default_factory=dict)


class Browser:
    """Headless chromium with one tab driven over CDP."""

    def __init__(self, profile: Path):
        binary = chromium_path()
        if binary is None:
            raise RuntimeError("chromium is not installed (scripts/system_deps.sh installs it)")
        profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not open its debugging port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024, open_timeout=30)
        self._ids = itertools.count(1)
        self.events: list[dict] = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def _drain_until(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout}s")
            self.events.append(json.loads(self.ws.recv(timeout=remaining)))

    def _settle(self, quiet: float = 0.5) -> None:
        """Read events until none arrives for `quiet` seconds (late console messages, requests)."""
        while True:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=quiet)))
            except TimeoutError:
                return

    def set_cookie(self, name: str, value: str, url: str) -> None:
        self.send("Network.setCookie", {"name": name, "value": value, "url": url, "httpOnly": True})

    def clear_cookies(self) -> None:
        self.send("Network.clearBrowserCookies")

    def visit(self, url: str, evaluate: dict[str, str] | None = None, timeout: float = 60) -> PageVisit:
        """Load `url`, wait for the load event, and report what happened."""
        self.events = []
        self.send("Page.navigate", {"url": url})
        self._drain_until("Page.loadEventFired", timeout)
        self._settle()
        visit = PageVisit(url)
        requests_by_id: dict[str, str] = {}
        for ev in self.events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Network.requestWillBeSent":
                requests_by_id[p["requestId"]] = p["request"]["url"]
            elif method == "Network.responseReceived":
                status = int(p["response"]["status"])
                visit.responses[p["response"]["url"]] = status
                if p.get("type") == "Document":
                    visit.status = status
                if status >= 400:
                    visit.failed.append(f"{status} {p['response']['url']}")
            elif method == "Network.loadingFailed":
                if not p.get("canceled"):
                    visit.failed.append(f"{p.get('errorText')} {requests_by_id.get(p['requestId'], '?')}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                visit.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                visit.console_errors.append(str(p["exceptionDetails"].get("exception", {}).get("description")
                                                or p["exceptionDetails"].get("text")))
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                visit.console_errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')}")
        probes = {"href": "location.href", "html": "document.documentElement.outerHTML", **(evaluate or {})}
        for key, expr in probes.items():
            res = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
            visit.evaluated[key] = res.get("result", {}).get("value")
        visit.final_url, visit.html = visit.evaluated.pop("href") or "", visit.evaluated.pop("html") or ""
        return visit

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing what may not have opened
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
