"""The warehouse: SQLAlchemy Core schema, engine from the Airflow connection, upserts, migrations."""

from .engine import get_engine, warehouse_url
from .migrate import upgrade
from .schema import metadata
from .upsert import upsert

__all__ = ["get_engine", "metadata", "upgrade", "upsert", "warehouse_url"]
