"""Engine tuning per database: SQLite in WAL mode with foreign keys, serialized writers and durable commits.

SQLite's ``synchronous`` level decides what a commit survives. In WAL mode NORMAL survives a crash of
the process but may lose the last transactions on a power loss or an operating-system crash: an
answer the server acknowledged could be gone. FULL syncs the WAL on every commit, so an acknowledged
answer is on disk; it is the default (LMS_SQLITE_SYNCHRONOUS, measured in bench/README.md).
"""
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Durable by default (see the module docstring); an app's engine may choose otherwise, below.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def configure_sqlite_synchronous(engine: Engine, level: str) -> None:
    """Use ``level`` (NORMAL, FULL or EXTRA) as PRAGMA synchronous on every new connection of a SQLite
    engine; other engines are left alone. OFF is refused: a crash could corrupt the database."""
    level = str(level).strip().upper()
    if level not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(f"LMS_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}, "
                         f"not {level!r}.")
    if engine.dialect.name != "sqlite":
        return

    # An engine's own listeners run after the class-wide one above, so this level wins.
    @event.listens_for(engine, "connect")
    def _synchronous(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA synchronous={level}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("sqlite_begin") == "deferred":
        # A long read-only snapshot (a streamed export) that must not hold the writer lock.
        conn.exec_driver_sql("BEGIN")
        return
    # BEGIN IMMEDIATE takes the write lock up front, so two processes never both read the
    # same state and then fail to upgrade (e.g. the audit chain's tip); the busy timeout
    # makes the second wait instead of failing.
    conn.exec_driver_sql("BEGIN IMMEDIATE")
