"""Alembic environment: the engine is handed over by ``kawal.store.db.migrate`` (no alembic.ini)."""

from alembic import context

from kawal.store.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
    )
    context.run_migrations()
