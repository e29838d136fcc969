"""Every table of the warehouse, from the one list of capabilities (support_ops/capabilities.py).

Tables live with their capability (`<package>/tables.py`); this module imports them all so that
Alembic (migrations/env.py), `support_ops summary` and the migration-drift test see the whole
schema. `tables.<name>` looks a table up by name without importing unrelated capabilities.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sqlalchemy import MetaData, Table

from ..capabilities import CAPABILITIES
from .metadata import metadata

# The warehouse's own table first, then each capability's, in the list's order.
TABLE_MODULES: tuple[str, ...] = ("support_ops.warehouse.tables",) + tuple(
    f"support_ops.{c.package}.tables" for c in CAPABILITIES if c.tables)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in TABLE_MODULES]


def load_all() -> MetaData:
    """Import every tables module; the shared metadata then holds the whole warehouse."""
    _modules()
    return metadata


class _Tables:
    """Attribute access to any registered table: `tables.zd_tickets`."""

    def __getattr__(self, name: str) -> Table:
        if name.startswith("__"):
            raise AttributeError(name)
        for module_name in TABLE_MODULES:
            table = getattr(importlib.import_module(module_name), name, None)
            if isinstance(table, Table):
                return table
        raise AttributeError(f"no warehouse table {name!r} in {', '.join(TABLE_MODULES)}")


tables = _Tables()
