"""studio exercises: practical exercises written in the browser share the module revisions' table

A revision gets a kind (module or exercise), is numbered per kind and slug, and an exercise's revision
names the exercise versions it was edited from and published as.

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('module_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='module', nullable=False))
        batch_op.add_column(sa.Column('exercise_based_on_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('exercise_published_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_module_revision_exercise_based_on_id_exercise_version'),
                                    'exercise_version', ['exercise_based_on_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_module_revision_exercise_published_id_exercise_version'),
                                    'exercise_version', ['exercise_published_id'], ['id'])
        batch_op.drop_constraint('uq_module_revision_slug_number', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_module_revision_kind_slug_number'),
                                          ['kind', 'slug', 'number'])


def downgrade():
    op.execute("DELETE FROM revision_comment WHERE revision_id IN "
               "(SELECT id FROM module_revision WHERE kind <> 'module')")
    op.execute("DELETE FROM module_revision WHERE kind <> 'module'")
    with op.batch_alter_table('module_revision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_module_revision_kind_slug_number', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_module_revision_slug_number'), ['slug', 'number'])
        batch_op.drop_constraint('fk_module_revision_exercise_published_id_exercise_version',
                                 type_='foreignkey')
        batch_op.drop_constraint('fk_module_revision_exercise_based_on_id_exercise_version',
                                 type_='foreignkey')
        batch_op.drop_column('exercise_published_id')
        batch_op.drop_column('exercise_based_on_id')
        batch_op.drop_column('kind')
