"""Engine tuning per database: SQLite in WAL mode with foreign keys, serialized writers and durable commits.

SQLite has one writer at a time. A transaction that takes the write lock only at its first write
(BEGIN DEFERRED) may be refused that lock (SQLITE_BUSY, at once, without the busy timeout) when another
writer committed after it began reading: its reads are stale. So a transaction that will write begins
IMMEDIATE (the lock up front, waiting its turn), and one that only reads begins DEFERRED and never holds
the lock. Which one a transaction is, is asked of the *begin policy* the application sets
(``set_begin_policy``; the web layer decides per request, lms/app.py); without one, IMMEDIATE. A deferred
transaction that does write anyway is refused with SQLITE_BUSY when it raced (``is_refused_upgrade``);
the web layer then runs the request again, IMMEDIATE.

SQLite's ``synchronous`` level decides what a commit survives. In WAL mode NORMAL survives a crash of
the process but may lose the last transactions on a power loss or an operating-system crash: an
answer the server acknowledged could be gone. FULL syncs the WAL on every commit, so an acknowledged
answer is on disk; it is the default (LMS_SQLITE_SYNCHRONOUS, measured in bench/README.md).
"""
import sqlite3
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

DEFERRED, IMMEDIATE = "deferred", "immediate"
_begin_policy: Callable[[], str] | None = None


def set_begin_policy(policy: Callable[[], str] | None) -> None:
    """Let ``policy()`` (DEFERRED or IMMEDIATE) decide how each SQLite transaction begins; None: IMMEDIATE."""
    global _begin_policy
    _begin_policy = policy


_write_phase: Callable[[], bool] | None = None


def set_write_phase(hook: Callable[[], bool] | None) -> None:
    """Let ``hook()`` start a transaction's writing phase (``begin_writes``); the web layer sets it."""
    global _write_phase
    _write_phase = hook


def begin_writes() -> bool:
    """A service's reads are done and it is about to write. Where the reads ran in a deferred transaction
    of their own (a SQLite request that reads first: lms/app.py), that transaction ends and the next begins
    IMMEDIATE, so the write lock is held for the writes alone; True then, and the caller checks again what
    its decision rests on (other writers may have committed in between). Elsewhere (PostgreSQL, commands,
    a request already writing) nothing changes: False."""
    return _write_phase() if _write_phase is not None else False


def is_refused_upgrade(error: Exception) -> bool:
    """True for SQLite's refusal of the write lock to a transaction that began deferred (SQLITE_BUSY or
    SQLITE_BUSY_SNAPSHOT: another writer holds it, or committed since this one began reading)."""
    orig = getattr(error, "orig", None)
    if not isinstance(error, OperationalError) or not isinstance(orig, sqlite3.OperationalError):
        return False
    return getattr(orig, "sqlite_errorcode", None) in (5, 517) or "database is locked" in str(orig)


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
    mode = conn.get_execution_options().get("sqlite_begin")  # a long read-only snapshot asks for "deferred"
    if mode is None:
        mode = _begin_policy() if _begin_policy is not None else IMMEDIATE
    # IMMEDIATE takes the write lock up front, so two transactions never both read the same state and
    # then fail to upgrade; the busy timeout makes the second wait instead of failing (module docstring).
    conn.exec_driver_sql("BEGIN" if mode == DEFERRED else "BEGIN IMMEDIATE")


def replica_bind(url: str) -> dict:
    """Flask-SQLAlchemy's bind for a read-only replica (LMS_REPLICA_DATABASE_URL): the exports read from it.
    On PostgreSQL every transaction on it is READ ONLY, so a write sent there by mistake fails instead of
    reaching a primary given as the replica."""
    options = {"postgresql_readonly": True} if url.startswith("postgresql") else {}
    return {"url": url, "execution_options": options, "pool_pre_ping": True}
