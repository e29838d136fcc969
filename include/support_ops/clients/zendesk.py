"""A Zendesk client from the `zendesk_default` connection, through the provider's ZendeskHook.

Connection: host = `yoursubdomain.zendesk.com`. OAuth (default, extra `{"auth": "oauth"}`):
login = client id, password = client secret. API token: extra `{"auth": "token"}` or the
hook's own `token` / `use_token` extras, login = agent email. Extra `base_url` sends requests
to another address (a proxy, or the sandbox): zenpy has no such option, so its
ZENPY_FORCE_SCHEME / ZENPY_FORCE_NETLOC variables are set for this process.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.zendesk.hooks.zendesk import ZendeskHook

from ..config import ZENDESK_CONN_ID
from .zendesk_oauth import BearerAuth, OAuthTokens


class SupportZendeskHook(ZendeskHook):
    """The provider's ZendeskHook plus the OAuth token lifecycle it lacks."""

    def __init__(self, zendesk_conn_id: str = ZENDESK_CONN_ID) -> None:
        super().__init__(zendesk_conn_id=zendesk_conn_id)
        self.tokens: OAuthTokens | None = None

    def get_connection(self, conn_id: str) -> Any:  # type: ignore[override]
        conn = super().get_connection(conn_id)
        extra = conn.extra_dejson
        base = extra.get("base_url")
        if base:
            parts = urlsplit(base)
            os.environ["ZENPY_FORCE_SCHEME"] = parts.scheme
            os.environ["ZENPY_FORCE_NETLOC"] = parts.netloc
        if self._auth_mode(conn) == "oauth":
            if not conn.login or not conn.password:
                raise ValueError(
                    f"Connection {conn_id!r}: OAuth needs the client id in login and the client "
                    "secret in password"
                )
            self.tokens = self.tokens or OAuthTokens(self.base_url_of(conn), conn.login, conn.password)
            # The hook builds Zenpy with this token; BearerAuth then keeps it fresh.
            conn.extra = _with_extra(extra, oauth_token=self.tokens.token())
        elif extra.get("auth") == "token" and not (extra.get("token") or extra.get("use_token")):
            conn.extra = _with_extra(extra, use_token=True)
        return conn

    @staticmethod
    def _auth_mode(conn: Any) -> str:
        extra = conn.extra_dejson
        if extra.get("auth"):
            return str(extra["auth"])
        return "token" if (extra.get("token") or extra.get("use_token") or extra.get("oauth_token")) else "oauth"

    @staticmethod
    def base_url_of(conn: Any) -> str:
        base = conn.extra_dejson.get("base_url")
        return str(base).rstrip("/") if base else f"https://{conn.host.strip('/')}"

    def get_conn(self):
        client = super().get_conn()
        if self.tokens is not None:
            client.users.session.auth = BearerAuth(self.tokens)
        return client

    def api_session(self) -> tuple[Any, str]:
        """(requests session with auth, API base URL) for calls zenpy does not page the way we need."""
        client = self.get_conn()
        conn = super().get_connection(self.zendesk_conn_id)
        return client.users.session, self.base_url_of(conn) + "/api/v2"


def _with_extra(extra: dict, **changes: Any) -> str:
    import json

    return json.dumps({**extra, **changes})
