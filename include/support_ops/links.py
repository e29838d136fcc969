"""Absolute links: Airflow runs, task logs and reports, and records in Zendesk, Salesforce, GitLab.

Messages leave the Airflow UI (Slack, GitLab, e-mail), so every link in them is absolute
(docs/outbound-writes.md). Airflow links start at Airflow's configured base URL
(`[api] base_url`, default http://localhost:8080) and follow the Airflow 3 UI routes
(`/dags/<dag>/runs/<run>/tasks/<task>[/mapped/<i>]?try_number=<n>`, the shape Airflow's own
`TaskInstance.log_url` builds). Reports are served by the project's plugin under
`/support-ops/reports/`.

Record links start at the system's address as the Airflow connection names it, so real
connections give the real system's URL and the sandbox connections the sandbox's own address:
- `zendesk_default`: extra `base_url` if set, else `https://<host>` (the rule the Zendesk client
  uses to reach the API);
- `salesforce_default`: extra `ui_url` if set (where people open records when that is not the
  API's address: the sandbox serves its record pages over plain HTTP there), else extra
  `instance_url` (the My Domain URL the client logs in to), else
  `https://<domain>.salesforce.com` from extra `domain` (the simple-salesforce convention);
- `gitlab_default`: host (a URL, or a host name taken as https).

Everything is read lazily, at the first link built, never at import; only addresses are read,
never secrets. `reset()` forgets what was read (tests, or after changing a connection).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .config import GITLAB_CONN_ID, SALESFORCE_CONN_ID, ZENDESK_CONN_ID, settings

DEFAULT_AIRFLOW_BASE_URL = "http://localhost:8080"
REPORTS_PREFIX = "/support-ops"


class LinkConfigError(ValueError):
    """A record link was asked for but its connection does not say where the system lives."""


def _seg(value: Any) -> str:
    """One URL path segment: everything escaped, '/' included (run ids carry ':' and '+')."""
    return quote(str(value), safe="")


@functools.cache
def airflow_base_url() -> str:
    """Airflow's configured base URL (`[api] base_url`), without a trailing slash."""
    try:
        from airflow.configuration import conf
    except ImportError:  # plain Python use (CLI without Airflow installed)
        return DEFAULT_AIRFLOW_BASE_URL
    value = conf.get("api", "base_url", fallback=None) or DEFAULT_AIRFLOW_BASE_URL
    return value.strip().rstrip("/")


def dag_run_url(dag_id: str, run_id: str) -> str:
    """The run's page in the Airflow UI."""
    return f"{airflow_base_url()}/dags/{_seg(dag_id)}/runs/{_seg(run_id)}"


def task_log_url(
    dag_id: str, run_id: str, task_id: str, try_number: int | None = None, map_index: int = -1
) -> str:
    """The task instance's log page (the task page's default tab) in the Airflow UI."""
    url = f"{dag_run_url(dag_id, run_id)}/tasks/{_seg(task_id)}"
    if map_index is not None and map_index >= 0:
        url += f"/mapped/{int(map_index)}"
    if try_number is not None and try_number > 0:
        url += f"?try_number={int(try_number)}"
    return url


def report_url(relative_path: str | Path = "") -> str:
    """A report page as the plugin serves it.

    `relative_path` is relative to the reports folder (`kpis/2026-11-20/index.html`); a path
    inside `settings().reports_dir` is accepted too. Empty gives the reports index."""
    path = Path(relative_path) if relative_path not in ("", None) else None
    if path is None:
        return f"{airflow_base_url()}{REPORTS_PREFIX}/"
    if path.is_absolute():
        try:
            path = path.relative_to(settings().reports_dir)
        except ValueError as exc:
            raise ValueError(f"{relative_path} is not inside the reports folder {settings().reports_dir}") from exc
    parts = [p for p in path.as_posix().split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"report path {relative_path!r} leaves the reports folder")
    return f"{airflow_base_url()}{REPORTS_PREFIX}/reports/" + "/".join(_seg(p) for p in parts)


def _connection(conn_id: str) -> Any:
    try:
        from airflow.sdk import BaseHook
    except ImportError as exc:  # plain Python use
        raise LinkConfigError(f"record links need Airflow to read connection {conn_id!r}") from exc
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 - the SDK raises its own not-found types
        raise LinkConfigError(f"connection {conn_id!r} is not configured: {exc}") from exc


def _as_url(host: str) -> str:
    host = host.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


@functools.cache
def zendesk_base_url() -> str:
    """Where Zendesk's agent UI lives, from `zendesk_default`."""
    conn = _connection(ZENDESK_CONN_ID)
    base = conn.extra_dejson.get("base_url")
    if base:
        return str(base).strip().rstrip("/")
    if not conn.host:
        raise LinkConfigError(f"connection {ZENDESK_CONN_ID!r} has no host (yoursubdomain.zendesk.com)")
    return _as_url(conn.host)


@functools.cache
def salesforce_base_url() -> str:
    """Where Salesforce's Lightning UI lives, from `salesforce_default`."""
    conn = _connection(SALESFORCE_CONN_ID)
    extra = conn.extra_dejson
    if extra.get("ui_url"):  # where people open records, when not the API's address (the sandbox's)
        return _as_url(str(extra["ui_url"]))
    instance = extra.get("instance_url") or extra.get("extra__salesforce__instance_url")
    if instance:
        return _as_url(str(instance))
    domain = extra.get("domain") or extra.get("extra__salesforce__domain") or "login"
    domain = str(domain).strip().rstrip("/")
    return _as_url(domain if domain.endswith(".salesforce.com") else f"{domain}.salesforce.com")


@functools.cache
def gitlab_base_url() -> str:
    """Where GitLab lives, from `gitlab_default` host."""
    conn = _connection(GITLAB_CONN_ID)
    if not conn.host:
        raise LinkConfigError(f"connection {GITLAB_CONN_ID!r} has no host (https://gitlab.example.com)")
    return _as_url(conn.host)


def zendesk_ticket_url(ticket_id: int | str) -> str:
    """The ticket in Zendesk's agent UI."""
    return f"{zendesk_base_url()}/agent/tickets/{_seg(ticket_id)}"


def zendesk_org_url(org_id: int | str) -> str:
    """The organization in Zendesk's agent UI."""
    return f"{zendesk_base_url()}/agent/organizations/{_seg(org_id)}"


def salesforce_record_url(record_id: str, sobject: str = "Account") -> str:
    """The record's Lightning page."""
    return f"{salesforce_base_url()}/lightning/r/{_seg(sobject)}/{_seg(record_id)}/view"


def gitlab_issue_url(project: str, iid: int | str) -> str:
    """The issue's page; `project` is the full path (`group/sub/project`)."""
    path = "/".join(_seg(p) for p in str(project).strip("/").split("/") if p)
    if not path:
        raise ValueError("gitlab_issue_url needs a project path")
    return f"{gitlab_base_url()}/{path}/-/issues/{_seg(iid)}"


def reset() -> None:
    """Forget the addresses read so far (the next link reads configuration again)."""
    for fn in (airflow_base_url, zendesk_base_url, salesforce_base_url, gitlab_base_url):
        fn.cache_clear()
