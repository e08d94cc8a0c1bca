"""audit log append-only in the database: triggers refuse UPDATE and DELETE of audit events

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-02 14:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# A copy of lms.models.audit.APPEND_ONLY_TRIGGERS as of this revision (a migration must not change when
# the models do). On SQLite, a later batch_alter_table('audit_event') copies the table and loses these
# triggers: such a migration must create them again (tests/test_migrations.py checks the head).
TRIGGERS = {
    "sqlite": {
        "create": [
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END",
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END",
        ],
        "drop": [
            "DROP TRIGGER IF EXISTS audit_event_no_update",
            "DROP TRIGGER IF EXISTS audit_event_no_delete",
        ],
    },
    "postgresql": {
        "create": [
            "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused', "
            "ERRCODE = 'insufficient_privilege'; END $$",
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
        ],
        "drop": [
            "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
            "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
            "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
        ],
    },
}


def upgrade():
    for statement in TRIGGERS[op.get_bind().dialect.name]["create"]:
        op.execute(statement)


def downgrade():
    for statement in TRIGGERS[op.get_bind().dialect.name]["drop"]:
        op.execute(statement)
