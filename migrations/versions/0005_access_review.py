"""annual access review: when and by whom each account's access was last confirmed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('access_reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_access_reviewed_by_id_user'), 'user',
                                    ['access_reviewed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_access_reviewed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('access_reviewed_by_id')
        batch_op.drop_column('access_reviewed_at')
