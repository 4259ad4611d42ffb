"""planned activity from calendars, and the periods each calendar import covers

Revision ID: 0006_formats
Revises: 0005_calibration
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_formats"
down_revision = "0005_calibration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planned_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("recurrence_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_planned_activity_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_activity")),
    )
    with op.batch_alter_table("planned_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_planned_activity_participant", ["participant_id", "start_ms"], unique=False
        )
    op.create_table(
        "plan_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_plan_periods_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_periods")),
    )
    with op.batch_alter_table("plan_periods", schema=None) as batch_op:
        batch_op.create_index("ix_plan_periods_participant", ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_periods", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_periods_participant")
    op.drop_table("plan_periods")
    with op.batch_alter_table("planned_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_planned_activity_participant")
    op.drop_table("planned_activity")
