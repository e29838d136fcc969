"""A simple-salesforce client from the `salesforce_default` connection, via the SalesforceHook.

Two ways in, both configured only in the connection:
- OAuth 2.0 client credentials (integration users; recommended): extras `instance_url` (the
  org's My Domain URL), `consumer_key`, `consumer_secret`, no login. The token comes from
  `<instance_url>/services/oauth2/token` and is handed to the hook as its session id.
- Anything the hook itself supports (username + password + `security_token`, JWT, ...).

The login is retried like any API page (see `extract/fetch.py`): a 429 is waited out per
`Retry-After`, a 5xx, a dropped connection or a cut reply is retried with backoff; a refused
login (wrong credentials) fails at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from xml.parsers.expat import ExpatError

import requests

from ..config import SALESFORCE_CONN_ID
from ..extract.fetch import RetryPolicy, backoff_delay

log = logging.getLogger(__name__)


class SalesforceLoginError(RuntimeError):
    """The login could not be completed (refused, or still failing after the retries)."""


class _Refused(Exception):
    """The token endpoint said no: retrying cannot help."""


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind a login failure, when simple-salesforce kept one."""
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed

    if isinstance(exc, SalesforceAuthenticationFailed):
        code = getattr(exc, "code", None)
        if isinstance(code, int):
            return code
        if isinstance(code, str) and code.isdigit():
            return int(code)
    response = getattr(exc, "response", None)
    if isinstance(response, requests.Response):
        return response.status_code
    return getattr(exc, "status", None)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (requests.ConnectionError, requests.Timeout,
                        requests.exceptions.ChunkedEncodingError, ExpatError)):
        return True  # dropped connection, or a SOAP reply cut short
    if isinstance(exc, ValueError):
        return True  # a JSON token reply cut short
    status = _status(exc)
    return status is not None and (status == 429 or status >= 500)


class _LastResponse:
    """A requests response hook remembering the last reply (for its Retry-After)."""

    def __init__(self) -> None:
        self.response: requests.Response | None = None

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.response = response

    def retry_after(self) -> float | None:
        if self.response is None or self.response.status_code != 429:
            return None
        try:
            return max(0.0, float(self.response.headers.get("Retry-After", "1")))
        except ValueError:
            return 1.0


def login_with_retries(login: Callable[[requests.Session], Any], policy: RetryPolicy | None = None,
                       session: requests.Session | None = None) -> Any:
    """`login(session)`, retried on transient failures; `SalesforceLoginError` otherwise."""
    policy = policy or RetryPolicy()
    session = session or requests.Session()
    last = _LastResponse()
    session.hooks["response"].append(last)
    attempt, waited_429 = 0, 0.0
    try:
        while True:
            last.response = None
            try:
                return login(session)
            except Exception as exc:
                problem = f"{type(exc).__name__}: {str(exc)[:200]}"
                if not _transient(exc):
                    raise SalesforceLoginError(f"Salesforce login refused: {problem}") from exc
                wait = last.retry_after()
                if wait is not None:  # 429: wait as told, within the rate-limit budget
                    if waited_429 + wait > policy.rate_limit_budget:
                        raise SalesforceLoginError(
                            f"Salesforce login rate limited for more than {policy.rate_limit_budget:.0f}s"
                        ) from exc
                    waited_429 += wait
                else:
                    attempt += 1
                    if attempt >= policy.attempts:
                        raise SalesforceLoginError(
                            f"Salesforce login failed after {attempt} attempts; last: {problem}"
                        ) from exc
                    wait = backoff_delay(attempt, policy)
                log.warning("salesforce: login failed (%s); retrying in %.1fs", problem, wait)
                policy.sleep(wait)
    finally:
        session.hooks["response"].remove(last)


def _client_credentials_token(session: requests.Session, instance_url: str, key: str, secret: str,
                              timeout: float) -> str:
    resp = session.post(
        instance_url.rstrip("/") + "/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": key, "client_secret": secret},
        timeout=timeout,
    )
    if resp.status_code == 429 or resp.status_code >= 500:
        raise requests.HTTPError(f"token endpoint answered {resp.status_code}", response=resp)
    if resp.status_code >= 400:
        raise _Refused(
            f"Salesforce refused the client-credentials grant ({resp.status_code}): {resp.text[:200]}"
        )
    return resp.json()["access_token"]


def salesforce_client(conn_id: str = SALESFORCE_CONN_ID, policy: RetryPolicy | None = None) -> Any:
    """An authenticated `simple_salesforce.Salesforce`."""
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    policy = policy or RetryPolicy()
    conn = SalesforceHook.get_connection(conn_id)
    extra = conn.extra_dejson
    instance_url = extra.get("instance_url") or extra.get("extra__salesforce__instance_url")
    key = extra.get("consumer_key") or extra.get("extra__salesforce__consumer_key")
    secret = extra.get("consumer_secret") or extra.get("extra__salesforce__consumer_secret")
    if instance_url and key and secret and not conn.login:
        def login(session: requests.Session) -> Any:
            token = _client_credentials_token(session, instance_url, key, secret, policy.timeout)
            return SalesforceHook(salesforce_conn_id=conn_id, session_id=token, session=session).get_conn()

        client = login_with_retries(login, policy)
        log.info("salesforce: client-credentials session on %s", instance_url)
        return client
    return login_with_retries(
        lambda session: SalesforceHook(salesforce_conn_id=conn_id, session=session).get_conn(), policy)
