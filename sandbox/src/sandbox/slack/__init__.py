"""Slack's incoming webhooks, one per channel the pipelines post to, and admin paths to read
what was posted (`service`)."""
