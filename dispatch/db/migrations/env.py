"""Alembic environment: runs on the connection handed over by ``dispatch.db.migrate``."""

from __future__ import annotations

from alembic import context

from dispatch.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the CLI always passes a connection
    raise RuntimeError("run migrations through `coopdispatch migrate`")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
