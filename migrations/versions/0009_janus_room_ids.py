"""janus: each live show's VideoRoom id, secret and pin on the room row

Revision ID: janus_2
Revises: host_2
Create Date: 2026-11-30 05:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "janus_2"
down_revision = "host_2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("janus_room_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("janus_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("janus_pin", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("janus_pin")
        batch_op.drop_column("janus_secret")
        batch_op.drop_column("janus_room_id")
