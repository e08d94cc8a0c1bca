"""A test inside one transaction that is rolled back: the session and the app's own connections join it.

The test's connection begins an outer transaction; every session (the test's, and each request's, each
CLI command's, as they get their own app context) is bound to that connection with
``join_transaction_mode="create_savepoint"``, so its commit releases a savepoint and its rollback rolls
back to one. The few places that open a connection of their own (the log-in's committed read, the
rate-limit counters, the pass list's read snapshot) get the same connection through ``db.engine``, their
transactions savepoints in it. Nothing reaches the database file; the next test starts from empty.
"""
from contextlib import contextmanager, nullcontext

from flask import current_app
from flask_sqlalchemy.session import Session, _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

# Execution options a joined connection cannot take: it is already inside the test's transaction.
_TRANSACTION_OPTIONS = ("isolation_level", "sqlite_begin")


class JoinedSession(Session):
    """A Flask-SQLAlchemy session that always uses the connection it was given."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class JoinedConnection:
    """The test's connection as the app's code uses one of its own."""

    def __init__(self, connection, options=None):
        self._connection, self._options = connection, dict(options or {})

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def execution_options(self, **options):
        kept = {k: v for k, v in options.items() if k not in _TRANSACTION_OPTIONS}
        return JoinedConnection(self._connection, {**self._options, **kept})

    def begin(self):
        # Already in the test's transaction; a savepoint here could outlive the session's savepoint it
        # was opened in (a streamed read while the command commits), so a read snapshot is just that.
        return nullcontext(self)

    def execute(self, statement, parameters=None, *, execution_options=None):
        return self._connection.execute(statement, parameters,
                                        execution_options={**self._options, **(execution_options or {})})


class JoinedDriverConnection:
    """The test's connection as the app's code uses a pooled driver connection of its own (lms.db_engine's
    driver_connection): its statements run in the test's transaction, so the autocommit asked of it is not given;
    returned to the pool or discarded, it stays the test's."""

    def __init__(self, connection):
        self.driver_connection = _InTransaction(connection.connection.driver_connection)

    def close(self):
        pass

    def invalidate(self):
        pass


class _InTransaction:
    """A driver connection kept in the test's transaction: psycopg's ``autocommit`` stays as the test's transaction
    needs it, and a write transaction the app begins on sqlite3's (lms.db_engine.driver_write: BEGIN IMMEDIATE, then
    COMMIT or ROLLBACK) is a savepoint in it."""

    _SAVEPOINT = "driver_write"

    def __init__(self, connection):
        object.__setattr__(self, "_connection", connection)

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def __setattr__(self, name, value):
        if name != "autocommit":
            setattr(self._connection, name, value)

    def execute(self, sql, *parameters):
        if sql == "BEGIN IMMEDIATE":
            sql = f"SAVEPOINT {self._SAVEPOINT}"
        return self._connection.execute(sql, *parameters)

    def commit(self):
        self._connection.execute(f"RELEASE {self._SAVEPOINT}")

    def rollback(self):
        self._connection.execute(f"ROLLBACK TO {self._SAVEPOINT}")
        self._connection.execute(f"RELEASE {self._SAVEPOINT}")


class JoinedEngine:
    """The real engine, except that its connections are the test's connection."""

    def __init__(self, engine, connection):
        self._engine, self._connection = engine, connection

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def execution_options(self, **options):
        # The test's connection is already in its transaction: how one begins (lms.audit asks) does not apply.
        return self

    @contextmanager
    def connect(self):
        yield JoinedConnection(self._connection)

    def raw_connection(self):
        return JoinedDriverConnection(self._connection)

    @contextmanager
    def begin(self):
        with self._connection.begin_nested():
            yield JoinedConnection(self._connection)


@contextmanager
def rolled_back(db, app):
    """Run the body with ``db.session`` and ``db.engine`` (for ``app``) joined to one outer transaction,
    rolled back at the end."""
    connection = db.engine.connect()
    outer = connection.begin()
    joined = JoinedEngine(db.engine, connection)
    scoped = scoped_session(sessionmaker(class_=JoinedSession, db=db, bind=connection,
                                         join_transaction_mode="create_savepoint", query_cls=db.Query),
                            scopefunc=_app_ctx_id)
    real_session, real_engine = db.session, type(db).engine

    def engine(self):
        # Another app made by the test (a migrated copy, a restore target) keeps its own engine.
        return joined if current_app._get_current_object() is app else real_engine.fget(self)

    db.session = scoped
    type(db).engine = property(engine)
    try:
        yield
    finally:
        scoped.remove()
        db.session = real_session
        type(db).engine = real_engine
        outer.rollback()
        connection.close()
