"""item challenges, grading adjustments and held regrades; standard-setting panels and their ratings

New tables only: item_challenge (one open per attempt question), grading_adjustment (a decision's effect on
a question version's grading), regrade_hold (a pass -> fail regrade waiting for staff), standard_setting
(a modified-Angoff panel of an exam version; its record maps to the exam file's standard_setting section)
and angoff_rating (one rater's probability for one question).

Revision ID: 0014
Revises: 0007
Create Date: 2026-12-03 07:34:53.080795

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standard_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('exam_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('raters', sa.Text(), nullable=True),
    sa.Column('ratings', sa.Text(), nullable=True),
    sa.Column('cut', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('adopted_at', sa.DateTime(), nullable=True),
    sa.Column('adopted_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['user.id'], name=op.f('fk_standard_setting_adopted_by_id_user')),
    sa.ForeignKeyConstraint(['adopted_version_id'], ['exam_version.id'], name=op.f('fk_standard_setting_adopted_version_id_exam_version')),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_standard_setting_exam_id_exam')),
    sa.ForeignKeyConstraint(['exam_version_id'], ['exam_version.id'], name=op.f('fk_standard_setting_exam_version_id_exam_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_setting'))
    )
    with op.batch_alter_table('standard_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_setting_exam_id'), ['exam_id'], unique=False)
        batch_op.create_index('uq_standard_setting_one_open', ['exam_version_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('angoff_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_setting_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('question_slug', sa.String(length=100), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rater_id'], ['user.id'], name=op.f('fk_angoff_rating_rater_id_user')),
    sa.ForeignKeyConstraint(['standard_setting_id'], ['standard_setting.id'], name=op.f('fk_angoff_rating_standard_setting_id_standard_setting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_angoff_rating')),
    sa.UniqueConstraint('standard_setting_id', 'rater_id', 'question_slug', name=op.f('uq_angoff_rating_standard_setting_id_rater_id_question_slug'))
    )
    op.create_table('grading_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answer_label', sa.String(length=500), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_grading_adjustment_decided_by_id_user')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_version.id'], name=op.f('fk_grading_adjustment_question_version_id_question_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grading_adjustment'))
    )
    with op.batch_alter_table('grading_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grading_adjustment_question_version_id'), ['question_version_id'], unique=False)

    op.create_table('regrade_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('adjustment_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('percent_before', sa.Double(), nullable=False),
    sa.Column('percent_after', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['adjustment_id'], ['grading_adjustment.id'], name=op.f('fk_regrade_hold_adjustment_id_grading_adjustment')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_regrade_hold_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_regrade_hold_decided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regrade_hold')),
    sa.UniqueConstraint('adjustment_id', 'attempt_id', name=op.f('uq_regrade_hold_adjustment_id_attempt_id'))
    )
    with op.batch_alter_table('regrade_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regrade_hold_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('item_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('attempt_question_id', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('adjustment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['adjustment_id'], ['grading_adjustment.id'], name=op.f('fk_item_challenge_adjustment_id_grading_adjustment')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_item_challenge_attempt_id_attempt')),
    sa.ForeignKeyConstraint(['attempt_question_id'], ['attempt_question.id'], name=op.f('fk_item_challenge_attempt_question_id_attempt_question')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_item_challenge_decided_by_id_user')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_version.id'], name=op.f('fk_item_challenge_question_version_id_question_version')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_item_challenge_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_challenge'))
    )
    with op.batch_alter_table('item_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_challenge_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_challenge_question_version_id'), ['question_version_id'], unique=False)
        batch_op.create_index('ix_item_challenge_status', ['status'], unique=False)
        batch_op.create_index('uq_item_challenge_one_open', ['attempt_question_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))



def downgrade():
    with op.batch_alter_table('item_challenge', schema=None) as batch_op:
        batch_op.drop_index('uq_item_challenge_one_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_item_challenge_status')
        batch_op.drop_index(batch_op.f('ix_item_challenge_question_version_id'))
        batch_op.drop_index(batch_op.f('ix_item_challenge_attempt_id'))

    op.drop_table('item_challenge')
    with op.batch_alter_table('regrade_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regrade_hold_attempt_id'))

    op.drop_table('regrade_hold')
    with op.batch_alter_table('grading_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grading_adjustment_question_version_id'))

    op.drop_table('grading_adjustment')
    op.drop_table('angoff_rating')
    with op.batch_alter_table('standard_setting', schema=None) as batch_op:
        batch_op.drop_index('uq_standard_setting_one_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_standard_setting_exam_id'))

    op.drop_table('standard_setting')
