"""atomic limit counters: rate_counter replaces the user's failure columns and verification_lookup

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 15:00:00

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

LOCKOUT_WINDOW = timedelta(minutes=15)  # the default LMS_LOCKOUT_WINDOW_MINUTES


def upgrade():
    counter = op.create_table('rate_counter',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_counter'))
    )
    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.create_index('ix_rate_counter_window_ends_at', ['window_ends_at'], unique=False)

    # Failures counted toward a lockout carry over (a lockout in force stays in user.locked_until).
    user = sa.table('user', sa.column('id', sa.Integer()), sa.column('failed_logins', sa.Integer()),
                    sa.column('first_failed_at', sa.DateTime()))
    rows = op.get_bind().execute(sa.select(user.c.id, user.c.failed_logins, user.c.first_failed_at).where(
        user.c.failed_logins > 0, user.c.first_failed_at.is_not(None))).all()
    if rows:
        op.bulk_insert(counter, [{"key": f"login-account:{r.id}", "count": r.failed_logins,
                                  "window_ends_at": r.first_failed_at + LOCKOUT_WINDOW} for r in rows])
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('first_failed_at')
        batch_op.drop_column('failed_logins')

    with op.batch_alter_table('verification_lookup', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_lookup_ip_at')
        batch_op.drop_index('ix_verification_lookup_at')
    op.drop_table('verification_lookup')


def downgrade():
    op.create_table('verification_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('looked_up_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_lookup'))
    )
    with op.batch_alter_table('verification_lookup', schema=None) as batch_op:
        batch_op.create_index('ix_verification_lookup_at', ['looked_up_at'], unique=False)
        batch_op.create_index('ix_verification_lookup_ip_at', ['ip', 'looked_up_at'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_failed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('failed_logins', server_default=None)

    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_counter_window_ends_at')
    op.drop_table('rate_counter')
