"""Comparing what was written with what a target shows, for reconciliation."""

from __future__ import annotations

from typing import Any


def same(wanted: Any, actual: Any) -> bool:
    """Equal as the target stores it: numbers numerically (to the cent), texts trimmed, lists as sets."""
    if wanted is None or actual is None:
        return wanted is None and actual in (None, "")
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return bool(wanted) == bool(actual) and type(wanted) is type(actual)
    if isinstance(wanted, (int, float)) or isinstance(actual, (int, float)):
        try:
            return round(float(wanted), 2) == round(float(actual), 2)
        except (TypeError, ValueError):
            return False
    if isinstance(wanted, (list, tuple)) and isinstance(actual, (list, tuple)):
        return sorted(map(str, wanted)) == sorted(map(str, actual))
    if isinstance(wanted, dict) and isinstance(actual, dict):
        return all(same(v, actual.get(k)) for k, v in wanted.items())
    return str(wanted).strip() == str(actual).strip()


def differences(wanted: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ."""
    return [k for k, v in wanted.items() if not same(v, (actual or {}).get(k))]
