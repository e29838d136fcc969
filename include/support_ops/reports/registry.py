"""What the home page (`/support-ops/`) shows: one headline per capability.

A capability has a card when its entry in the one list (support_ops/capabilities.py) names a
headline title; the list's order is the home page's order. When its run finishes, it
calls `publish()` with its headline. Headlines are small JSON files in
`<reports>/headlines/<key>.json`, so the web server reads files and never the warehouse.
Every field is text the home page escapes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..capabilities import CAPABILITIES as _LIST

log = logging.getLogger(__name__)

FOLDER = "headlines"
STATUSES = ("ok", "warn", "bad", "info")

# key -> title, in display order, from the one list of capabilities.
CAPABILITIES: dict[str, str] = {cap.key: cap.headline for cap in _LIST if cap.headline}


@dataclass
class Figure:
    """One figure of a headline: '96.2%' labelled 'Week 2026-W46', with a note and a status."""

    label: str
    value: str
    note: str = ""
    status: str = "info"


@dataclass
class Headline:
    capability: str
    summary: str
    status: str = "info"
    figures: list[Figure] = field(default_factory=list)
    report: str | None = None  # path relative to the reports folder
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, path relative to reports)
    updated_at: str = ""


def register(key: str, title: str) -> None:
    """Add a capability at run time (tests, plugins); the usual way is a headline in support_ops/capabilities.py."""
    CAPABILITIES.setdefault(key, title)


def publish(reports_dir: Path, headline: Headline) -> Path:
    """Write the capability's latest headline (atomically)."""
    if headline.status not in STATUSES:
        raise ValueError(f"headline status must be one of {STATUSES}, not {headline.status!r}")
    headline.updated_at = headline.updated_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    folder = reports_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{headline.capability}.json"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(headline), indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def _from_json(data: dict[str, Any]) -> Headline:
    return Headline(
        capability=str(data["capability"]), summary=str(data.get("summary", "")),
        status=data.get("status") if data.get("status") in STATUSES else "info",
        figures=[Figure(**{k: str(v) for k, v in f.items() if k in ("label", "value", "note", "status")})
                 for f in data.get("figures") or []],
        report=data.get("report"), links=[(str(a), str(b)) for a, b in data.get("links") or []],
        updated_at=str(data.get("updated_at", "")),
    )


def read_all(reports_dir: Path) -> list[tuple[str, str, Headline | None]]:
    """(key, title, headline or None) for every registered capability, then any unregistered
    headline found on disk; a broken file is logged and shown as missing."""
    found: dict[str, Headline] = {}
    folder = reports_dir / FOLDER
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                found[path.stem] = _from_json(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("headline %s is unreadable (%s): skipped", path, exc)
    out = [(key, title, found.pop(key, None)) for key, title in CAPABILITIES.items()]
    out += [(key, key.replace("_", " ").capitalize(), h) for key, h in sorted(found.items())]
    return out
