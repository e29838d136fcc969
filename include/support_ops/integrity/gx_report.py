"""The Great Expectations validation page: what GX's Data Docs showed, built with the report kit.

Per expectation: the check it implements, what it expects (type, columns, row condition),
success, rows checked, rows failing with their share, and a sample of the failing values and
record ids. Values come from customer data, so everything goes through the kit's escaping;
no CDN, no third-party script. Written to `<data_docs>/<run>/index.html` and `<data_docs>/latest/`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..reports import kit
from .guide import GUIDES

e = kit.e


def _folder_name(run_name: str) -> str:
    """A run's folder: its date when the run name ends in one, else the name made path-safe."""
    m = re.search(r"(\d{4}-\d{2}-\d{2})$", run_name)
    return m.group(1) if m else (re.sub(r"[^A-Za-z0-9._-]+", "-", run_name).strip("-.") or "run")


def _percent(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}%"


def render(*, run_name: str, run_time: dt.datetime, suite: str, success: bool, rows: Sequence[Mapping[str, Any]],
           rows_checked: int, kit_href: str | None = None, home_href: str | None = None,
           summary_href: str | None = None) -> str:
    failed = sum(1 for r in rows if not r.get("success"))
    body = ["<div class='panel'><p>"
            f"Suite <code>{e(suite)}</code> · run <code>{e(run_name)}</code> · {e(f'{run_time:%Y-%m-%d %H:%M} UTC')} · "
            f"{len(rows)} expectation(s), <strong class='{'down' if failed else 'up'}'>{failed} failed</strong> · "
            f"{rows_checked:,} rows in the checked frame (accounts and organizations joined on the Salesforce id)."
            "</p>"
            + (f"<p>What to do about each finding: {kit.link(summary_href, 'the CRM integrity summary')}.</p>"
               if summary_href else "") + "</div>"]
    table_rows = []
    for r in rows:
        check = str(r.get("check_name") or "")
        title = GUIDES[check].title if check in GUIDES else check
        status = "<td class='ok'>passed</td>" if r.get("success") else "<td class='low'>failed</td>"
        cond = f"<br><span class='note'>where {e(r.get('row_condition'))}</span>" if r.get("row_condition") else ""
        sample = ", ".join(f"<code>{e(x)}</code>" for x in r.get("unexpected_sample") or []) or "—"
        ids = ", ".join(f"<code>{e(x)}</code>" for x in r.get("ids_sample") or []) or "—"
        table_rows.append(
            f"<tr><td class='text'>{e(title)}<br><span class='note'>{e(check)}</span></td>"
            f"<td class='text'><code>{e(r.get('expectation'))}</code><br>{e(r.get('description'))}"
            f"<br><span class='note'>column(s): {e(', '.join(map(str, r.get('columns') or [])))}</span>{cond}</td>"
            f"{status}<td>{e(r.get('element_count'))}</td><td>{e(r.get('unexpected_count'))}</td>"
            f"<td>{_percent(r.get('unexpected_percent'))}</td><td class='text'>{sample}</td>"
            f"<td class='text'>{ids}</td></tr>")
    body.append("<h2>Expectations</h2><div class='panel'>" + kit.filter_box("expectations", "Filter expectations")
                + kit.table([("check", "text"), ("expects", "text"), "result", "rows checked", "failing",
                             "failing %", ("failing values (sample)", "text"), ("record ids (sample)", "text")],
                            table_rows, table_id="expectations", sortable=True) + "</div>")
    title = f"Great Expectations validation — {run_name}"
    subtitle = "passed" if success else f"{failed} of {len(rows)} expectations failed"
    return kit.page(title, "".join(body), subtitle=e(subtitle), kit_href=kit_href, home_href=home_href)


def write(docs_dir: Path, *, run_name: str, run_time: dt.datetime, suite: str, success: bool,
          rows: Sequence[Mapping[str, Any]], rows_checked: int) -> Path:
    """Write the run's page and the `latest` copy; returns the run's page."""
    reports_root = docs_dir.parent
    name = _folder_name(run_name)
    paths = []
    for folder in (docs_dir / name, docs_dir / "latest"):
        summary = reports_root / "integrity" / (name if folder.name != "latest" else "latest") / "index.html"
        text = render(run_name=run_name, run_time=run_time, suite=suite, success=success, rows=rows,
                      rows_checked=rows_checked, kit_href=kit.kit_href_for(folder, reports_root),
                      home_href=os.path.relpath(reports_root, folder).replace(os.sep, "/") + "/../",
                      summary_href=os.path.relpath(summary, folder).replace(os.sep, "/"))
        paths.append(kit.write_page(folder / "index.html", text, reports_root))
    return paths[0]
