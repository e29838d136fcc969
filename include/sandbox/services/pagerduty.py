"""Sandbox imitation of pagerduty: placeholder until its routes are written."""

from __future__ import annotations


def routes(ctx) -> list:
    return []
