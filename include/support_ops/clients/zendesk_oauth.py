"""Zendesk OAuth access tokens: obtained with client credentials, renewed before they expire.

Zendesk stopped issuing API tokens on 2026-10-27 and turns the remaining ones off on
2027-04-30; new OAuth clients get access tokens that expire (30 minutes by default).
The Airflow Zendesk hook only passes a static token, so this module adds the lifecycle:
`OAuthTokens` holds the current token and renews it (refresh_token grant, falling back to
client credentials); `BearerAuth` puts the current token on every request of a session.
"""

from __future__ import annotations

import logging
import threading
import time

import requests

log = logging.getLogger(__name__)


class ZendeskAuthError(RuntimeError):
    """The token endpoint refused the client: wrong credentials or a disabled client."""


class OAuthTokens:
    """The access token of one OAuth client, renewed `margin` seconds before it expires."""

    def __init__(self, base_url: str, client_id: str, client_secret: str,
                 session: requests.Session | None = None, scope: str = "read write",
                 margin: float = 60.0):
        self.token_url = base_url.rstrip("/") + "/oauth/tokens"
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.margin = margin
        self._http = session or requests.Session()
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        self.grants = 0  # how many tokens were obtained (tests and logs)

    def __repr__(self) -> str:  # never show the secret or the tokens
        return f"OAuthTokens(client_id={self.client_id!r}, expires_in={self.expires_in():.0f}s)"

    def expires_in(self) -> float:
        return self._expires_at - time.time()

    def token(self) -> str:
        """A valid access token, renewed when it is about to expire."""
        with self._lock:
            lifetime_left = self.expires_in()
            if self._access is None or lifetime_left <= min(self.margin, self._ttl * 0.2):
                self._renew()
            assert self._access is not None
            return self._access

    def invalidate(self) -> None:
        """Forget the access token (after a 401): the next `token()` renews it."""
        with self._lock:
            self._access = None

    _ttl = 1800.0

    def _renew(self) -> None:
        if self._refresh:
            try:
                self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh})
                return
            except ZendeskAuthError:
                log.info("zendesk oauth: refresh token refused, using client credentials")
        self._grant({"grant_type": "client_credentials", "scope": self.scope})

    def _post(self, payload: dict, attempts: int = 6) -> requests.Response:
        """POST to the token endpoint, riding out transient failures (429, 5xx, drops)."""
        delay = 0.5
        for attempt in range(1, attempts + 1):
            retry_after: str | None = None
            try:
                resp = self._http.post(self.token_url, json=payload, timeout=30)
                if resp.status_code == 429 or resp.status_code >= 500:
                    retry_after = resp.headers.get("Retry-After")
                    raise requests.HTTPError(f"HTTP {resp.status_code}")
                resp.json()  # a truncated body is a transient failure too
                return resp
            except (requests.RequestException, ValueError) as exc:
                if attempt == attempts:
                    raise ZendeskAuthError(f"Zendesk OAuth token endpoint unavailable: {exc}") from None
                wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
                log.warning("zendesk oauth: %s; retry %d in %.1fs", type(exc).__name__, attempt, wait)
                time.sleep(min(wait, 30.0))
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def _grant(self, data: dict) -> None:
        payload = {**data, "client_id": self.client_id, "client_secret": self._secret}
        resp = self._post(payload)
        if resp.status_code >= 400:
            raise ZendeskAuthError(
                f"Zendesk OAuth {data['grant_type']} grant refused ({resp.status_code}) for client "
                f"{self.client_id!r}: {resp.text[:200]}"
            )
        body = resp.json()
        self._access = body["access_token"]
        self._refresh = body.get("refresh_token") or self._refresh
        self._ttl = float(body.get("expires_in") or 1800)
        self._expires_at = time.time() + self._ttl
        self.grants += 1
        log.info("zendesk oauth: new access token (%s grant), valid %.0fs", data["grant_type"], self._ttl)


class BearerAuth(requests.auth.AuthBase):
    """requests auth that sends the current access token of an `OAuthTokens`."""

    def __init__(self, tokens: OAuthTokens):
        self.tokens = tokens

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.tokens.token()}"
        return r
