"""attempts, their limits and grants per enrollment; an extra attempt may lift the cool-down

Attempts already record their enrollment (the one they were taken in); they are now numbered per
enrollment and exam, and the single open attempt is per enrollment and exam. Each existing grant is
moved to an enrollment: extra time already applied goes with its attempt; any other grant goes to the
user's enrollment whose cohort's track holds the exam (the newest enrolled when it was granted, else
the newest), then to the user's newest enrollment; a grant of a user with no enrollment at all could
never apply and is dropped (its audit event stays). The standing time multiplier moves from the user
to each of the user's enrollments.

Downgrade numbers attempts per user again; it fails if a user has open attempts at one exam in two
enrollments (finish them first).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")

# The enrollment a grant belongs to: the user's enrollment whose cohort's track schedules the exam,
# the newest one enrolled by the time of the grant ({when}), else the newest.
_GRANT_ENROLLMENT = """
UPDATE exam_grant SET enrollment_id = (
    SELECT e.id FROM enrollment e
    JOIN cohort c ON c.id = e.cohort_id
    JOIN track_item ti ON ti.track_id = c.track_id AND ti.kind = 'exam'
    JOIN exam x ON x.slug = ti.ref
    WHERE e.user_id = exam_grant.user_id AND x.id = exam_grant.exam_id AND {when}
    ORDER BY e.enrolled_at DESC, e.id DESC
    LIMIT 1)
WHERE enrollment_id IS NULL
"""


def _renumber(partition: str, order: str) -> None:
    """Number attempts 1, 2, ... within each (partition, exam) in ``order`` (portable: no window functions)."""
    op.execute(f"""
        UPDATE attempt SET number = (
            SELECT COUNT(*) FROM attempt a2
            WHERE a2.{partition} = attempt.{partition} AND a2.exam_id = attempt.exam_id
              AND (a2.{order} < attempt.{order} OR (a2.{order} = attempt.{order} AND a2.id <= attempt.id)))
    """)


def upgrade():
    # The time multiplier: from the user to each of the user's enrollments.
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_multiplier', sa.Float(), server_default=sa.text('1.0'), nullable=False))
    op.execute('UPDATE enrollment SET time_multiplier = '
               '(SELECT u.time_multiplier FROM "user" u WHERE u.id = enrollment.user_id)')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('time_multiplier')

    # Grants: to an enrollment, and whether an extra attempt lifts the cool-down.
    with op.batch_alter_table('exam_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrollment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waives_cooldown', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    op.execute('UPDATE exam_grant SET enrollment_id = '
               '(SELECT a.enrollment_id FROM attempt a WHERE a.id = exam_grant.attempt_id) '
               'WHERE attempt_id IS NOT NULL')
    op.execute(_GRANT_ENROLLMENT.format(when="e.enrolled_at <= exam_grant.granted_at"))
    op.execute(_GRANT_ENROLLMENT.format(when="1 = 1"))
    op.execute('UPDATE exam_grant SET enrollment_id = (SELECT e.id FROM enrollment e '
               'WHERE e.user_id = exam_grant.user_id ORDER BY e.enrolled_at DESC, e.id DESC LIMIT 1) '
               'WHERE enrollment_id IS NULL')
    op.execute('DELETE FROM exam_grant WHERE enrollment_id IS NULL')
    with op.batch_alter_table('exam_grant', schema=None) as batch_op:
        batch_op.alter_column('enrollment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_exam_grant_enrollment_id_enrollment'), 'enrollment',
                                    ['enrollment_id'], ['id'])
        batch_op.drop_index('ix_exam_grant_user_exam')
        batch_op.create_index('ix_exam_grant_enrollment_exam', ['enrollment_id', 'exam_id'], unique=False)

    # Attempts: numbered, and at most one open, per enrollment and exam.
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attempt_user_id_exam_id_number'), type_='unique')
        batch_op.drop_index('uq_attempt_one_open', sqlite_where=OPEN, postgresql_where=OPEN)
    _renumber('enrollment_id', 'number')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_attempt_enrollment_id_exam_id_number'),
                                          ['enrollment_id', 'exam_id', 'number'])
        batch_op.create_index('uq_attempt_one_open', ['enrollment_id', 'exam_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attempt_enrollment_id_exam_id_number'), type_='unique')
        batch_op.drop_index('uq_attempt_one_open', sqlite_where=OPEN, postgresql_where=OPEN)
    _renumber('user_id', 'started_at')
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_attempt_user_id_exam_id_number'),
                                          ['user_id', 'exam_id', 'number'])
        batch_op.create_index('uq_attempt_one_open', ['user_id', 'exam_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    with op.batch_alter_table('exam_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_exam_grant_enrollment_exam')
        batch_op.create_index('ix_exam_grant_user_exam', ['user_id', 'exam_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_exam_grant_enrollment_id_enrollment'), type_='foreignkey')
        batch_op.drop_column('waives_cooldown')
        batch_op.drop_column('enrollment_id')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_multiplier', sa.Float(), server_default=sa.text('1.0'), nullable=False))
    op.execute('UPDATE "user" SET time_multiplier = COALESCE((SELECT e.time_multiplier FROM enrollment e '
               'WHERE e.user_id = "user".id ORDER BY e.enrolled_at DESC, e.id DESC LIMIT 1), 1.0)')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('time_multiplier')
