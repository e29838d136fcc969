"""docs/ stays the project's own reference: it names every rule the code has, its links resolve,
and nothing in the repository cites a document outside it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from support_ops import config
from support_ops.integrity.rules import CHECKS
from support_ops.kpis import definitions as d

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIP_DIRS = {".git", ".venv", ".airflow", "data", "node_modules", "__pycache__", ".conformance"}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".sh", ".json", ".html", ".js", ".css"}


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _project_files() -> list[Path]:
    """The project's text files (walked with pruning: the venv alone holds ~100k files)."""
    out = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.endswith(".egg-info")]
        for name in files:
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES or name in {"Makefile", "Dockerfile"}:
                out.append(path)
    return out


def test_no_file_cites_a_document_outside_the_repository():
    # Built from parts so this file does not match itself.
    outside = re.compile("DESIGN" + r"\s*§|" + "DESIGN" + r"\.md|\.\./shared/")
    offenders = []
    for path in _project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if outside.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert offenders == [], "cite docs/<page>.md instead:\n" + "\n".join(offenders)


def test_every_integrity_check_has_its_section_saying_what_and_who_fixes_it():
    text = _read("integrity-rules.md")
    sections = {}
    for block in re.split(r"^(?=#{2,3} )", text, flags=re.M):
        m = re.match(r"### `(\w+)` \((account|organization)\)\n", block)
        if m:
            sections[m.group(1)] = (m.group(1), m.group(2), block)
    assert list(sections) == [c.name for c in CHECKS]
    for check in CHECKS:
        _, entity, body = sections[check.name]
        assert entity == check.entity_type, check.name
        assert "*Means:*" in body and "*Fixed by:*" in body, check.name


def test_kpi_page_names_every_reason_route_tag_and_setting():
    text = _read("kpi-definitions.md")
    for reason, route in d.BAD_REASON_ROUTES.items():
        assert re.search(rf"\| {re.escape(reason)} \| `{route}` \|", text), reason
    for word in (*d.SURVEY_TAGS, d.MERGED_TAG, *d.UNSURVEYED_REASONS, d.NO_REASON, d.UNKNOWN_SEGMENT,
                 *d.SEGMENT_TYPES, *d.SURVEYED_SCORES, "SUPPORT_OPS_CSAT_TARGET", "SUPPORT_OPS_MAIL_LIST"):
        assert f"`{word}`" in text, word
    assert f"exactly `{d.STAFF_ORG_NAME}`" in text


def test_data_contract_names_every_connection_id():
    text = _read("data-contract.md")
    ids = [v for k, v in vars(config).items() if k.endswith("_CONN_ID") and isinstance(v, str)]
    assert ids
    for conn_id in ids:
        assert f"| `{conn_id}` |" in text, conn_id


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")) + ["../README.md"])
def test_relative_links_resolve(page):
    path = (DOCS / page).resolve()
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file_part = target.split("#", 1)[0]
        if file_part and not (path.parent / file_part).exists():
            broken.append(target)
    assert broken == [], f"{page}: links to missing files: {broken}"
