"""The product never imports the sandbox: the Airflow image does not install it.

The sandbox (sandbox/, its own package) stands in for Zendesk, Salesforce, PagerDuty, GitLab
and Slack in development and tests only; product code reaches it over HTTP like the real
systems, never through an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("include/support_ops", "dags", "plugins")


def sandbox_imports(source: str) -> list[int]:
    """Line numbers of `import sandbox...` / `from sandbox... import` statements."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            if any(a.name == "sandbox" or a.name.startswith("sandbox.") for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == "sandbox" or node.module.startswith("sandbox."):
                lines.append(node.lineno)
    return lines


def test_the_check_finds_sandbox_imports():
    found = sandbox_imports("import os\nimport sandbox.core.store\nfrom sandbox import x\n"
                            "def f():\n    from sandbox.core.collections import ZD_TICKETS\n"
                            "from sandboxed import y\nimport support_ops.sandbox_links\n")
    assert found == [2, 3, 5]


@pytest.mark.parametrize("folder", PRODUCT)
def test_product_code_never_imports_the_sandbox(folder):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}"
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files for n in sandbox_imports(p.read_text())]
    assert not offenders, f"product code imports the sandbox: {offenders}"
