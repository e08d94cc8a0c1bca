"""The append-only, hash-chained audit log."""
from sqlalchemy import DDL, ForeignKey, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.base import Record
from lms.models.types import JSONText, UTCDateTime


class AuditEvent(db.Model):
    """Who did what to which object, when, from where, with what outcome; chained by hash."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)  # the order of appending, assigned by the database
    seq: Mapped[int | None] = mapped_column(unique=True)  # the place in the chain, given by the sealer
    created_at = mapped_column(UTCDateTime(), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(254))  # the actor's e-mail (or "system") as it was
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))  # success | failure | denied
    details = mapped_column(JSONText(), nullable=False)
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # set by the sealer (lms.audit), once
    hash: Mapped[str | None] = mapped_column(String(64))  # set by the sealer, once; NULL: awaits sealing

    __table_args__ = (
        # What the sealer looks for: the few events not yet chained.
        Index("ix_audit_event_unsealed", "id", postgresql_where=text("hash IS NULL"),
              sqlite_where=text("hash IS NULL")),
        Index("ix_audit_event_action_ip_created", "action", "ip", "created_at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )


class AuditHead(Record):
    """A single row holding the chain's tip; the sealer (lms.audit) locks it for its own short transaction."""

    __tablename__ = "audit_head"

    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


# The database itself keeps the log append-only: triggers refuse any DELETE of an audit event (and, on
# PostgreSQL, a TRUNCATE), and any UPDATE but the sealer's: setting seq, prev_hash and hash of an unsealed
# event (all three NULL before, all three set after), the event's own fields unchanged. They are part of
# the table: create_all installs them (below) and migrations install them in a migrated database (0009,
# then the sealer's rule in 0018). Whoever owns the table can still drop a trigger, which is why the hash
# chain and `lms audit verify` remain the proof. The chain's tip (audit_head) is deliberately not guarded:
# every seal updates it, under a row lock.
_CONTENT = ("id", "created_at", "actor_id", "actor", "action", "object_type", "object_id", "ip", "outcome", "details")
_SEALING = ("OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL "
            "AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL")
APPEND_ONLY_TRIGGERS = {
    "sqlite": {
        "create": [
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
            f"WHEN NOT ({_SEALING} AND " + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _CONTENT) + ") "
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
            "BEGIN IF TG_OP = 'UPDATE' THEN "
            f"IF {_SEALING} AND to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash' "
            "= to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' "
            "THEN RETURN NEW; END IF; END IF; "
            "RAISE EXCEPTION USING MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused', "
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
