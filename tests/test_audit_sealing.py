"""The audit chain is sealed off the request path (docs/AUDIT.md): events are appended unsealed, the sealer
chains them after the commit, every event ends sealed, and the chain still shows an altered, removed or
reordered event. The database lets only the sealer's one UPDATE through."""
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DatabaseError

from lms.audit import record_event, seal_pending, verify_chain
from lms.extensions import db as _db
from lms.models import AuditEvent, AuditHead

from .conftest import audit_guard_lifted

AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _append_unsealed(db, event_id=None, action="test.raw"):
    """An event as a request appends it, left unsealed (as if its process stopped before sealing)."""
    values = {"created_at": AT, "actor": "system", "action": action, "outcome": "success", "details": {}}
    if event_id is not None:
        values["id"] = event_id
    db.session.execute(insert(AuditEvent).values(**values))
    db.session.commit()


def test_an_event_is_appended_unsealed_and_sealed_by_the_commit(db):
    event = record_event("test.event", details={"i": 1})
    assert (event.seq, event.prev_hash, event.hash) == (None, None, None)  # no lock taken, no chain yet
    db.session.commit()
    assert event.seq == 1 and event.hash and verify_chain().ok
    head = db.session.get(AuditHead, 1)
    assert (head.seq, head.hash) == (1, event.hash)


def test_verify_counts_what_awaits_sealing_and_seal_chains_it(app, db):
    record_event("test.event")
    db.session.commit()
    _append_unsealed(db)
    _append_unsealed(db)
    report = verify_chain()
    assert report.ok and (report.events, report.unsealed) == (1, 2)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "2 more await sealing" in result.output
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.exit_code == 0 and "Sealed 2 events" in result.output
    report = verify_chain()
    assert report.ok and (report.events, report.unsealed) == (3, 0)


def test_an_event_committed_late_is_sealed_after_those_sealed_before_it(db):
    """PostgreSQL numbers events when they are inserted, not when they commit: an event with a lower id can
    become visible after a higher one was sealed. It is chained when it becomes visible, after them."""
    _append_unsealed(db, event_id=100, action="test.first_visible")
    seal_pending()
    _append_unsealed(db, event_id=50, action="test.committed_late")
    seal_pending()
    chain = db.session.execute(select(AuditEvent.seq, AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert chain == [(1, "test.first_visible"), (2, "test.committed_late")]
    assert verify_chain().ok


def test_the_database_lets_only_the_sealer_set_the_chain_fields_once(db):
    _append_unsealed(db, event_id=7)
    for statement in (
        "UPDATE audit_event SET actor = 'someone else' WHERE id = 7",
        # the chain fields together with another field: refused
        "UPDATE audit_event SET seq = 1, prev_hash = 'a', hash = 'b', outcome = 'failure' WHERE id = 7",
        "UPDATE audit_event SET hash = 'b' WHERE id = 7",  # only part of the chain fields
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    seal_pending()  # the sealer's UPDATE goes through
    sealed = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.id == 7)).one()
    assert sealed.seq == 1 and sealed.hash
    for statement in ("UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = 7",
                      "UPDATE audit_event SET hash = 'c' WHERE id = 7", "DELETE FROM audit_event WHERE id = 7"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert verify_chain().ok


def _three_sealed(db):
    for i in range(3):
        record_event("test.event", details={"i": i})
    db.session.commit()
    assert verify_chain().ok


def test_reordered_events_are_detected(db):
    _three_sealed(db)
    with audit_guard_lifted(db.session):  # swap the places of the first two events
        db.session.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = 1"))
        db.session.execute(text("UPDATE audit_event SET seq = 1 WHERE seq = 2"))
        db.session.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = -1"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == 1


def test_an_altered_sealed_event_is_detected(db):
    _three_sealed(db)
    with audit_guard_lifted(db.session):
        db.session.execute(text("UPDATE audit_event SET details = '{\"i\": 9}' WHERE seq = 2"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == 2 and "altered" in report.problem


def test_a_removed_sealed_event_is_detected(db):
    _three_sealed(db)
    with audit_guard_lifted(db.session):
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == 3


def test_an_event_unsealed_again_is_detected(db):
    _three_sealed(db)
    with audit_guard_lifted(db.session):
        db.session.execute(text("UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 3"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.unsealed == 1


@pytest.mark.committed  # threads append and commit on connections of their own
def test_every_event_is_sealed_when_many_writers_commit_at_once(app, db):
    threads, per_thread, errors = 6, 15, []

    def writer(n):
        try:
            with app.app_context():
                for i in range(per_thread):
                    record_event("test.concurrent", details={"thread": n, "i": i})
                    _db.session.commit()
                _db.session.remove()
        except Exception as error:  # noqa: BLE001 (any failure is reported below)
            errors.append(error)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    db.session.expire_all()
    report = verify_chain()
    assert report.ok, report.problem
    assert (report.events, report.unsealed) == (threads * per_thread, 0)  # nobody ran `lms audit seal`
    per_writer = {}
    for details in db.session.scalars(select(AuditEvent.details).order_by(AuditEvent.seq)):
        per_writer.setdefault(details["thread"], []).append(details["i"])
    assert all(order == list(range(per_thread)) for order in per_writer.values())  # each writer's order kept


def test_an_event_beyond_the_tip_is_detected(db):
    """A sealed-looking event added after the last one, without moving the tip (a forged event)."""
    _three_sealed(db)
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    db.session.execute(insert(AuditEvent).values(created_at=AT, actor="forger", action="test.forged",
                                                 outcome="success", details={}))
    forged = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.forged"))
    with audit_guard_lifted(db.session):
        db.session.execute(text("UPDATE audit_event SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id"),
                           {"seq": last.seq + 1, "prev": last.hash, "hash": "f" * 64, "id": forged})
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == last.seq + 1 and "beyond" in report.problem
