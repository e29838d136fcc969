"""Sandbox imitation of salesforce: placeholder until its routes are written."""

from __future__ import annotations


def routes(ctx) -> list:
    return []
