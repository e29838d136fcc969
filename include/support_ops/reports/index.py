"""The reports' home page (`/support-ops/`): the latest of everything at a glance, then the archive.

Each capability's card comes from its headline (registry.py), its archive section from the
report kinds it lists in support_ops/capabilities.py: last week's and month's CSAT
against target, the integrity counts with their change, and so on for every capability that
registers. Below them, every dated report, newest first, in a collapsed section.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..capabilities import CAPABILITIES
from . import kit, registry

# Report kinds: sub-folder of the reports folder -> title shown to users, from each capability's
# entry in the one list (support_ops/capabilities.py).
KINDS: dict[str, str] = {kind: title for cap in CAPABILITIES for kind, title in cap.reports.items()}


def list_reports(root: Path) -> dict[str, list[Path]]:
    """HTML entry points per kind, newest first (report folders are kept per run date)."""
    found: dict[str, list[Path]] = {}
    for kind in KINDS:
        folder = root / kind
        if folder.is_dir():
            pages = [p for p in folder.glob("*/index.html") if p.parent.name != "latest"]
            pages.sort(key=lambda p: p.parent.name, reverse=True)
            found[kind] = [p.relative_to(root) for p in pages]
    return found


def _card(title: str, h: registry.Headline | None, base_href: str) -> str:
    if h is None:
        return (f"<section class='card'><h2>{kit.e(title)}</h2><p class='note'>No run yet: the card "
                "fills in after the pipeline's first run.</p></section>")
    figures = "".join(
        f"<div class='metric {kit.e(f.status)}'><div class='v'>{kit.e(f.value)}</div>"
        f"<div class='l'>{kit.e(f.label)}" + (f" · {kit.e(f.note)}" if f.note else "") + "</div></div>"
        for f in h.figures)
    links = []
    if h.report:
        links.append(kit.link(base_href + h.report, "Open the report"))
    links += [kit.link(base_href + rel, label) for label, rel in h.links]
    return (f"<section class='card {kit.e(h.status)}' data-capability='{kit.e(h.capability)}'>"
            f"<h2>{kit.e(title)}</h2><p>{kit.e(h.summary)}</p>"
            + (f"<div class='metrics'>{figures}</div>" if figures else "")
            + (f"<p>{' · '.join(links)}</p>" if links else "")
            + f"<p class='note'>updated {kit.e(h.updated_at)}</p></section>")


def render_index(root: Path, base_href: str = "", kit_href: str | None = None) -> str:
    """The home page. `base_href` prefixes report paths (the plugin passes its reports URL)."""
    cards = "".join(_card(title, h, base_href) for _key, title, h in registry.read_all(root))
    parts = [f"<div class='cards'>{cards}</div>"]
    found = list_reports(root)
    if not any(found.values()):
        parts.append("<div class='panel'><p>No reports yet. They appear here after the pipelines run "
                     "(<code>make demo</code>, or trigger the DAGs in Airflow).</p></div>")
    for kind, title in KINDS.items():
        pages = found.get(kind) or []
        if not pages:
            continue
        items = "".join(f"<li>{kit.link(base_href + rel.as_posix(), rel.parent.name)}</li>" for rel in pages)
        parts.append(f"<details class='section'><summary>{kit.e(title)} "
                     f"<span class='count'>{len(pages)}</span></summary><div><ul>{items}</ul></div></details>")
    now = dt.datetime.now(dt.UTC)
    return kit.page("Support Ops reports", "".join(parts), kit_href=kit_href,
                    subtitle=f"The latest of every pipeline · {now:%Y-%m-%d %H:%M} UTC")
