"""Alembic environment: runs on the connection workweave hands over (see store.engine)."""

from __future__ import annotations

from alembic import context

import workweave.store.schema_qual  # noqa: F401  (qualitative tables on the same metadata)
from workweave.store import schema_web  # noqa: F401  (web tables on the same metadata)
from workweave.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand
    from sqlalchemy import create_engine

    connection = create_engine(config.get_main_option("sqlalchemy.url") or "").connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
