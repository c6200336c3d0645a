"""users.locale: the language a user chose with the language switch

Revision ID: ko_1
Revises: invite_1
Create Date: 2026-11-30 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ko_1'
down_revision = 'invite_1'
branch_labels = None
depends_on = None


def upgrade():
    # Empty means "no choice yet": the browser's Accept-Language (then Korean) decides.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
