"""The index page of the reports folder, served inside the Airflow UI by the project's plugin."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

# Report kinds: sub-folder of the reports folder -> title shown to users.
KINDS = {
    "kpis": "CSAT KPI report",
    "integrity": "CRM integrity summary",
    "data_docs": "Great Expectations Data Docs",
}


def list_reports(root: Path) -> dict[str, list[Path]]:
    """HTML entry points per kind, newest first (report folders are kept per run date)."""
    found: dict[str, list[Path]] = {}
    for kind in KINDS:
        folder = root / kind
        if folder.is_dir():
            pages = sorted(folder.rglob("index.html"), key=lambda p: str(p), reverse=True)
            found[kind] = [p.relative_to(root) for p in pages]
    return found


def render_index(root: Path, base_href: str = "") -> str:
    """A plain, offline HTML page linking every report."""
    found = list_reports(root)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Support Ops reports</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}"
        "h2{margin-top:1.5rem}li{margin:.2rem 0}</style></head><body>",
        "<h1>Support Ops reports</h1>",
        f"<p>Folder: <code>{html.escape(str(root))}</code> · generated "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC</p>",
    ]
    if not any(found.values()):
        parts.append("<p>No reports yet. They appear here after the pipelines run "
                     "(<code>make demo</code>, or trigger the DAGs in Airflow).</p>")
    for kind, title in KINDS.items():
        pages = found.get(kind) or []
        if not pages:
            continue
        parts.append(f"<h2>{html.escape(title)}</h2><ul>")
        for rel in pages:
            href = html.escape(f"{base_href}{rel.as_posix()}")
            label = html.escape(rel.parent.as_posix())
            parts.append(f"<li><a href='{href}'>{label}</a></li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)
