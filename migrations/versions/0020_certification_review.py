"""certification review: a certification put up for staff review after a correction below the requirements

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certification_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certification_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('shortfall', sa.Text(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['certification_id'], ['certification.id'], ),
        sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('certification_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_review_certification_id'), ['certification_id'],
                              unique=False)
        batch_op.create_index('uq_certification_review_one_open', ['certification_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade():
    with op.batch_alter_table('certification_review', schema=None) as batch_op:
        batch_op.drop_index('uq_certification_review_one_open', sqlite_where=sa.text("status = 'open'"),
                            postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_certification_review_certification_id'))
    op.drop_table('certification_review')
