"""The audit chain is sealed off the request path (docs/AUDIT.md): events are appended unsealed, the sealer
chains them after the commit (inline, as the tests run, or in each process's background thread, as
production runs), every event ends sealed, and the chain still shows an altered, removed or reordered
event. The database lets only the sealer's one UPDATE through."""
import logging
import os
import threading
import warnings
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DatabaseError

from lms import audit
from lms.audit import record_event, seal_pending, unsealed_count, verify_chain
from lms.extensions import db as _db
from lms.models import AuditEvent, AuditHead

from .conftest import audit_guard_lifted, login
from .statements import listening

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


@pytest.fixture(params=["inline", "background"])
def sealing(request, app, db, monkeypatch):
    """Each sealing mode in turn: a wait for the sealer (nothing to wait for inline)."""
    if request.param == "inline":
        return lambda: True
    sealer = request.getfixturevalue("background_sealing")
    return lambda: sealer.wait_idle(timeout=30)


@pytest.mark.committed  # threads append and commit on connections of their own
def test_every_event_is_sealed_when_many_writers_commit_at_once(app, db, sealing):
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
    assert sealing()
    db.session.expire_all()
    report = verify_chain()
    assert report.ok, report.problem
    assert (report.events, report.unsealed) == (threads * per_thread, 0)  # nobody ran `lms audit seal`
    per_writer = {}
    for details in db.session.scalars(select(AuditEvent.details).order_by(AuditEvent.seq)):
        per_writer.setdefault(details["thread"], []).append(details["i"])
    assert all(order == list(range(per_thread)) for order in per_writer.values())  # each writer's order kept


# -- in the background, as production runs --------------------------------------------------------------


@pytest.mark.committed  # the sealer's thread works on connections of its own
def test_a_woken_sealer_lingers_and_one_round_then_seals_what_was_committed_meanwhile(app, db, background_sealing,
                                                                                         monkeypatch):
    """A wave's requests commit faster than rounds end: the sealer, woken, waits ``linger_seconds`` for more
    commits, and one round seals them all (lms.audit.Sealer._linger). The wait is the test's to end here."""
    sealer, lingering, over = background_sealing, threading.Event(), threading.Event()

    def linger():  # stands for the wait of linger_seconds
        lingering.set()
        assert over.wait(timeout=30)

    monkeypatch.setattr(sealer, "_linger", linger)
    rounds = sealer.rounds
    record_event("test.first")
    db.session.commit()
    assert lingering.wait(timeout=10)
    for i in range(4):  # committed while it lingers
        record_event("test.meanwhile", details={"i": i})
        db.session.commit()
    assert not sealer.wait_idle(timeout=0) and unsealed_count() == 5  # not idle, nothing sealed yet
    db.session.rollback()  # (the count's transaction would hold SQLite's write lock from the round)
    over.set()
    assert sealer.wait_idle(timeout=10)
    assert sealer.rounds == rounds + 1  # one round for the five
    db.session.expire_all()
    report = verify_chain()
    assert report.ok and (report.events, report.unsealed) == (5, 0)


def test_the_linger_is_set_from_the_configuration(app):
    """LMS_AUDIT_SEAL_LINGER_MS (lms.config) becomes the sealer's linger; in seconds, and 0 means none."""
    from lms.app import create_app

    for setting, seconds in ((None, 1.0), ("50", 0.05), ("0", 0.0)):
        os.environ.pop("LMS_AUDIT_SEAL_LINGER_MS", None)
        if setting is not None:
            os.environ["LMS_AUDIT_SEAL_LINGER_MS"] = setting
        try:
            made = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                               "INSTANCE_PATH": app.config["INSTANCE_PATH"]})
        finally:
            os.environ.pop("LMS_AUDIT_SEAL_LINGER_MS", None)
        assert audit.sealer(made).linger_seconds == seconds


def _statements_by_thread(engine):
    """Every statement sent on ``engine``, as (thread id, statement), until the listener is removed."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((threading.get_ident(), " ".join(statement.replace('"', "").split())))

    stack = ExitStack()
    stack.enter_context(listening(engine, record))
    return sent, stack.close


def _is_seal_statement(statement):
    return "audit_head" in statement or statement.startswith(("UPDATE audit_event", "SELECT EXISTS"))


@pytest.mark.committed  # the sealer's thread works on connections of its own
def test_in_the_background_the_request_thread_sends_no_seal_statement_and_the_sealer_seals(
        app, db, factory, background_sealing):
    user = factory.user(email="sealed@example.test")
    db.session.commit()
    assert background_sealing.wait_idle(timeout=5)
    db.session.rollback()
    sent, stop = _statements_by_thread(db.engine)
    try:
        assert login(app.test_client(), user.email, "not the password").status_code == 401  # audited
        assert background_sealing.wait_idle(timeout=5)
    finally:
        stop()
    request_thread = threading.get_ident()
    by_request = [statement for thread, statement in sent if thread == request_thread]
    by_sealer = [statement for thread, statement in sent if thread != request_thread]
    assert any(statement.startswith("INSERT INTO audit_event") for statement in by_request)
    assert not [statement for statement in by_request if _is_seal_statement(statement)]
    assert any(statement.startswith("UPDATE audit_head") for statement in by_sealer)
    db.session.expire_all()
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
    assert failed.outcome == "failure" and failed.hash is not None
    report = verify_chain()
    assert report.ok and report.unsealed == 0


@pytest.mark.committed  # the seal's own transactions, on the real engine
def test_on_sqlite_a_seal_takes_the_write_lock_up_front_even_in_a_reading_request(app, db):
    """A seal reads the tip and then writes it: begun deferred, SQLite could refuse it the write lock after
    its read (lms.db_engine). It begins IMMEDIATE whatever the request's policy; its last look only reads."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")
    _append_unsealed(db)
    sent, stop = _statements_by_thread(db.engine)
    try:
        with app.test_request_context("/"):  # a GET: its transactions begin DEFERRED (lms.app)
            assert seal_pending() == 1
    finally:
        stop()
    assert [statement for _, statement in sent if statement.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]


def _failing_once(monkeypatch):
    """Make the next seal round fail (as a lost connection would); an Event set once it has failed."""
    failed, real = threading.Event(), audit._seal_batch

    def seal_batch(conn):
        if not failed.is_set():
            failed.set()
            raise RuntimeError("the database went away")
        return real(conn)

    monkeypatch.setattr(audit, "_seal_batch", seal_batch)
    return failed


@pytest.mark.committed
def test_a_failed_round_loses_nothing_the_next_wake_seals_it(app, db, background_sealing, monkeypatch, caplog):
    monkeypatch.setattr(background_sealing, "retry_seconds", 600)  # only the next commit wakes it here
    failed, failures = _failing_once(monkeypatch), background_sealing.failures
    with caplog.at_level(logging.ERROR, logger="lms.audit"):
        record_event("test.first", details={"i": 1})
        db.session.commit()
        assert failed.wait(timeout=5)
        with background_sealing._state:  # the failed round is over
            assert background_sealing._state.wait_for(lambda: background_sealing.failures == failures + 1
                                                      and not background_sealing._busy, 5)
    assert unsealed_count() == 1  # still there, awaiting sealing
    logged = [r for r in caplog.records if r.name == "lms.audit"]
    assert [r.exc_info for r in logged] == [None] and "the database went away" in logged[0].getMessage()
    record_event("test.second", details={"i": 2})
    db.session.commit()
    assert background_sealing.wait_idle(timeout=5)
    db.session.expire_all()
    chain = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars().all()
    assert chain == ["test.first", "test.second"]  # in id order, the failed one first
    report = verify_chain()
    assert report.ok and (report.events, report.unsealed) == (2, 0)


@pytest.mark.committed
def test_after_a_failed_round_the_sealer_tries_again_without_a_wake(app, db, background_sealing, monkeypatch):
    monkeypatch.setattr(background_sealing, "retry_seconds", 0.05)
    failed, failures = _failing_once(monkeypatch), background_sealing.failures
    record_event("test.event")
    db.session.commit()
    assert failed.wait(timeout=5)
    assert background_sealing.wait_idle(timeout=5)  # idle only once the retry sealed it
    assert background_sealing.failures == failures + 1
    db.session.expire_all()
    report = verify_chain()
    assert report.ok and (report.events, report.unsealed) == (1, 0)


@pytest.mark.committed
def test_a_forked_child_has_no_sealer_thread_of_its_parent(app, db, background_sealing):
    """gunicorn forks its workers: a thread does not survive a fork, so the child's sealer starts its own."""
    record_event("test.event")
    db.session.commit()
    assert background_sealing.wait_idle(timeout=5) and background_sealing._thread is not None
    with warnings.catch_warnings():  # Python 3.12 warns of forking a process with threads: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: look, and leave at once (no test machinery, no database)
        os._exit(0 if background_sealing._thread is None and background_sealing.rounds == 0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert background_sealing._thread is not None  # the parent's is untouched


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
