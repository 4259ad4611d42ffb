"""passive audit-log imports: one row per imported file

Revision ID: 0011_logs
Revises: 0005_calibration
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_logs"
down_revision = "0010_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_added", sa.BigInteger(), nullable=False),
        sa.Column("rows_duplicate", sa.BigInteger(), nullable=False),
        sa.Column("rows_bad", sa.BigInteger(), nullable=False),
        sa.Column("rows_unmapped", sa.BigInteger(), nullable=False),
        sa.Column("first_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ms", sa.BigInteger(), nullable=True),
        sa.Column("imported_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_log_imports_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_imports")),
        sa.UniqueConstraint("study_id", "file_sha256", name="uq_log_imports_study_file"),
    )


def downgrade() -> None:
    op.drop_table("log_imports")
