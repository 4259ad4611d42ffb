"""The store: SQLAlchemy Core tables, Alembic migrations and the repositories.

All table modules register on one `metadata` (store.schema); importing the package loads them
all, so migrations, comparisons and `create_all` always see the whole schema.
"""

from workweave.store import schema, schema_qual  # noqa: F401
