"""What a client needs to reach this sandbox: Airflow connections and environment settings.

Product knowledge: the connection ids (`zendesk_default`, `salesforce_default`,
`pagerduty_default`, `gitlab_default`, `slack_*`, ...) and their extras are the ones the
product's DAGs and clients look up; they are written here so `sandbox connections` and the
tests can point the product at the sandbox.
"""

from __future__ import annotations

import json

from sandbox.core.config import SandboxConfig, load_credentials
from sandbox.slack.service import channel_webhooks


def connections(cfg: SandboxConfig) -> dict:
    """Airflow connections (the `airflow connections import` JSON shape) for this sandbox."""
    c = load_credentials(cfg.data_dir)
    zd, sf, pd, gl = c["zendesk"], c["salesforce"], c["pagerduty"], c["gitlab"]
    conns = {
        "zendesk_default": {
            "conn_type": "zendesk",
            "host": f"{zd['subdomain']}.zendesk.com",
            "login": zd["client_id"],
            "password": zd["client_secret"],
            "extra": {"auth": "oauth", "email": zd["email"],
                      "base_url": cfg.base_url("zendesk")},
        },
        "salesforce_default": {
            "conn_type": "salesforce",
            "login": sf["username"],
            "password": sf["password"],
            # simple-salesforce logs in at https://{domain}.salesforce.com/services/...; the
            # trailing '#' makes the rest a URL fragment, so the login lands on the sandbox.
            "extra": {"security_token": sf["security_token"],
                      "domain": f"{cfg.host}:{cfg.ports['salesforce']}#",
                      "consumer_key": sf["consumer_key"], "consumer_secret": sf["consumer_secret"],
                      "instance_url": cfg.base_url("salesforce"), "version": "59.0",
                      # record pages for browsers, over plain HTTP (core/record_pages.py)
                      "ui_url": cfg.base_url("zendesk") + "/_sandbox/salesforce"},
        },
        "pagerduty_default": {
            "conn_type": "pagerduty",
            "password": pd["api_key"],
            "extra": {"base_url": cfg.base_url("pagerduty")},
        },
        "pagerduty_events_default": {
            "conn_type": "pagerduty_events",
            "password": pd["routing_key"],
            "extra": {"base_url": cfg.base_url("pagerduty")},
        },
        "gitlab_default": {
            "conn_type": "http",
            "host": cfg.base_url("gitlab"),
            "password": gl["token"],
            "extra": {"feedback_project": "gitlab-com/support/feedback",
                      "support_ops_project": "gitlab-com/support/support-ops/support-ops-project"},
        },
        "slack_default": {
            "conn_type": "slackwebhook",
            "password": cfg.base_url("slack") + c["slack"]["webhook_path"],
        },
    }
    # One incoming webhook per channel (docs/alerts.md): slack_breach_alerts, slack_feed_*, ...
    for conn_id, (path, _channel) in channel_webhooks(c["slack"]).items():
        conns[conn_id] = {"conn_type": "slackwebhook", "password": cfg.base_url("slack") + path}
    return conns



def client_env(cfg: SandboxConfig) -> dict[str, str]:
    """Environment for any process that should talk to this sandbox.

    The CA bundle is certifi's roots plus the sandbox CA, so real hosts still verify;
    zenpy has no base-URL option and is pointed at loopback by its own variables;
    the connections are Airflow's standard AIRFLOW_CONN_<ID> JSON.
    """
    bundle = str((cfg.tls_dir / "ca-bundle.pem").resolve())
    env = {
        "REQUESTS_CA_BUNDLE": bundle,
        "SSL_CERT_FILE": bundle,
        "ZENPY_FORCE_SCHEME": cfg.scheme("zendesk"),
        "ZENPY_FORCE_NETLOC": f"{cfg.host}:{cfg.ports['zendesk']}",
    }
    for conn_id, conn in connections(cfg).items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
    return env
