"""A statement sent on the driver's own connection (lms.db_engine.DriverStatement, driver_connection) is the one
SQLAlchemy would send, its parameters and columns converted by the same types, on PostgreSQL and SQLite; each is
committed by itself, unless sent in a write transaction (driver_write, SQLite), the connection goes back to the pool
as SQLAlchemy left it, and one the server dropped is not given out again."""
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session, sessionmaker

from lms import db_engine
from lms.config import normalize_database_url
from lms.models.types import JSONText, UTCDateTime

from .conftest import sqlite_file_lock_free

postgresql_only = pytest.mark.usefixtures("postgresql_only")

THINGS = Table("driver_statement_thing", MetaData(), Column("id", Integer, primary_key=True),
               Column("at", UTCDateTime), Column("data", JSONText), Column("flag", Boolean), Column("label", String))
ADD = insert(THINGS).values(at=bindparam("when", type_=UTCDateTime()), data=bindparam("what", type_=JSONText()),
                            flag=bindparam("flag"), label=bindparam("label", "fixed")).returning(THINGS.c.id)
READ = select(THINGS.c.at, THINGS.c.data, THINGS.c.flag, THINGS.c.label, THINGS.c.id).where(
    THINGS.c.id == bindparam("the_id"))
WHEN = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5)))


@pytest.fixture
def url(database_url, tmp_path):
    """The tests' database: PostgreSQL's test database, or on SQLite a file of their own (the test database's write
    lock is held by the test's own transaction)."""
    url = normalize_database_url(database_url)
    return f"sqlite:///{tmp_path / 'driver.db'}" if url.startswith("sqlite") else url


@pytest.fixture
def sqlite_url(url):
    if not url.startswith("sqlite"):
        pytest.skip("SQLite only")
    return url


@pytest.fixture
def engine(url):
    engine = create_engine(url, **db_engine.sqlite_engine_options(url, {"pool_size": 1, "max_overflow": 0}))
    db_engine.keep_prepared_statements(engine)
    THINGS.create(engine)
    yield engine
    THINGS.drop(engine)
    engine.dispose()


def test_a_row_written_and_read_by_the_driver_is_the_one_sqlalchemy_writes_and_reads(engine):
    with db_engine.driver_connection(engine) as connection:
        (sent_id,) = db_engine.driver_statement(ADD, engine.dialect).execute(
            connection, {"when": WHEN, "what": {"b": [1, "é"], "a": None}, "flag": True}).one()
    with engine.begin() as conn:
        (kept_id,) = conn.execute(ADD, {"when": WHEN, "what": {"b": [1, "é"], "a": None}, "flag": True}).one()
        stored = conn.execute(text("SELECT at, data, flag, label FROM driver_statement_thing ORDER BY id")).all()
        by_sqlalchemy = conn.execute(READ, {"the_id": sent_id}).one()
    assert stored[0] == stored[1]  # the same values stored: naive UTC, canonical JSON text, the fixed label
    if engine.dialect.name == "postgresql":  # (SQLite keeps the time as its text, the flag as 1)
        assert stored[0] == (WHEN.astimezone(timezone.utc).replace(tzinfo=None), '{"a":null,"b":[1,"é"]}', True,
                             "fixed")
    with db_engine.driver_connection(engine) as connection:
        by_driver = db_engine.driver_statement(READ, engine.dialect).execute(connection, {"the_id": sent_id}).one()
        assert db_engine.driver_statement(READ, engine.dialect).execute(connection, {"the_id": -1}).first() is None
    assert by_driver == by_sqlalchemy
    assert by_driver == (WHEN, {"a": None, "b": [1, "é"]}, True, "fixed", sent_id)
    assert by_driver.at.tzinfo is not None and by_driver.label == "fixed" and kept_id != sent_id


@postgresql_only
def test_each_statement_is_committed_by_itself_and_the_connection_goes_back_transactional(engine, database_url):
    with db_engine.driver_connection(engine) as connection:
        (sent_id,) = db_engine.driver_statement(ADD, engine.dialect).execute(
            connection, {"when": WHEN, "what": [], "flag": False}).one()
        with psycopg.connect(database_url.replace("+psycopg", "")) as other:  # another session sees it at once
            assert other.execute("SELECT id FROM driver_statement_thing").fetchall() == [(sent_id,)]
    with engine.connect() as conn:  # the pool's one connection, as SQLAlchemy left it
        assert conn.connection.driver_connection.autocommit is False
        conn.execute(text("INSERT INTO driver_statement_thing (label) VALUES ('rolled back')"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM driver_statement_thing")).scalar() == 1


@postgresql_only
def test_a_connection_the_server_dropped_is_discarded_not_given_out_again(engine, database_url):
    with pytest.raises(psycopg.OperationalError):
        with db_engine.driver_connection(engine) as connection:
            with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (connection.info.backend_pid,))
            db_engine.driver_statement(READ, engine.dialect).execute(connection, {"the_id": 1})
    with db_engine.driver_connection(engine) as connection:  # a new connection, not the dropped one
        assert db_engine.driver_statement(READ, engine.dialect).execute(connection, {"the_id": 1}).all() == []


def test_a_statement_sqlalchemy_still_changes_at_each_execution_is_refused(engine):
    expanding = select(THINGS.c.id).where(THINGS.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError):
        db_engine.driver_statement(expanding, engine.dialect)
    assert db_engine.driver_statement(READ, engine.dialect) is db_engine.driver_statement(READ, engine.dialect)


def test_a_statement_run_in_a_transaction_is_compiled_for_the_columns_given_and_rolled_back_with_it(engine):
    bare = insert(THINGS).returning(THINGS.c.id, THINGS.c.at)  # its columns: those the execution names
    with engine.connect() as conn:
        row = db_engine.run_statement(conn, bare, {"label": "in a transaction", "at": WHEN}).one()
        assert row.at == WHEN and row.id > 0
        assert db_engine.run_statement(conn, READ, {"the_id": row.id}).one().label == "in a transaction"
        unreturned = THINGS.update().where(THINGS.c.id == bindparam("the_id")).values(flag=True)
        assert db_engine.run_statement(conn, unreturned, {"the_id": row.id}).all() == []
        assert conn.execute(select(THINGS.c.flag)).scalar_one() is True  # the same transaction's
        conn.rollback()
        assert conn.execute(select(THINGS.c.id)).all() == []


@postgresql_only
def test_a_read_outside_a_transaction_begins_none_and_one_inside_reads_the_transactions_own_writes(engine):
    session = scoped_session(sessionmaker(bind=engine))
    begun = []
    record = begun.append  # (one bound method: the listener removed is the one added)
    event.listen(engine, "begin", record)
    try:
        with engine.begin() as conn:
            (committed_id,) = conn.execute(ADD, {"when": WHEN, "what": [], "flag": False}).one()
        begun.clear()
        row = db_engine.run_read(session, engine, READ, {"the_id": committed_id}).one()
        assert row.id == committed_id and row.at == WHEN  # the committed row, converted as SQLAlchemy would
        assert begun == [] and not session().in_transaction()  # no transaction of the session's, nor of the engine's
        written = session.execute(ADD, {"when": WHEN, "what": [1], "flag": True}).scalar_one()  # uncommitted
        assert db_engine.run_read(session, engine, READ, {"the_id": written}).one().data == [1]  # its own write
        session.rollback()
        assert db_engine.run_read(session, engine, READ, {"the_id": written}).first() is None
    finally:
        event.remove(engine, "begin", record)
        session.remove()


@postgresql_only
def test_a_read_the_driver_refuses_is_run_by_sqlalchemy_in_the_sessions_transaction(engine):
    session = scoped_session(sessionmaker(bind=engine))
    expanding = select(THINGS.c.id).where(THINGS.c.id.in_(bindparam("ids", expanding=True)))
    try:
        with engine.begin() as conn:
            (kept_id,) = conn.execute(ADD, {"when": WHEN, "what": [], "flag": False}).one()
        assert db_engine.run_read(session, engine, expanding, {"ids": [kept_id, -1]}).all() == [(kept_id,)]
        assert session().in_transaction()  # (read the usual way: in a transaction of the session's)
    finally:
        session.remove()


def _committed_labels(sqlite_url) -> list:
    """The labels another connection finds committed."""
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as conn:
        return [label for (label,) in conn.execute("SELECT label FROM driver_statement_thing ORDER BY id")]


def _lock_free(sqlite_url) -> bool:
    return sqlite_file_lock_free(sqlite_url.removeprefix("sqlite:///"))


def test_a_write_transaction_on_sqlite_commits_at_its_end_and_gives_the_write_lock_back(engine, sqlite_url):
    add = db_engine.driver_statement(ADD, engine.dialect)
    with db_engine.driver_connection(engine) as connection:
        with db_engine.driver_write(connection):
            add.execute(connection, {"when": WHEN, "what": [1], "flag": True, "label": "first"})
            add.execute(connection, {"when": WHEN, "what": [2], "flag": False, "label": "second"})
            assert connection.in_transaction and not _lock_free(sqlite_url)  # held for the block
            assert _committed_labels(sqlite_url) == []
        assert not connection.in_transaction and _lock_free(sqlite_url)
        assert _committed_labels(sqlite_url) == ["first", "second"]
        add.execute(connection, {"when": WHEN, "what": None, "flag": None, "label": "by itself"})  # autocommit
    assert _committed_labels(sqlite_url) == ["first", "second", "by itself"]


def test_a_write_transaction_on_sqlite_that_raises_writes_nothing_and_gives_the_lock_back(engine, sqlite_url):
    add = db_engine.driver_statement(ADD, engine.dialect)
    with db_engine.driver_connection(engine) as connection:
        with pytest.raises(LookupError):
            with db_engine.driver_write(connection):
                add.execute(connection, {"when": WHEN, "what": [], "flag": True, "label": "undone"})
                raise LookupError("a rule refused it")
        assert not connection.in_transaction and _lock_free(sqlite_url)
    with db_engine.driver_connection(engine) as connection:  # the turn given back: this thread takes it again
        with db_engine.driver_write(connection):
            add.execute(connection, {"when": WHEN, "what": [], "flag": True, "label": "kept"})
    assert _committed_labels(sqlite_url) == ["kept"]



def test_sqlites_refusal_of_the_write_lock_is_raised_as_sqlalchemy_raises_it(engine, sqlite_url):
    """lms.app runs a request again when SQLite refused its deferred transaction the write lock: it knows the refusal
    by SQLAlchemy's OperationalError (db_engine.is_refused_upgrade), which a statement sent by the driver raises too."""
    unreturned = THINGS.update().where(THINGS.c.id == bindparam("the_id")).values(flag=True)
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with engine.connect().execution_options(sqlite_begin=db_engine.DEFERRED) as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            with pytest.raises(OperationalError) as refused:
                db_engine.run_statement(conn, unreturned, {"the_id": 1})
            assert db_engine.is_refused_upgrade(refused.value)
            assert isinstance(refused.value.orig, sqlite3.OperationalError)
        other.execute("ROLLBACK")


def test_rows_sent_many_at_once_on_sqlite_are_those_sqlalchemy_sends(engine, sqlite_url):
    """db_engine.run_many (insert_rows, update_rows on SQLite): an executemany by sqlite3, each row's values converted
    by their types as SQLAlchemy converts them; its errors raised as SQLAlchemy's."""
    from sqlalchemy.exc import IntegrityError

    rows = [{"id": n, "at": WHEN, "data": {"n": n, "é": [n]}, "flag": n % 2 == 0, "label": f"row {n}"}
            for n in (1, 2, 3)]
    by_sqlalchemy = []

    def record(conn, cursor, statement, *args):
        by_sqlalchemy.append(statement)

    with engine.connect() as conn:
        event.listen(engine, "before_cursor_execute", record)
        db_engine.run_many(conn, insert(THINGS), rows)
        event.remove(engine, "before_cursor_execute", record)
        assert by_sqlalchemy == ["BEGIN IMMEDIATE"]  # the transaction begun; the rows sent by the driver
        conn.execute(insert(THINGS), [row | {"id": row["id"] + 10} for row in rows])  # SQLAlchemy's own
        stored = conn.execute(text("SELECT at, data, flag, label FROM driver_statement_thing ORDER BY id")).all()
        assert stored[:3] == stored[3:]
        assert conn.execute(READ, {"the_id": 2}).one() == (WHEN, {"n": 2, "é": [2]}, True, "row 2", 2)
        with pytest.raises(IntegrityError):
            db_engine.run_many(conn, insert(THINGS), rows[:1])  # the same id again
        conn.rollback()
        assert conn.execute(select(THINGS.c.id)).all() == []  # in the connection's transaction, rolled back with it
