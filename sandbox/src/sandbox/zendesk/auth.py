"""Zendesk imitation: authentication (OAuth client credentials + refresh, API tokens, refusals).

OAuth is the supported path (password access ended 2025-12-31; API tokens are being
retired), so clients must be able to obtain, use, expire and refresh tokens here.
Tokens live in `ctx.extra` (memory): a restart revokes them, which clients must survive.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from sandbox.core.app import ServiceContext
from sandbox.zendesk.common import ZendeskError, json_response

REFRESH_TTL = 30 * 24 * 3600
DEFAULT_SCOPE = "read write"

INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid "
                         "for other reasons.",
}
NO_AUTH = {"error": "Couldn't authenticate you"}
PASSWORD_ENDED = {
    "error": "Couldn't authenticate you",
    "description": "Password access to the API ended on 2025-12-31. "
                   "Use an OAuth access token (or an API token while they still work).",
}
TOKENS_OFF = {
    "error": "Couldn't authenticate you",
    "description": "API token access is deactivated for this account. "
                   "Use an OAuth access token instead.",
}

Handler = Callable[[Request], Awaitable[Response]]


def _tokens(ctx: ServiceContext) -> dict[str, dict[str, Any]]:
    return ctx.extra.setdefault("zd_access_tokens", {})


def _refresh_tokens(ctx: ServiceContext) -> dict[str, dict[str, Any]]:
    return ctx.extra.setdefault("zd_refresh_tokens", {})


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(str(a), str(b))


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def check_auth(ctx: ServiceContext, request: Request) -> Response | None:
    """None when the request is authenticated, else the 401 Zendesk would send."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        info = _tokens(ctx).get(token)
        if info is None or info["expires_at"] <= ctx.now():
            return json_response(INVALID_TOKEN, 401)
        return None
    creds = _basic(request)
    if creds is None:
        return json_response(NO_AUTH, 401)
    user, secret = creds
    if user.endswith("/token"):
        email = user[: -len("/token")]
        if not (_same(email.lower(), str(ctx.credentials.get("email", "")).lower())
                and _same(secret, ctx.credentials.get("api_token"))):
            return json_response(NO_AUTH, 401)
        if not ctx.config.api_tokens_enabled:
            return json_response(TOKENS_OFF, 401)
        return None
    return json_response(PASSWORD_ENDED, 401)


def authed(ctx: ServiceContext, handler: Handler) -> Handler:
    """Wrap an /api/v2 handler: authenticate, then map ZendeskError to its JSON body."""

    async def endpoint(request: Request) -> Response:
        refusal = check_auth(ctx, request)
        if refusal is not None:
            return refusal
        try:
            return await handler(request)
        except ZendeskError as err:
            return json_response(err.body, err.status)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    return endpoint


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if not body:
        return {}
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(body.decode(errors="replace")))


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def _issue(ctx: ServiceContext, scope: str, requested_ttl: str | None) -> dict[str, Any]:
    ttl = int(ctx.config.token_ttl)
    if requested_ttl:
        try:
            ttl = max(1, min(ttl, int(requested_ttl)))
        except ValueError:
            pass
    now = ctx.now()
    for store in (_tokens(ctx), _refresh_tokens(ctx)):
        for old in [k for k, v in store.items() if v["expires_at"] <= now]:
            del store[old]
    access, refresh = secrets.token_hex(32), secrets.token_hex(32)
    _tokens(ctx)[access] = {"expires_at": now + ttl, "scope": scope}
    _refresh_tokens(ctx)[refresh] = {"expires_at": now + REFRESH_TTL, "scope": scope}
    return {
        "access_token": access,
        "token_type": "bearer",
        "scope": scope,
        "expires_in": ttl,
        "refresh_token": refresh,
        "refresh_token_expires_in": REFRESH_TTL,
    }


async def oauth_tokens(ctx: ServiceContext, request: Request) -> Response:
    """POST /oauth/tokens: client_credentials and refresh_token grants (form or JSON body)."""
    form = await _form(request)
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    basic = _basic(request)
    if basic and not client_id:
        client_id, client_secret = basic
    if not (_same(client_id, ctx.credentials.get("client_id"))
            and _same(client_secret, ctx.credentials.get("client_secret"))):
        return _oauth_error(401, "invalid_client",
                            "Client authentication failed due to unknown client, no client "
                            "authentication included, or unsupported authentication method.")
    grant = form.get("grant_type", "")
    scope = form.get("scope") or DEFAULT_SCOPE
    if grant == "client_credentials":
        return json_response(_issue(ctx, scope, form.get("expires_in")))
    if grant == "refresh_token":
        info = _refresh_tokens(ctx).pop(form.get("refresh_token", ""), None)
        if info is None or info["expires_at"] <= ctx.now():
            return _oauth_error(400, "invalid_grant",
                                "The provided authorization grant is invalid, expired, revoked, "
                                "does not match the redirection URI used in the authorization "
                                "request, or was issued to another client.")
        return json_response(_issue(ctx, form.get("scope") or info["scope"], form.get("expires_in")))
    return _oauth_error(400, "unsupported_grant_type",
                        "The authorization grant type is not supported by the authorization server.")
