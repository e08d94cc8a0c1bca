"""The append-only, hash-chained audit log."""
from sqlalchemy import DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.types import JSONText, UTCDateTime


class AuditEvent(db.Model):
    """Who did what to which object, when, from where, with what outcome; chained by hash."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    created_at = mapped_column(UTCDateTime(), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(254))  # the actor's e-mail (or "system") as it was
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))  # success | failure | denied
    details = mapped_column(JSONText(), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_action_ip_created", "action", "ip", "created_at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )


class AuditHead(db.Model):
    """A single row holding the chain's tip; locking it serializes appends across processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


# The database itself keeps the log append-only: triggers refuse any UPDATE or DELETE of an audit event
# (and, on PostgreSQL, a TRUNCATE), whoever sends it. They are part of the table: create_all installs
# them (below) and migration 0009 installs them in a migrated database. Whoever owns the table can still
# drop a trigger, which is why the hash chain and `lms audit verify` remain the proof.
# The chain's tip (audit_head) is deliberately not guarded: every append updates it, under a row lock.
# Taking the hash chain off the request path (a sealer that hashes events after they are appended)
# changes only the UPDATE rule here: allow an UPDATE that sets the hash of an unsealed event
# (OLD.hash IS NULL) and nothing else.
APPEND_ONLY_TRIGGERS = {
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
        ],
    },
}


def _create_triggers_with_the_table() -> None:
    """Make metadata.create_all (the test suite, fresh databases) install the triggers, and drop_all
    remove PostgreSQL's trigger function with the table."""
    for dialect, statements in APPEND_ONLY_TRIGGERS.items():
        for statement in statements["create"]:
            event.listen(AuditEvent.__table__, "after_create", DDL(statement).execute_if(dialect=dialect))
    event.listen(AuditEvent.__table__, "after_drop",
                 DDL("DROP FUNCTION IF EXISTS audit_event_refuse_change()").execute_if(dialect="postgresql"))


_create_triggers_with_the_table()
