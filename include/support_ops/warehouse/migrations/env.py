"""Alembic environment: uses the engine handed over in `config.attributes["engine"]`."""

from alembic import context

from support_ops.warehouse.registry import load_all

metadata = load_all()

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
