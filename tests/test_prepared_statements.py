"""PostgreSQL keeps its prepared statements across the transactions that only read (lms/db_engine.py,
keep_prepared_statements): psycopg prepares a statement once it has run a few times on a connection, and forgets
them all at a ROLLBACK, which is how every request that only read used to end. A transaction that wrote still
ends with its ROLLBACK: nothing it wrote is kept. One that sent SELECTs alone is committed without asking the server
whether it wrote; any other is asked about."""
import pytest
from sqlalchemy import Integer, bindparam, create_engine, select, text
from sqlalchemy.orm import Session

from lms import db_engine
from lms.config import normalize_database_url

pytestmark = pytest.mark.usefixtures("postgresql_only")

# psycopg's default prepare_threshold is 5: the statement is prepared at its sixth run on a connection.
RUNS = 8
READ = select(bindparam("number", type_=Integer) + 1).where(text("'a read of the test' <> ''"))


def prepared_reads(connection) -> int:
    """How many of the connection's prepared statements are READ (the server's own list)."""
    return connection.execute(text("SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, :marker) > 0"),
                              {"marker": "a read of the test"}).scalar()


def one_connection_engine(database_url):
    """An engine on the test database with one connection, so that every transaction below runs on it."""
    return create_engine(normalize_database_url(database_url), pool_size=1, max_overflow=0)


@pytest.fixture
def engine(database_url):
    engine = one_connection_engine(database_url)
    db_engine.keep_prepared_statements(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def asked(engine, monkeypatch):
    """Each time the server is asked whether a transaction wrote (lms.db_engine._UNWRITTEN)."""
    questions, execute = [], db_engine._ReadNotingCursor.execute

    def noting(cursor, query, params=None, **kwargs):
        if query == db_engine._UNWRITTEN:
            questions.append(query)
        return execute(cursor, query, params, **kwargs)

    monkeypatch.setattr(db_engine._ReadNotingCursor, "execute", noting)
    return questions


def test_a_transaction_of_selects_alone_ends_without_asking_the_server(engine, asked):
    for number in range(RUNS):
        with Session(engine) as session:
            assert session.execute(READ, {"number": number}).scalar() == number + 1
    assert asked == []
    with engine.connect() as connection:
        assert prepared_reads(connection) == 1


def test_a_transaction_that_sent_anything_else_asks_and_the_next_one_starts_afresh(engine, asked):
    with Session(engine) as session:
        session.execute(READ, {"number": 1})
        session.execute(text("SET LOCAL statement_timeout = '5s'"))  # not a SELECT, though it writes nothing
        session.execute(READ, {"number": 2})
    assert asked == [db_engine._UNWRITTEN]  # asked, and told: nothing written, so committed
    with Session(engine) as session:
        session.execute(READ, {"number": 3})
    assert asked == [db_engine._UNWRITTEN]  # a transaction of its own, of SELECTs alone


def test_reads_that_end_with_the_session_keep_their_prepared_statement(engine):
    for number in range(RUNS):
        with Session(engine) as session:  # a request that only reads: its session closes, never committed
            assert session.execute(READ, {"number": number}).scalar() == number + 1
    with engine.connect() as connection:
        assert prepared_reads(connection) == 1


def test_without_it_each_rollback_forgets_them(database_url):
    """What keep_prepared_statements mends: the same reads on an engine without it."""
    plain = one_connection_engine(database_url)
    try:
        for number in range(RUNS):
            with Session(plain) as session:
                session.execute(READ, {"number": number})
        with plain.connect() as connection:
            assert prepared_reads(connection) == 0
    finally:
        plain.dispose()


def test_reads_on_a_connection_given_back_to_the_pool_keep_their_prepared_statement(engine):
    """The pool's own reset (a connection given back with its transaction open) keeps them too."""
    for number in range(RUNS):
        raw = engine.raw_connection()
        with raw.cursor() as cursor:
            cursor.execute("SELECT %s::integer + 1 WHERE 'a read of the test' <> ''", (number,))
        assert raw.driver_connection.info.transaction_status.name == "INTRANS"
        raw.close()
    with engine.connect() as connection:
        assert prepared_reads(connection) == 1


def test_a_transaction_that_wrote_is_rolled_back(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS prepared_statements_probe (n integer)")
        connection.exec_driver_sql("DELETE FROM prepared_statements_probe")
    try:
        for number in range(RUNS):
            with Session(engine) as session:
                session.execute(READ, {"number": number})  # a read first: its transaction looks like a reader's
                session.execute(text("INSERT INTO prepared_statements_probe VALUES (:n)"), {"n": number})
            with engine.connect() as connection:
                raw = connection.connection.driver_connection
                with raw.cursor() as cursor:
                    cursor.execute("INSERT INTO prepared_statements_probe VALUES (%s)", (number,))
                connection.rollback()
            raw_pooled = engine.raw_connection()
            with raw_pooled.cursor() as cursor:
                cursor.execute("INSERT INTO prepared_statements_probe VALUES (%s)", (number,))
            raw_pooled.close()  # given back with the write uncommitted: the pool's reset
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM prepared_statements_probe").scalar() == 0
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE prepared_statements_probe")


def test_a_connection_lost_is_still_rolled_back(engine):
    """A connection SQLAlchemy invalidated (the server went away) rolls back as before, without a check."""
    with engine.connect() as connection:
        connection.execute(READ, {"number": 1})
        connection.invalidate()
        connection.rollback()
        assert connection.execute(READ, {"number": 2}).scalar() == 3  # a new connection, in working order
    with Session(engine) as session:
        session.execute(READ, {"number": 1})
        session.connection().invalidate()
        session.rollback()
        assert session.execute(READ, {"number": 3}).scalar() == 4


@pytest.mark.committed  # the app's real engine (other tests get one joined to their own transaction)
def test_the_app_ends_its_reads_the_same_way(app, db):
    """The app's own engine (create_app) ends its transactions that only read the same way."""
    with db.engine.connect() as connection:
        for number in range(RUNS):
            assert connection.execute(READ, {"number": number}).scalar() == number + 1
            connection.rollback()
        assert prepared_reads(connection) == 1
