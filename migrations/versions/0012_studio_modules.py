"""studio modules: module revisions written in the browser, comments on them, review dates of a module

Revision ID: 0012
Revises: 0017
Create Date: 2026-12-03 07:45:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=200), nullable=True))
    op.create_table(
        'module_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=200), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('front', sa.Text(), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('based_on_version_id', sa.Integer(), nullable=True),
        sa.Column('restored_from_id', sa.Integer(), nullable=True),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('published_version_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['user.id']),
        sa.ForeignKeyConstraint(['approved_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['based_on_version_id'], ['module_version.id']),
        sa.ForeignKeyConstraint(['published_version_id'], ['module_version.id']),
        sa.ForeignKeyConstraint(['restored_from_id'], ['module_revision.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug', 'number'),
    )
    op.create_table(
        'revision_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id']),
        sa.ForeignKeyConstraint(['revision_id'], ['module_revision.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_revision_comment_revision', 'revision_comment', ['revision_id'])


def downgrade():
    op.drop_index('ix_revision_comment_revision', table_name='revision_comment')
    op.drop_table('revision_comment')
    op.drop_table('module_revision')
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('reviewed_on')
