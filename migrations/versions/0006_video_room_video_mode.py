"""video: each room's camera mode (off, stage, everyone), stage by default

Revision ID: video_1
Revises: show_1
Create Date: 2026-11-30 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'video_1'
down_revision = 'show_1'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode rebuilds the table on SQLite, which cannot add a CHECK constraint in place.
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'video',
                sa.Enum('off', 'stage', 'everyone', name='room_video', native_enum=False, create_constraint=True, length=16),
                server_default='stage',
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('video')
