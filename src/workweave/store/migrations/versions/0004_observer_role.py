"""observer role of a session; participant merges

Revision ID: 0004_observer_role
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_observer_role"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("observer_role", sa.String(length=16), nullable=True))
    op.create_table(
        "participant_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("into_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Text(), nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("merged_ms", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_participant_merges_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["into_id"],
            ["participants.id"],
            name=op.f("fk_participant_merges_into_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["participants.id"],
            name=op.f("fk_participant_merges_merged_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_merges")),
        sa.UniqueConstraint("merged_id", name="uq_participant_merges_merged_id"),
    )
    op.create_index("ix_participant_merges_study", "participant_merges", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_participant_merges_study", table_name="participant_merges")
    op.drop_table("participant_merges")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("observer_role")
