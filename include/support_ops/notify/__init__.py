"""Slack messages of the pipelines, sent through the outbound layer (docs/outbound-writes.md)."""
