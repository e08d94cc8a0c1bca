"""course structure: a track's length and hours and no repeats across its exams; question families

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-02 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family', sa.String(length=100), nullable=True))
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('length_unit', sa.String(length=10), nullable=False, server_default='weeks'))
        batch_op.add_column(sa.Column('online_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('classroom_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('no_repeats_across_exams', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('family')
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('no_repeats_across_exams')
        batch_op.drop_column('classroom_hours')
        batch_op.drop_column('online_hours')
        batch_op.drop_column('length_unit')
