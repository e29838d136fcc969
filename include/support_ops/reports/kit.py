"""The report kit every page of the project is built with: page shell, stylesheet, tables, charts.

Why one kit: the KPI report, the integrity summary, the validation page and the home page look
and behave alike, and there is one place where escaping happens. Every value put into a page
goes through `e()` (text and attributes); helpers that take HTML say so in their name (`*_html`).

Pages carry their stylesheet inline (a written report opens from disk, or attached to a mail,
with no server). Their only script is the project's own `kit.js` (sortable and filterable
tables), loaded from `_kit/` next to the reports (`copy_assets` puts it there; the plugin also
serves it), which the plugin's Content-Security-Policy allows; without it pages still read
fine. Charts are matplotlib SVGs embedded as data URIs.
"""

from __future__ import annotations

import base64
import html
import io
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).with_name("static")
KIT_FOLDER = "_kit"  # inside the reports folder
ASSETS = ("kit.js",)

GOOD, BAD, INK, MUTED, GRID = "#1f8a4c", "#c62828", "#1f2933", "#6b7785", "#e4e7eb"
ACCENT, ACCENT2 = "#6e49cb", "#e67e22"

CSS = """
:root{--ink:#1f2933;--muted:#6b7785;--line:#e4e7eb;--good:#1f8a4c;--bad:#c62828;--warn:#b7791f;
--accent:#6e49cb;--bg:#f6f7fb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#292961;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9c9ec;font-size:13px}header a{color:#fff}
nav.crumbs{font-size:12px;margin-bottom:6px}nav.crumbs a{color:#c9c9ec}
main{max-width:1180px;margin:0 auto;padding:20px 32px 40px}
h2{font-size:17px;margin:28px 0 10px}h3{font-size:14px;margin:16px 0 6px;color:var(--muted);font-weight:600}
a{color:#3a3ab8}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;border-top:5px solid var(--line)}
.card.ok{border-top-color:var(--good)}.card.low,.card.bad{border-top-color:var(--bad)}.card.warn{border-top-color:var(--warn)}
.card h2{margin:0 0 8px;font-size:15px;color:var(--muted);font-weight:600}
.big{font-size:40px;font-weight:700;line-height:1.1}.ok .big{color:var(--good)}.low .big,.bad .big{color:var(--bad)}
.status{display:inline-block;font-size:12px;font-weight:600;padding:2px 8px;border-radius:20px;margin-left:8px;
vertical-align:middle;background:#eef0f4;color:var(--muted)}.ok .status{background:#e3f4ea;color:var(--good)}
.low .status,.bad .status{background:#fde8e8;color:var(--bad)}.warn .status{background:#fdf3e1;color:var(--warn)}
.metrics{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-top:12px}
.metric .v{font-size:18px;font-weight:600}.metric .l{font-size:12px;color:var(--muted)}
.delta{font-size:12px;color:var(--muted)}.up{color:var(--good)}.down{color:var(--bad)}
.panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin-top:12px}
.chart{width:100%;height:auto;display:block}.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid var(--line);
text-align:right;vertical-align:top}th:first-child,td:first-child{text-align:left}
td.text,th.text{text-align:left}
th{color:var(--muted);font-weight:600;font-size:12px;white-space:nowrap}td.low{color:var(--bad);font-weight:600}
td.ok{color:var(--good);font-weight:600}.note{color:var(--muted);font-size:12px}
table.sortable th{cursor:pointer;user-select:none}table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}
table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
tr.new td{background:#fff7e6}.tag{display:inline-block;font-size:11px;font-weight:600;padding:1px 6px;
border-radius:10px;background:#fff0d4;color:#8a5a00;margin-left:4px}.tag.small{background:#eef0f4;color:var(--muted)}
.tag.staff{background:#e8e6fa;color:#4b3aa8}
.route{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.route.product{background:#e67e22}.route.support_managers{background:#6e49cb}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;font-size:13px}dt{font-weight:600}dd{margin:0}
details.section{background:#fff;border:1px solid var(--line);border-radius:10px;margin-top:12px}
details.section>summary{cursor:pointer;padding:12px 18px;font-weight:600;font-size:15px;list-style-position:inside}
details.section>div{padding:0 18px 14px}
.count{display:inline-block;min-width:2.2em;text-align:center;font-size:12px;padding:1px 8px;border-radius:10px;
background:#eef0f4;margin-left:6px}.count.bad{background:#fde8e8;color:var(--bad)}.count.ok{background:#e3f4ea;color:var(--good)}
.guide{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;font-size:13px;margin:6px 0 10px}
.guide dt{color:var(--muted)}.owner{font-weight:600}
.filters{display:flex;gap:10px;align-items:center;margin:8px 0;font-size:13px;flex-wrap:wrap}
.filters input[type=search]{padding:4px 8px;border:1px solid var(--line);border-radius:6px;min-width:16rem}
code{font-size:12px;background:#f1f2f6;padding:0 3px;border-radius:3px}
.empty{color:var(--muted);font-style:italic}
@media (max-width:900px){.two{grid-template-columns:1fr}.metrics{grid-template-columns:1fr 1fr}}
"""


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute (None is empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def empty_or(value: Any) -> str:
    """A field value, with empty ones shown as such (empty is what several checks are about)."""
    if value is None or str(value).strip() == "":
        return "<span class='empty'>(empty)</span>"
    return e(value)


def link(url: str | None, label: Any) -> str:
    """An escaped link; plain escaped text when there is no URL (or it is not http/https/relative)."""
    if not url:
        return e(label)
    text = str(url)
    scheme = text.split(":", 1)[0].lower() if ":" in text.split("/", 1)[0] else ""
    if scheme not in ("", "http", "https"):
        return e(label)
    return f"<a href='{e(text)}'>{e(label)}</a>"


def page(title: str, body_html: str, *, subtitle: str = "", kit_href: str | None = None,
         home_href: str | None = None, crumbs: Sequence[tuple[str, str]] = ()) -> str:
    """A whole HTML document: header (title, subtitle, breadcrumbs), `body_html` in <main>.

    `kit_href` is the folder holding kit.js (relative or root-relative, ending in '/'); None
    leaves the script out (the page has no interactive tables)."""
    nav = ""
    trail = ([("Support Ops reports", home_href)] if home_href else []) + list(crumbs)
    if trail:
        nav = "<nav class='crumbs'>" + " › ".join(link(href, label) for label, href in trail) + "</nav>"
    script = f"<script src='{e(kit_href)}kit.js' defer></script>" if kit_href is not None else ""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{e(title)}</title><style>{CSS}</style>{script}</head><body>"
            f"<header>{nav}<h1>{e(title)}</h1>" + (f"<p>{subtitle}</p>" if subtitle else "")
            + f"</header><main>{body_html}</main></body></html>")


def table(headers: Sequence[str | tuple[str, str]], rows: Iterable[str], *, table_id: str | None = None,
          sortable: bool = False, empty: str = "Nothing to show.", cls: str = "") -> str:
    """A table from header labels (or (label, css class)) and already-rendered `<tr>` rows."""
    body = list(rows)
    heads = "".join(f"<th class='{e(h[1])}'>{e(h[0])}</th>" if isinstance(h, tuple) else f"<th>{e(h)}</th>"
                    for h in headers)
    if not body:
        body = [f"<tr><td colspan='{len(headers)}' class='note'>{e(empty)}</td></tr>"]
    classes = " ".join(c for c in (cls, "sortable" if sortable else "") if c)
    attrs = (f" id='{e(table_id)}'" if table_id else "") + (f" class='{classes}'" if classes else "")
    return f"<div class='scroll'><table{attrs}><thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def filter_box(table_id: str, placeholder: str = "Filter rows", new_toggle: bool = False) -> str:
    """The controls kit.js wires to a table: a text filter and, optionally, 'only new'."""
    toggle = (f"<label><input type='checkbox' data-only-new='{e(table_id)}'> only new</label>"
              if new_toggle else "")
    return (f"<div class='filters'><input type='search' placeholder='{e(placeholder)}' "
            f"aria-label='{e(placeholder)}' data-filter='{e(table_id)}'>{toggle}"
            f"<span class='note' data-shown='{e(table_id)}'></span></div>")


def kit_href_for(page_dir: Path, reports_root: Path) -> str:
    """The relative href of the `_kit/` folder from a page written in `page_dir`."""
    rel = os.path.relpath(reports_root / KIT_FOLDER, page_dir).replace(os.sep, "/")
    return rel.rstrip("/") + "/"


def copy_assets(reports_root: Path) -> None:
    """Put kit.js into `<reports>/_kit/` so written pages work when opened from disk too."""
    target = reports_root / KIT_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        src, dst = STATIC_DIR / name, target / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            tmp = dst.with_name(f".{name}.{os.getpid()}.tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)


def write_page(path: Path, text: str, reports_root: Path | None = None) -> Path:
    """Write a page atomically (readers never see half a page); copy the kit assets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    if reports_root is not None:
        copy_assets(reports_root)
    return path


# -- charts -------------------------------------------------------------------------------------

def figure(width: float = 9.5, height: float = 3.2):
    """A matplotlib figure and axes in the kit's style (no pyplot: no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=8.5)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def svg_img(fig, alt: str) -> str:
    """The figure as an <img> with an SVG data URI (deterministic output; text drawn as paths)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "support-ops-reports", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="chart" alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'
