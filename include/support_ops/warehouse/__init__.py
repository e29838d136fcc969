"""The warehouse: the engine from the Airflow connection, upserts, the shared metadata and its
registry (every capability's tables, warehouse/registry.py), the migrations."""

from .engine import get_engine, warehouse_url
from .metadata import metadata
from .migrate import upgrade
from .upsert import upsert

__all__ = ["get_engine", "metadata", "upgrade", "upsert", "warehouse_url"]
