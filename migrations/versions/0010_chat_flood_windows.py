"""chat: the flood rule's windows move from Redis into the post's own write

Revision ID: chat_flood_1
Revises: janus_2
Create Date: 2026-12-03 10:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "chat_flood_1"
down_revision = "janus_2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chat_floods",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("times", sa.ARRAY(sa.Double()).with_variant(sa.JSON(), "sqlite"), nullable=False),
        sa.Column(
            "digests",
            sa.ARRAY(sa.String(length=20)).with_variant(sa.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("over_rule", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint("NOT over_rule", name="ck_chat_floods_within_rule"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "scope"),
    )


def downgrade():
    op.drop_table("chat_floods")
