"""show rules second edition: deadlines, pause, idle limit, members-only chat, HTTP presence

Revision ID: show_1
Revises: ko_1
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "show_1"
down_revision = "ko_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("turn_minutes", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column("scoring_seconds", sa.Integer(), server_default="60", nullable=False)
        )
        batch_op.add_column(
            sa.Column("deadline_at", app.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("paused_seconds_left", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "last_activity_at", app.models.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "chat_members_only", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_rooms_turn_minutes_range"), "turn_minutes BETWEEN 1 AND 10"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_rooms_scoring_seconds_range"), "scoring_seconds BETWEEN 10 AND 300"
        )
        batch_op.create_index("ix_rooms_status_deadline", ["status", "deadline_at"], unique=False)
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", app.models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("room_members", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_rooms_status_deadline")
        batch_op.drop_constraint(batch_op.f("ck_rooms_scoring_seconds_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_rooms_turn_minutes_range"), type_="check")
        batch_op.drop_column("chat_members_only")
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("paused_seconds_left")
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("scoring_seconds")
        batch_op.drop_column("turn_minutes")
