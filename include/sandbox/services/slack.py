"""Sandbox imitation of slack: placeholder until its routes are written."""

from __future__ import annotations


def routes(ctx) -> list:
    return []
