"""audit chain sealed off the request path: seq, prev_hash and hash set by the sealer; the triggers allow it

Revision ID: 0018
Revises: 0007
Create Date: 2026-12-03 08:00:00

Events are appended with no hash (seq, prev_hash, hash NULL) and chained by the sealer (lms.audit). The
append-only triggers now allow exactly the sealer's UPDATE. On SQLite batch_alter_table copies the table,
which drops its triggers: they are created again here.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None

# Copies of the triggers as of this revision (lms.models.audit.APPEND_ONLY_TRIGGERS) and as of 0009.
_CONTENT = ("id", "created_at", "actor_id", "actor", "action", "object_type", "object_id", "ip", "outcome", "details")
_SEALING = ("OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL "
            "AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL")
_REFUSE_ALL = (
    "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$"
)
_ALLOW_SEALING = (
    "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF TG_OP = 'UPDATE' THEN "
    f"IF {_SEALING} AND to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash' = to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' "
    "THEN RETURN NEW; END IF; END IF; "
    "RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$"
)
_SQLITE_UPDATE_SEALING = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    f"WHEN NOT ({_SEALING} AND " + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _CONTENT) + ") "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END"
)
_SQLITE_UPDATE_NONE = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END"
)
_SQLITE_DELETE = (
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END"
)
_SQLITE_DROP = ("DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete")


def _columns(nullable: bool):
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=nullable)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=nullable)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=nullable)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for statement in _SQLITE_DROP:
            op.execute(statement)
    _columns(True)
    op.create_index('ix_audit_event_unsealed', 'audit_event', ['id'], unique=False,
                    postgresql_where=sa.text('hash IS NULL'), sqlite_where=sa.text('hash IS NULL'))
    if sqlite:
        op.execute(_SQLITE_UPDATE_SEALING)
        op.execute(_SQLITE_DELETE)
    else:
        op.execute(_ALLOW_SEALING)


def downgrade():
    # Events still awaiting the sealer would block NOT NULL: run `lms audit seal` before downgrading.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index('ix_audit_event_unsealed', table_name='audit_event')
    if sqlite:
        for statement in _SQLITE_DROP:
            op.execute(statement)
    _columns(False)
    if sqlite:
        op.execute(_SQLITE_UPDATE_NONE)
        op.execute(_SQLITE_DELETE)
    else:
        op.execute(_REFUSE_ALL)
