"""SQLite's transactions (lms/db_engine.py, lms/app.py): reads hold no lock, a password is never hashed
while the database is locked, a GET that writes and is refused the lock is run again, and a wave of
log-ins all get an answer."""
import sqlite3
import threading

import pytest
from flask import flash
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from lms.accounts import login as login_service
from lms.accounts import users as users_service
from lms.accounts.users import create_user
from lms.agencies.agencies import create_agency
from lms.app import create_app
from lms.audit import record_event
from lms.extensions import db as _db
from lms.models import AuditEvent, Role, User

from .conftest import PASSWORD, csrf_from, csrf_token, login, sqlite_write_lock_free

# Other connections must see the data (each request in its own transaction); SQLite only.
pytestmark = [pytest.mark.committed, pytest.mark.usefixtures("sqlite_only")]


def test_no_password_is_hashed_while_the_database_is_locked(app, client, factory, monkeypatch):
    user = factory.user(email="hasher@example.test")
    checks = []

    def watched(function):
        def wrapper(*args, **kwargs):
            checks.append((function.__name__, sqlite_write_lock_free(app)))
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(login_service, "verify_password", watched(login_service.verify_password))
    monkeypatch.setattr(users_service, "hash_password", watched(users_service.hash_password))
    assert login(client, user.email, "a wrong password").status_code == 401
    assert login(client, user.email, ack=False).status_code == 302
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                       "new_password": "a new long passphrase 42",
                                                       "confirm": "a new long passphrase 42", "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [name for name, _ in checks] == ["verify_password", "verify_password", "verify_password", "hash_password"]
    assert all(free for _, free in checks), checks


def test_a_get_that_writes_runs_again_when_another_writer_committed_since_it_began(app, database_url, tmp_path):
    """The GET reads (deferred, no lock); another process commits a write; the GET's own write is refused
    the lock (its reads are stale), so the request is rolled back and run again, IMMEDIATE: one event."""
    other_app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path)})
    runs = []

    @other_app.get("/test/get-that-writes")
    def get_that_writes():
        runs.append(_db.session.scalar(select(func.count(User.id))))  # a read: the snapshot begins
        if len(runs) == 1:  # another writer commits meanwhile (only the first time)
            conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
            conn.execute("INSERT INTO rate_counter (key, count, window_ends_at) VALUES ('x', 1, '2030-01-01')")
            conn.close()
        flash("Done.")
        record_event("test.get_write")
        _db.session.commit()
        return "done"

    client = other_app.test_client()
    response = client.get("/test/get-that-writes")
    assert response.status_code == 200 and len(runs) == 2
    with client.session_transaction() as session:
        assert session["_flashes"] == [("message", "Done.")]  # the first run's message went with its writes
    with other_app.app_context():
        assert _db.session.scalar(select(func.count()).where(AuditEvent.action == "test.get_write")) == 1
        _db.engine.dispose()


def test_two_hundred_log_ins_at_once_all_answer(app, db, clock):
    agency = _one_agency(db, clock)
    users = [create_user(email=f"wave{n}@example.test", name=f"Wave {n}", role=Role.TRAINEE, password=PASSWORD,
                         agency=agency, now=clock()) for n in range(200)]
    db.session.commit()
    prepared = []
    for n, user in enumerate(users):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.{n // 250}.{n % 250 + 1}"
        with client.session_transaction() as session:
            session["notice_ack"] = True
        prepared.append((client, user.email, csrf_from(client.get("/login").get_data(as_text=True))))
    db.session.rollback()
    barrier, statuses = threading.Barrier(len(prepared)), []

    def log_in(client, email, token):
        barrier.wait()
        password = PASSWORD if not email.startswith("wave1") else "not the password"  # some fail, as people do
        statuses.append(client.post("/login", data={"email": email, "password": password, "csrf_token": token})
                        .status_code)

    threads = [threading.Thread(target=log_in, args=args) for args in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    wrong = sum(1 for _, email, _ in prepared if email.startswith("wave1"))
    assert sorted(statuses) == [302] * (200 - wrong) + [401] * wrong  # every one answered, none with a 500
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "auth.login")) == 200


def _one_agency(db, clock):
    agency = create_agency(name="Wave County", state="VA", ori="VA0000999", now=clock())
    db.session.commit()
    return agency


# -- the writers' queue (lms.db_engine.WriterQueue) ----------------------------------------------------------


def _engine_connections(app, count):
    with app.app_context():
        engine = _db.engine
    return [engine.connect() for _ in range(count)]


def test_writers_take_turns_and_the_next_goes_when_the_first_commits(app):
    """A second writer waits for the first's turn, not in SQLite's busy timeout (its own is 0 here: without
    the queue its BEGIN IMMEDIATE would be refused at once), and goes once the commit gives the turn back."""
    first, second = _engine_connections(app, 2)
    order, waiting = [], threading.Event()
    try:
        second.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")
        first.begin()
        first.exec_driver_sql("INSERT INTO rate_counter (key, count, window_ends_at) VALUES ('a', 1, '2030-01-01')")

        def write_second():
            waiting.set()
            with second.begin():
                order.append("second writes")
                second.exec_driver_sql(
                    "INSERT INTO rate_counter (key, count, window_ends_at) VALUES ('b', 1, '2030-01-01')")

        other = threading.Thread(target=write_second)
        other.start()
        waiting.wait(timeout=10)
        other.join(timeout=0.2)  # (bounded: it cannot finish while the first holds the turn)
        assert other.is_alive() and order == []
        order.append("first commits")
        first.commit()
        other.join(timeout=30)
        assert order == ["first commits", "second writes"]
    finally:
        first.close()
        second.close()
    with app.app_context():
        keys = _db.session.execute(select(func.count()).select_from(_db.table("rate_counter"))).scalar()
    assert keys == 2


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_turn_is_given_back_by_a_commit_a_rollback_or_a_close(app, end):
    first, second = _engine_connections(app, 2)
    try:
        first.begin()
        getattr(first, end)()
        with second.begin():  # would wait for ever on a turn never given back
            second.exec_driver_sql("SELECT 1")
        assert sqlite_write_lock_free(app)
    finally:
        first.close()
        second.close()


def test_a_thread_that_holds_the_turn_meets_sqlites_own_lock_on_a_second_connection(app):
    """No wait for ever on itself: the second connection of the same thread is refused by SQLite (busy)."""
    first, second = _engine_connections(app, 2)
    try:
        second.connection.dbapi_connection.execute("PRAGMA busy_timeout=0")  # (no transaction: not queued)
        first.begin()
        with pytest.raises(OperationalError, match="locked"):
            second.begin()
            second.exec_driver_sql("SELECT 1")
    finally:
        first.close()
        second.close()


def test_an_export_streaming_from_its_snapshot_holds_no_lock_writers_need(app):
    """The pass list streams from one read transaction for as long as the file takes (lms.certification.passlist
    .read_snapshot): it begins DEFERRED even outside a request, where transactions begin IMMEDIATE, so a writer of
    another process (its busy timeout 0: it would be refused at once by a held lock) writes meanwhile."""
    from lms.certification.passlist import read_snapshot

    with app.app_context():
        path = make_url(str(_db.engine.url)).database
        with read_snapshot() as conn:
            assert conn.execute(select(func.count()).select_from(User)).scalar() == 0
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("INSERT INTO rate_counter (key, count, window_ends_at) VALUES ('x', 1, '2030-01-01')")
                other.execute("COMMIT")
            finally:
                other.close()
            # Still the snapshot it began with: the row committed meanwhile is not in it.
            assert conn.execute(select(func.count()).select_from(_db.table("rate_counter"))).scalar() == 0
