"""A simple-salesforce client from the `salesforce_default` connection, via the SalesforceHook.

Two ways in, both configured only in the connection:
- OAuth 2.0 client credentials (integration users; recommended): extras `instance_url` (the
  org's My Domain URL), `consumer_key`, `consumer_secret`, no login. The token comes from
  `<instance_url>/services/oauth2/token` and is handed to the hook as its session id.
- Anything the hook itself supports (username + password + `security_token`, JWT, ...).
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from ..config import SALESFORCE_CONN_ID

log = logging.getLogger(__name__)


def _client_credentials_token(instance_url: str, key: str, secret: str) -> str:
    resp = requests.post(
        instance_url.rstrip("/") + "/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": key, "client_secret": secret},
        timeout=30,
    )
    if resp.status_code >= 400:
        raise RuntimeError(
            f"Salesforce refused the client-credentials grant ({resp.status_code}): {resp.text[:200]}"
        )
    return resp.json()["access_token"]


def salesforce_client(conn_id: str = SALESFORCE_CONN_ID) -> Any:
    """An authenticated `simple_salesforce.Salesforce`."""
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    conn = SalesforceHook.get_connection(conn_id)
    extra = conn.extra_dejson
    instance_url = extra.get("instance_url") or extra.get("extra__salesforce__instance_url")
    key = extra.get("consumer_key") or extra.get("extra__salesforce__consumer_key")
    secret = extra.get("consumer_secret") or extra.get("extra__salesforce__consumer_secret")
    if instance_url and key and secret and not conn.login:
        token = _client_credentials_token(instance_url, key, secret)
        log.info("salesforce: client-credentials session on %s", instance_url)
        return SalesforceHook(salesforce_conn_id=conn_id, session_id=token).get_conn()
    return SalesforceHook(salesforce_conn_id=conn_id).get_conn()
