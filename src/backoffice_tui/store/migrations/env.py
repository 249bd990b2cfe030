"""Alembic environment: always run on a connection handed over by store.schema."""

from alembic import context

from backoffice_tui.store import models  # noqa: F401  (registers every table)
from backoffice_tui.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
