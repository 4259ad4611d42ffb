"""imported text is unbounded on PostgreSQL (VARCHAR(200) -> TEXT)

SQLite does not enforce VARCHAR lengths, so nothing changes there; on PostgreSQL a value over
200 characters (a WOMBAT category, a dimension value, a task key) was an internal error.

Revision ID: 0007_secinput
Revises: 0005_calibration
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_secinput"
down_revision = "0006_formats"
branch_labels = None
depends_on = None

COLUMNS = (
    ("templates", "name", False),
    ("codebooks", "name", False),
    ("sessions", "key", False),
    ("sessions", "source_id", True),
    ("documents", "session_key", True),
    ("notes", "key", True),
    ("point_events", "key", True),
    ("point_events", "subtype", True),
    ("tasks", "key", False),
    ("tasks", "category", False),
    ("tasks", "subcategory", True),
    ("tasks", "ended_by", True),
    ("parallel_links", "other_key", False),
    ("suspensions", "by_key", True),
    ("task_dimensions", "dimension", False),
    ("task_dimensions", "value", False),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table, column, type_=sa.Text(), existing_type=sa.String(200), existing_nullable=nullable
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table,
            column,
            type_=sa.String(200),
            existing_type=sa.Text(),
            existing_nullable=nullable,
            postgresql_using=f"left({column}, 200)",
        )
