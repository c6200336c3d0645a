"""host tools: a room chat's slow mode (seconds between one person's lines; 0 = off)

Revision ID: host_2
Revises: safety_1
Create Date: 2026-11-30 05:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "host_2"
down_revision = "safety_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chat_slow_seconds", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("chat_slow_seconds")
