"""notifications, e-mail deliveries, notification preferences, supervision notes, the module search index

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0018'
branch_labels = None
depends_on = None


FTS = ("CREATE VIRTUAL TABLE IF NOT EXISTS module_fts USING fts5(title, body, module_id UNINDEXED, "
       "tokenize = 'porter unicode61')")


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('essential', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'key', name='uq_notification_user_key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('email_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'],
                            name=op.f('fk_email_delivery_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_delivery')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_email_delivery_notification_id'))
    )
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_email_delivery_status', ['status'], unique=False)

    op.create_table('notification_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_preference_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preference'))
    )

    op.create_table('supervision_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('shared_with_agency', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_supervision_note_author_id_user')),
    sa.ForeignKeyConstraint(['certification_id'], ['certification.id'],
                            name=op.f('fk_supervision_note_certification_id_certification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_note'))
    )
    with op.batch_alter_table('supervision_note', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_note_certification_id', ['certification_id'], unique=False)

    op.create_table('module_text',
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_text_module_id_module')),
    sa.ForeignKeyConstraint(['version_id'], ['module_version.id'], name=op.f('fk_module_text_version_id_module_version')),
    sa.PrimaryKeyConstraint('module_id', name=op.f('pk_module_text'))
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute(FTS)
    # Modules already published are indexed from their Markdown here; `lms content reindex` (and the next
    # publish of each) replaces that with the rendered text.
    bind.execute(sa.text(
        "INSERT INTO module_text (module_id, version_id, slug, title, body, updated_at) "
        "SELECT m.id, v.id, m.slug, v.title, v.body_md, v.created_at FROM module m "
        "JOIN module_version v ON v.id = m.current_version_id WHERE m.retired_at IS NULL"))
    if bind.dialect.name == 'sqlite':
        bind.execute(sa.text("INSERT INTO module_fts (title, body, module_id) SELECT title, body, module_id FROM module_text"))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS module_fts")
    op.drop_table('module_text')
    with op.batch_alter_table('supervision_note', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_note_certification_id')
    op.drop_table('supervision_note')
    op.drop_table('notification_preference')
    with op.batch_alter_table('email_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_email_delivery_status')
    op.drop_table('email_delivery')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
    op.drop_table('notification')
