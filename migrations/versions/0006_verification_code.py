"""certification.verification_code: the unguessable code the public verification link carries

Existing certifications get a code of their own (backfilled here); their signed snapshots are not
touched, so every signature still verifies.

Revision ID: 0006
Revises: 0009
Create Date: 2026-12-02 14:40:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_code', sa.String(length=32), nullable=True))
    certification = sa.table('certification', sa.column('id', sa.Integer()),
                             sa.column('verification_code', sa.String()))
    connection = op.get_bind()
    ids = connection.execute(sa.select(certification.c.id).where(certification.c.verification_code.is_(None))).scalars()
    for certification_id in list(ids):
        # The same generator as lms.certification.links.new_verification_code (128 random bits);
        # copied, not imported: a migration must not change when the application code does.
        connection.execute(certification.update().where(certification.c.id == certification_id)
                           .values(verification_code=secrets.token_urlsafe(16)))
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.alter_column('verification_code', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_certification_verification_code'), ['verification_code'])


def downgrade():
    with op.batch_alter_table('certification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certification_verification_code'), type_='unique')
        batch_op.drop_column('verification_code')
