"""`lms backup` and `lms restore`: a restored database holds exactly what was backed up, on SQLite and on
PostgreSQL, and its audit chain verifies; a restore never goes over data."""
import os
import stat

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DatabaseError

from lms.app import create_app
from lms.audit import verify_chain
from lms.extensions import db as _db
from lms.models import AuditEvent, Certification

from .factories import CertKit, answer_all, exam_world, start


def _rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order (the test's session lets go of SQLite's writer lock)."""
    _db.session.rollback()
    with engine.connect() as conn:
        return {table.name: sorted(conn.execute(select(table)).all(), key=repr)
                for table in _db.metadata.sorted_tables}


pytestmark = pytest.mark.committed  # a backup reads the database on connections of its own


@pytest.fixture
def world(factory):
    return exam_world(factory)


@pytest.fixture
def backed_up_world(db, factory, clock, world):
    """Attempts (one in progress with answers, several finished), certifications with their signatures,
    and the audit events all of that wrote."""
    kit = CertKit(db, factory, clock)
    certifications = [kit.certified(), kit.certified()]
    attempt = start(world.trainee, "mixed-exam", clock)
    answer_all(attempt, clock)
    db.session.commit()
    assert all(c.signature for c in certifications)
    return certifications


def _restored_app(url, tmp_path):
    return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})


def test_a_restore_holds_every_row_of_the_backup_and_its_chain_verifies(
        app, db, backed_up_world, empty_database_url, tmp_path):
    signatures = {c.number: c.signature for c in backed_up_world}
    before = _rows(db.engine)
    assert before["attempt"] and before["certification"] and before["audit_event"]
    file = tmp_path / "lms.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600  # personal data and password hashes
    backup_event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert backup_event.action == "database.backup" and backup_event.details["file"] == "lms.backup"

    target = _restored_app(empty_database_url, tmp_path / "restored")
    with target.app_context():  # the CLI runs in the current app context
        result = target.test_cli_runner().invoke(args=["restore", str(file)])
        _db.session.remove()
    assert result.exit_code == 0, result.output
    assert "chain unbroken" in result.output

    engine = create_engine(empty_database_url)
    try:
        after = _rows(engine)
    finally:
        engine.dispose()
    restore_events = [e for e in after["audit_event"] if e not in before["audit_event"]]
    assert [e.action for e in restore_events] == ["database.restore"]
    after["audit_event"] = [e for e in after["audit_event"] if e not in restore_events]
    after["audit_head"] = before["audit_head"]  # moved on by the restore event, checked below
    assert after == before
    with target.app_context():
        report = verify_chain()
        assert report.ok and report.events == len(before["audit_event"]) + 1
        numbers = {c.number: c.signature for c in _db.session.scalars(select(Certification))}
        assert numbers == signatures
        with pytest.raises(DatabaseError, match="append-only"):  # the triggers came with the data
            _db.session.execute(text("DELETE FROM audit_event"))
        _db.session.rollback()
        _db.session.remove()
        _db.engine.dispose()


def test_restore_refuses_a_database_that_holds_data(app, db, factory, tmp_path):
    factory.user()
    file = tmp_path / "lms.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(file)]).exit_code == 0
    users_before = _rows(db.engine)["user"]
    result = app.test_cli_runner().invoke(args=["restore", str(file)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert _rows(db.engine)["user"] == users_before


def test_backup_never_overwrites_a_file(app, db, tmp_path):
    file = tmp_path / "precious.txt"
    file.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert file.read_text() == "keep me"


def test_restore_refuses_a_file_that_is_not_a_backup(db, empty_database_url, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a database")
    target = _restored_app(empty_database_url, tmp_path / "restored")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(file)])
        _db.engine.dispose()
    assert result.exit_code != 0 and "not a backup" in result.output


def test_without_pg_dump_on_the_path_the_backup_says_so_and_leaves_no_file(app, db, tmp_path, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite needs no outside tool")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    file = tmp_path / "lms.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(file)])
    assert result.exit_code != 0 and "pg_dump is not on the PATH" in result.output
    assert not file.exists()
