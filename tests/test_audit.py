"""The audit log is one unbroken hash chain, even with several writers; the database refuses to change
or remove an event, and an edit that gets past it (the trigger dropped) is detected."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from lms.audit import record_event, verify_chain
from lms.models import AuditEvent, AuditHead

from .conftest import PROJECT_ROOT, audit_guard_lifted, login


def test_events_chain_and_verify(db, factory):
    user = factory.user()
    for i in range(5):
        record_event("test.event", actor=user, details={"i": i}, ip="192.0.2.1")
    db.session.commit()
    report = verify_chain()
    assert report.ok and report.events == 5 + 2  # plus the agency and user creation
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert events[-1].details == {"i": 4} and events[-1].ip == "192.0.2.1"
    assert events[-1].created_at.tzinfo is not None


def test_an_event_carries_the_address_of_its_request_and_none_outside_one(app, db, factory):
    """The web layer hands the client's address to the audit log (lms.origin); once the request is over, an
    event recorded outside any request (the CLI, a job) has none, and does not inherit the last one."""
    user = factory.user(email="origin@example.test")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(client, user.email, "not the password").status_code == 401
    during = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert during.action == "auth.login" and during.outcome == "failure" and during.ip == "198.51.100.7"
    after = record_event("account.unlock", object_type="user", object_id=user.id, now=factory.clock())
    assert after.ip is None


def test_editing_an_event_in_the_database_breaks_the_chain(db, factory):
    factory.user()
    for i in range(3):
        record_event("test.event", details={"i": i})
    db.session.commit()
    assert verify_chain().ok
    with audit_guard_lifted(db.session):
        db.session.execute(text("UPDATE audit_event SET outcome = 'failure' WHERE seq = 3"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == 3 and "altered" in report.problem


def test_deleting_the_last_event_is_detected(db):
    for i in range(3):
        record_event("test.event", details={"i": i})
    db.session.commit()
    with audit_guard_lifted(db.session):
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 3"))
    db.session.commit()
    assert not verify_chain().ok


def test_deleting_a_middle_event_is_detected(db):
    for i in range(3):
        record_event("test.event", details={"i": i})
    db.session.commit()
    with audit_guard_lifted(db.session):
        db.session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.seq == 3


TAMPERING = [
    "UPDATE audit_event SET outcome = 'failure' WHERE seq = 2",
    "UPDATE audit_event SET hash = prev_hash",
    "DELETE FROM audit_event WHERE seq = 3",
    "DELETE FROM audit_event",
]


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_database_refuses_to_change_or_remove_an_event(db, statement):
    for i in range(3):
        record_event("test.event", details={"i": i})
    db.session.commit()
    before = db.session.execute(text("SELECT * FROM audit_event ORDER BY seq")).all()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.execute(text("SELECT * FROM audit_event ORDER BY seq")).all() == before
    assert verify_chain().ok


def test_the_database_refuses_to_empty_the_log(db):
    record_event("test.event")
    db.session.commit()
    statement = ("TRUNCATE audit_event CASCADE" if db.engine.dialect.name == "postgresql"
                 else "DELETE FROM audit_event WHERE 1")  # SQLite's TRUNCATE is a DELETE without WHERE
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert verify_chain().events == 1


def test_appending_still_works_and_moves_the_tip(db):
    first = record_event("test.event")
    db.session.commit()
    second = record_event("test.event")
    db.session.commit()
    head = db.session.get(AuditHead, 1)
    assert (head.seq, head.hash) == (second.seq, second.hash) and second.prev_hash == first.hash
    assert verify_chain().ok


def test_cli_verify(app, db):
    record_event("test.event")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "chain unbroken" in result.output
    with audit_guard_lifted(db.session):
        db.session.execute(text("UPDATE audit_event SET actor = 'someone else'"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN" in result.output


WRITER = """
import sys
from datetime import datetime, timezone
from lms.app import create_app
from lms.audit import record_event
from lms.extensions import db
app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[3]})
with app.app_context():
    for i in range(int(sys.argv[2])):
        record_event("test.concurrent", details={"pid": %s, "i": i})
        db.session.commit()
"""


@pytest.mark.committed  # other processes append to the database
@pytest.mark.parametrize("sealing", ["inline", "background"])
def test_several_processes_appending_at_once_keep_one_chain(app, db, database_url, tmp_path, sealing):
    """In the background, each process's sealer seals what its commits appended before the process exits."""
    processes, per_process = 4, 25
    script = WRITER % "__import__('os').getpid()"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "LMS_AUDIT_SEALING": sealing}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, database_url, str(per_process), str(tmp_path)],
                         env=env, stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    db.session.expire_all()
    report = verify_chain()
    assert report.ok, report.problem
    assert (report.events, report.unsealed) == (processes * per_process, 0)
    assert db.session.get(AuditHead, 1).seq == processes * per_process
    pids = {e.details["pid"] for e in db.session.scalars(select(AuditEvent))}
    assert len(pids) == processes
