"""Alembic environment: runs against the connection ``schema.upgrade`` hands over."""

from __future__ import annotations

from alembic import context

from litdesk.server.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` on the command line gets here
    from sqlalchemy import create_engine

    from litdesk.server.db import normalise_url

    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
