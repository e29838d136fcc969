"""The one SQLAlchemy `MetaData` every capability's tables join, with the naming convention.

Each capability declares its tables in `<capability>/tables.py` against this object;
`registry.load_all()` imports them all (for Alembic and the migration-drift test).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, MetaData

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    }
)


def ts(name: str, **kw) -> Column:
    """A timezone-aware timestamp column (every timestamp in the warehouse is UTC-aware)."""
    return Column(name, DateTime(timezone=True), **kw)


def extracted() -> list[Column]:
    """The columns every extracted source table ends with: the record as received, and when."""
    return [Column("raw", JSON, nullable=False), ts("extracted_at", nullable=False)]
