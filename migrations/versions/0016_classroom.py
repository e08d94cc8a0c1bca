"""classroom: sessions and attendance, practical exercises with rubric grades, a track's attendance share

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-03 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_percent', sa.Float(), nullable=True))
    op.create_table(
        'class_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('week', sa.Integer(), nullable=False),
        sa.Column('covers', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('cancel_reason', sa.Text(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_session_cohort_id'), ['cohort_id'], unique=False)
    op.create_table(
        'attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('enrollment_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('minutes_late', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], ),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['session_id'], ['class_session.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'enrollment_id'),
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_enrollment_id'), ['enrollment_id'], unique=False)
    op.create_table(
        'exercise',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=100), nullable=False),
        sa.Column('current_version_id', sa.Integer(), nullable=True),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug'),
    )
    op.create_table(
        'exercise_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('instructions_md', sa.Text(), nullable=False),
        sa.Column('instructions_html', sa.Text(), nullable=False),
        sa.Column('rubric', sa.Text(), nullable=False),
        sa.Column('pass_total', sa.Float(), nullable=False),
        sa.Column('sources', sa.Text(), nullable=False),
        sa.Column('source_path', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercise.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('exercise_id', 'number'),
    )
    with op.batch_alter_table('exercise', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_exercise_current_version_id_exercise_version'),
                                    'exercise_version', ['current_version_id'], ['id'])
    op.create_table(
        'practical_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrollment_id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('exercise_version_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('stored_name', sa.String(length=100), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], ),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercise.id'], ),
        sa.ForeignKeyConstraint(['exercise_version_id'], ['exercise_version.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('enrollment_id', 'exercise_id'),
    )
    op.create_table(
        'practical_grade',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enrollment_id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('exercise_version_id', sa.Integer(), nullable=False),
        sa.Column('grader_role', sa.String(length=10), nullable=False),
        sa.Column('grader_id', sa.Integer(), nullable=False),
        sa.Column('scores', sa.Text(), nullable=False),
        sa.Column('comments', sa.Text(), nullable=False),
        sa.Column('total', sa.Float(), nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('graded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], ),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercise.id'], ),
        sa.ForeignKeyConstraint(['exercise_version_id'], ['exercise_version.id'], ),
        sa.ForeignKeyConstraint(['grader_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('enrollment_id', 'exercise_id', 'grader_role'),
    )
    with op.batch_alter_table('practical_grade', schema=None) as batch_op:
        batch_op.create_index('ix_practical_grade_exercise', ['exercise_id'], unique=False)


def downgrade():
    with op.batch_alter_table('practical_grade', schema=None) as batch_op:
        batch_op.drop_index('ix_practical_grade_exercise')
    op.drop_table('practical_grade')
    op.drop_table('practical_submission')
    with op.batch_alter_table('exercise', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_exercise_current_version_id_exercise_version'), type_='foreignkey')
    op.drop_table('exercise_version')
    op.drop_table('exercise')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_enrollment_id'))
    op.drop_table('attendance')
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_session_cohort_id'))
    op.drop_table('class_session')
    with op.batch_alter_table('track', schema=None) as batch_op:
        batch_op.drop_column('attendance_percent')
