"""Outbound messages (Slack), idempotent, logged and with a dry-run."""
