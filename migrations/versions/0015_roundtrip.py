"""files and browser together: what each sync saw (content_sync_state); a module version's front matter
and a track's file values as read, so that lms content export writes them back; cohort notices

The items already in the database are recorded as loaded from files (except questions imported from
other systems, whose versions name their import), with no file hash: the first sync after this
revision lets the files win, as before, and records the hashes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_RECORD = """
INSERT INTO content_sync_state (kind, key, path, file_hash, version_marker, synced_at)
SELECT '{kind}', t.slug, {path}, NULL, {marker}, CURRENT_TIMESTAMP FROM {table} t {join}
WHERE t.retired_at IS NULL {where}
"""


def upgrade():
    op.create_table(
        'content_sync_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('file_hash', sa.String(length=64), nullable=True),
        sa.Column('version_marker', sa.String(length=100), nullable=False),
        sa.Column('synced_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'key'),
    )
    op.create_table(
        'cohort_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('posted_by_id', sa.Integer(), nullable=False),
        sa.Column('posted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id']),
        sa.ForeignKeyConstraint(['posted_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_cohort_notice_cohort_id', 'cohort_notice', ['cohort_id'])
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('front_matter', sa.Text(), nullable=True))
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_data', sa.Text(), nullable=True))
    versioned = "JOIN {v} v ON v.id = t.current_version_id"
    for kind, table, path, join, where in (
            ('module', 'module', 'v.source_path', versioned.format(v='module_version'), ''),
            ('exam', 'exam', 'v.source_path', versioned.format(v='exam_version'), ''),
            ('question', 'question', 'v.source_path', versioned.format(v='question_version'),
             "AND v.source_path LIKE 'question_banks/%'"),
    ):
        op.execute(_RECORD.format(kind=kind, table=table, path=path, join=join, where=where,
                                  marker="CAST(t.current_version_id AS VARCHAR(100))"))
    op.execute(_RECORD.format(kind='track', table='track', path="'curriculum/tracks/' || t.slug || '.yml'",
                              join='', where='', marker='t.content_hash'))
    op.execute(_RECORD.format(kind='bank', table='question_bank', path='t.source_path', join='', where='',
                              marker="''"))


def downgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('source_data')
    with op.batch_alter_table('module_version', schema=None) as batch_op:
        batch_op.drop_column('front_matter')
    op.drop_table('content_sync_state')
    op.drop_index('ix_cohort_notice_cohort_id', table_name='cohort_notice')
    op.drop_table('cohort_notice')
