"""SQLite's writes committed together (lms.db_engine.write_together, WriteGroup): the writes a process's threads send
while one is under way are sent by one of them in one transaction, each in a savepoint of its own; each caller gets
its own result or its own error once the commit is done, and a write that raises is undone alone."""
import sqlite3
import threading
import time
from contextlib import closing

import pytest
from sqlalchemy import create_engine

from lms import db_engine

WAIT = 30  # seconds: the bound of every wait for another thread (none is reached when the code is right)


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'together.db'}"
    engine = create_engine(url, **db_engine.sqlite_engine_options(url, {"pool_size": 8}))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE thing (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    yield engine
    engine.dispose()


@pytest.fixture
def commits(monkeypatch) -> list[int]:
    """The threads that committed a transaction on a SQLite connection that takes turns to write, in order."""
    done, commit = [], db_engine.QueuedSQLiteConnection.commit

    def counted(self):
        done.append(threading.get_ident())
        return commit(self)

    monkeypatch.setattr(db_engine.QueuedSQLiteConnection, "commit", counted)
    return done


@pytest.fixture
def refused(monkeypatch) -> set[int]:
    """The commits (counted from 1, in the order they are asked for) on a SQLite connection that takes turns to write
    that are refused ("database is locked"): the test adds their numbers. A refused commit leaves its transaction
    open, as SQLite leaves it, and gives the turn back, as the real commit gives it."""
    commit, numbers, asked = db_engine.QueuedSQLiteConnection.commit, set(), [0]

    def refused_when_numbered(self):
        asked[0] += 1  # (commits take turns: one at a time)
        if asked[0] not in numbers:
            return commit(self)
        try:
            raise sqlite3.OperationalError("database is locked")
        finally:
            self._give_back_turn()

    monkeypatch.setattr(db_engine.QueuedSQLiteConnection, "commit", refused_when_numbered)
    return numbers


def _labels(engine) -> list[str]:
    with closing(sqlite3.connect(engine.url.database)) as conn:  # another connection: what is committed
        return [label for (label,) in conn.execute("SELECT label FROM thing ORDER BY label")]


def _adding(label: str, *, then=None):
    """A write that adds a row labelled ``label``, then calls ``then`` (which may wait, or raise): (the label, the
    connection it was sent on, the row's id)."""
    def work(connection):
        row_id = connection.execute("INSERT INTO thing (label) VALUES (?)", (label,)).lastrowid
        if then is not None:
            then()
        return label, id(connection), row_id
    return work


class _Writer(threading.Thread):
    """A thread that sends one write on a connection of its own, and keeps what its call returned or raised."""

    def __init__(self, engine, work):
        super().__init__(daemon=True)
        self.engine, self.work, self.result, self.error = engine, work, None, None

    def run(self):
        try:
            with db_engine.driver_connection(self.engine) as connection:
                self.result = db_engine.write_together(connection, self.work)
        except Exception as error:  # noqa: BLE001  (kept for the test to look at)
            self.error = error


def _group(engine) -> db_engine.WriteGroup:
    return db_engine.WriterQueue.for_database(engine.url.database).group


def _until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the other threads never got there")


def _first_write_held(engine):
    """A thread whose write is under way and waits until released: (the thread, the event that releases it)."""
    inside, release = threading.Event(), threading.Event()

    def hold():
        inside.set()
        assert release.wait(WAIT)

    first = _Writer(engine, _adding("a", then=hold))
    first.start()
    assert inside.wait(WAIT)
    return first, release


def test_the_writes_gathered_while_one_is_under_way_are_committed_together(engine, commits):
    first, release = _first_write_held(engine)
    others = [_Writer(engine, _adding(label)) for label in ("b", "c")]
    for writer in others:
        writer.start()
    _until(lambda: len(_group(engine)._gathered) == 2)  # both wait for the write under way
    assert _labels(engine) == []  # nothing committed yet
    release.set()
    for writer in (first, *others):
        writer.join(WAIT)
        assert not writer.is_alive() and writer.error is None
    assert _labels(engine) == ["a", "b", "c"]
    assert len(commits) == 2  # the first alone, then the two gathered in one transaction
    (b, b_connection, _), (c, c_connection, _) = (writer.result for writer in others)
    assert (b, c) == ("b", "c") and b_connection == c_connection  # each its own result, sent on one connection
    assert not _group(engine)._under_way  # the group idle again


def test_a_write_that_raises_is_undone_alone_and_its_error_raised_to_its_own_caller(engine, commits):
    def refuse():
        raise LookupError("a rule refused it")

    first, release = _first_write_held(engine)
    refused, kept = _Writer(engine, _adding("b", then=refuse)), _Writer(engine, _adding("c"))
    refused.start()
    _until(lambda: len(_group(engine)._gathered) == 1)
    kept.start()
    _until(lambda: len(_group(engine)._gathered) == 2)
    release.set()
    for writer in (first, refused, kept):
        writer.join(WAIT)
        assert not writer.is_alive()
    assert isinstance(refused.error, LookupError) and refused.result is None
    assert kept.error is None and kept.result[0] == "c" and first.error is None
    assert _labels(engine) == ["a", "c"] and len(commits) == 2


def test_a_write_alone_that_raises_writes_nothing_and_leaves_the_group_idle(engine, commits):
    def refuse():
        raise LookupError("a rule refused it")

    with db_engine.driver_connection(engine) as connection:
        with pytest.raises(LookupError):
            db_engine.write_together(connection, _adding("a", then=refuse))
        assert db_engine.write_together(connection, _adding("b"))[0] == "b"
    assert _labels(engine) == ["b"] and len(commits) == 1 and not _group(engine)._under_way


def test_a_commit_that_fails_is_raised_to_each_caller_of_its_batch_as_an_error_of_its_own(engine, refused):
    """The transaction's own error reaches every caller whose write was in it, each as its own object (one object
    raised by several threads would gather their frames into one traceback), of its type and message, caused by it;
    the failed transaction is rolled back, its lock not kept by a pooled connection."""
    refused.add(2)  # the first write's commit goes through; the next, b's and c's together, is refused
    first, release = _first_write_held(engine)
    others = [_Writer(engine, _adding(label)) for label in ("b", "c")]
    for writer in others:
        writer.start()
    _until(lambda: len(_group(engine)._gathered) == 2)
    release.set()
    first.join(WAIT)
    assert first.error is None
    for writer in others:
        writer.join(WAIT)
        assert not writer.is_alive()
    b, c = (writer.error for writer in others)
    assert isinstance(b, sqlite3.OperationalError) and isinstance(c, sqlite3.OperationalError)
    assert b is not c and str(b) == str(c) == "database is locked"
    assert b.__cause__ is c.__cause__ and isinstance(b.__cause__, sqlite3.OperationalError)
    assert _labels(engine) == ["a"] and not _group(engine)._under_way
    with closing(sqlite3.connect(engine.url.database, timeout=0)) as conn:
        conn.execute("BEGIN IMMEDIATE")  # no connection kept the failed transaction's lock: it was rolled back
        conn.rollback()
    with db_engine.driver_connection(engine) as connection:
        assert db_engine.write_together(connection, _adding("d"))[0] == "d"  # the group writes again
    assert _labels(engine) == ["a", "d"]


def test_a_commit_refused_is_rolled_back_and_the_connection_writes_again(engine, refused):
    refused.add(1)
    with db_engine.driver_connection(engine) as connection:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            db_engine.write_together(connection, _adding("a"))
        assert not connection.in_transaction  # (its lock not held while the caller goes on)
        # the same connection again, not yet reset by the pool:
        assert db_engine.write_together(connection, _adding("b"))[0] == "b"
    assert _labels(engine) == ["b"] and not _group(engine)._under_way


def test_many_threads_writing_at_once_each_get_their_own_row(engine):
    per_thread, threads = 15, 6

    def writes(number):
        def run():
            with db_engine.driver_connection(engine) as connection:
                for n in range(per_thread):
                    results[number].append(db_engine.write_together(connection, _adding(f"{number}-{n:02}")))
        return run

    results = [[] for _ in range(threads)]
    writers = [threading.Thread(target=writes(number), daemon=True) for number in range(threads)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(WAIT)
        assert not writer.is_alive()
    assert sorted(label for label, _, _ in sum(results, [])) == _labels(engine)  # each row once, to its own caller
    assert len(_labels(engine)) == per_thread * threads
    with closing(sqlite3.connect(engine.url.database)) as conn:
        stored = dict(conn.execute("SELECT label, id FROM thing"))
    assert all(stored[label] == row_id for label, _, row_id in sum(results, []))
    assert not _group(engine)._under_way
