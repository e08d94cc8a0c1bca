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
answer is on disk; it is the default (LMS_SQLITE_SYNCHRONOUS, measured in bench/README.md). Writes that a process's
threads send at the same moment can share one commit, and so one sync (``write_together``: the autosaves).

On PostgreSQL, psycopg prepares a statement on a connection once it has run there a few times, so the server
no longer plans it at each run (planning the start's joins cost PostgreSQL more than running them). It forgets
them all at each ROLLBACK, which is how SQLAlchemy ends every transaction it was not told to commit: every
request that only read, when its session closes. A transaction that wrote nothing (the server gave it no
transaction id) ends the same way with COMMIT, so ``keep_prepared_statements`` ends such a transaction with a
COMMIT instead, and the statements stay prepared. One that sent SELECTs alone is known to have written nothing
(each connection's cursors note it); of any other the server is asked.
"""
import copy
import fcntl
import functools
import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from typing import ClassVar

import psycopg
from sqlalchemy import Table, Text, bindparam, cast, column, event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError, OperationalError

DEFERRED, IMMEDIATE = "deferred", "immediate"
_IN_TRANSACTION = psycopg.pq.TransactionStatus.INTRANS
_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_begin_policy: Callable[[], str] | None = None


def set_begin_policy(policy: Callable[[], str] | None) -> None:
    """Let ``policy()`` (DEFERRED or IMMEDIATE) decide how each SQLite transaction begins; None: IMMEDIATE."""
    global _begin_policy
    _begin_policy = policy


def writing(engine: Engine) -> Engine:
    """``engine`` with its SQLite transactions begun IMMEDIATE whatever the begin policy says, for a
    transaction of its own that will write (a counter, a seal) in a request that otherwise only reads:
    it takes its turn among the writers (WriterQueue) instead of polling for SQLite's lock, where a wave
    of queued writers could keep it waiting past the busy timeout. Other databases' engines as they are."""
    return engine.execution_options(sqlite_begin=IMMEDIATE) if engine.dialect.name == "sqlite" else engine


def reading(engine: Engine) -> Engine:
    """``engine`` with its SQLite transactions begun DEFERRED whatever the begin policy says, for a transaction of
    its own that only reads (a count, an account's facts): it holds no lock and waits for no writer's turn."""
    return engine.execution_options(sqlite_begin=DEFERRED) if engine.dialect.name == "sqlite" else engine


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


def insert_for(dialect_name: str, target):
    """An INSERT into ``target`` with the database's ON CONFLICT clauses (``on_conflict_do_nothing``,
    ``on_conflict_do_update``), which SQLite and PostgreSQL both have but SQLAlchemy builds per dialect."""
    return _DIALECT_INSERT[dialect_name](target)


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys, the column names) into ``table``. On PostgreSQL in one statement
    whatever their number (an executemany sends a statement per row, and the server runs each: the 75 questions of a
    final's start cost PostgreSQL 2.0 ms of CPU that way, 1.5 ms in one; bench/README.md), the rows sent as one JSON
    text (``_given``). Elsewhere an executemany, which SQLite runs in C, in-process."""
    if not rows:
        return
    keys = tuple(rows[0])
    if connection.dialect.name != "postgresql":
        run_many(connection, _plain_insert(table), rows)
        return
    run_statement(connection, _given_insert(table, keys), {"_given": _as_json(connection, table, keys, rows)})


def update_rows(connection: Connection, table: Table, key: str, rows: list[dict]) -> None:
    """UPDATE ``table``'s row named by each row's ``key`` column with its other values (dicts with the same keys, the
    column names): on PostgreSQL in one statement (UPDATE ... FROM the rows unnested from an array per column: the
    planner knows their number, where it guesses 100 rows of a JSON text, and joined them to the whole table),
    elsewhere an executemany."""
    if not rows:
        return
    keys = tuple(rows[0])
    if connection.dialect.name != "postgresql":
        run_many(connection, _update_by_key(table, key, keys), [{f"_{k}": v for k, v in row.items()} for row in rows])
        return
    run_statement(connection, _unnested_update(table, key, keys), {f"_{k}": [row[k] for row in rows] for k in keys})


def _given(table: Table, keys: tuple[str, ...]):
    """The rows as a derived table: ``json_to_recordset`` of one JSON array of objects, each column typed as the
    table's (``AS given(position INTEGER, ...)``). One parameter whatever the number of rows and columns, written by
    Python's json in C: the 15 rows of a start cost the app 720 microseconds as an array per column (``unnest``:
    psycopg encodes an array of text in Python), 450 as one JSON text (bench/README.md, "Rows in bulk")."""
    columns = [column(k, table.c[k].type) for k in keys]
    rows = cast(bindparam("_given", type_=Text), postgresql.JSON)
    return func.json_to_recordset(rows).table_valued(*columns).render_derived(name="given", with_types=True)


@functools.cache  # one statement per table (kept: DriverStatements are kept per statement)
def _plain_insert(table: Table):
    return insert(table)


@functools.cache  # one statement per table and columns
def _given_insert(table: Table, keys: tuple[str, ...]):
    source = _given(table, keys)
    return insert(table).from_select(list(keys), select(*(source.c[k] for k in keys)))


def _as_json(connection: Connection, table: Table, keys: tuple[str, ...], rows: list[dict]) -> str:
    """The rows as one JSON array of objects, each value as its column's type writes it for this database (a
    JSONText column's text, a UTCDateTime's naive UTC time), times in ISO 8601, which PostgreSQL reads as typed."""
    processors = _bind_processors(table, keys, connection.dialect)
    given = [{k: (row[k] if process is None else process(row[k])) for k, process in processors} for row in rows]
    return json.dumps(given, default=_json_default, allow_nan=False, separators=(",", ":"))


@functools.cache
def _bind_processors(table: Table, keys: tuple[str, ...], dialect) -> tuple:
    """(column name, the function its type converts a value with before the driver gets it, or None) per column."""
    return tuple((k, table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in keys)


def _json_default(value):
    """A value json cannot write itself: a date or time in ISO 8601, a Decimal as its exact text."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a column value insert_rows can send")


@functools.cache
def _unnested_update(table: Table, key: str, keys: tuple[str, ...]):
    """UPDATE ... FROM unnest() of one array parameter per column, each typed as an array of the column's type
    (psycopg's dialect casts each parameter to it, so a column whose values are all NULL keeps its type)."""
    # One dimension: a value that is itself a list (a JSON column's) is one item, not a row of a nested array. The
    # parameters are not named as the columns: a column's name is reserved for its own value in the SET.
    arrays = [bindparam(f"_{k}", type_=postgresql.ARRAY(table.c[k].type, dimensions=1)) for k in keys]
    source = func.unnest(*arrays).table_valued(*keys).render_derived(name="given")
    return (update(table).where(table.c[key] == source.c[key])
            .values({k: source.c[k] for k in keys if k != key}))


@functools.cache
def _update_by_key(table: Table, key: str, keys: tuple[str, ...]):
    return (update(table).where(table.c[key] == bindparam(f"_{key}"))
            .values({k: bindparam(f"_{k}") for k in keys if k != key}))


def is_refused_upgrade(error: Exception) -> bool:
    """True for SQLite's refusal of the write lock to a transaction that began deferred (SQLITE_BUSY or
    SQLITE_BUSY_SNAPSHOT: another writer holds it, or committed since this one began reading)."""
    orig = getattr(error, "orig", None)
    if not isinstance(error, OperationalError) or not isinstance(orig, sqlite3.OperationalError):
        return False
    return getattr(orig, "sqlite_errorcode", None) in (5, 517) or "database is locked" in str(orig)


class WriterQueue:
    """The processes and threads that write one SQLite database take turns here before BEGIN IMMEDIATE.

    SQLite's own wait for the write lock (the busy timeout) polls: a waiting writer sleeps, up to 100 ms at
    a time, and looks again. In a wave of writes (an exam's 2,000 starts) the lock is then often free with
    nobody taking it, and who gets it next is luck. Here a writer waits on an exclusive ``flock`` of a file
    beside the database (other processes) and a thread lock (this process's other threads): the kernel
    wakes the next one the moment the turn is given back. The turn is held from BEGIN IMMEDIATE to the
    commit or rollback. Processes that do not take turns here (the sqlite3 shell, another program) still meet
    SQLite's own lock and busy timeout, as before. Measured: bench/README.md, "SQLite's writers: sqlite_writers.py".
    """

    _queues: ClassVar[dict[str, "WriterQueue"]] = {}
    _queues_lock = threading.Lock()

    def __init__(self, path: str):
        self._thread_turn = threading.Lock()
        self._owner: int | None = None
        self.group = WriteGroup()  # this process's writes committed together (write_together)
        self._pid = os.getpid()
        self._fd = os.open(f"{path}.writers", os.O_RDWR | os.O_CREAT, 0o600)

    @classmethod
    def for_database(cls, path: str) -> "WriterQueue | None":
        """The queue of the database file at ``path`` in this process; None for an in-memory database."""
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        path = os.path.abspath(path)
        with cls._queues_lock:
            queue = cls._queues.get(path)
            if queue is None or queue._pid != os.getpid():  # a forked child takes turns with its own file handle
                queue = cls._queues[path] = cls(path)
            return queue

    def take_turn(self) -> bool:
        """Wait for this writer's turn; False (and no wait) when this thread already holds it (a second
        connection of the same thread then meets SQLite's own lock, as without the queue)."""
        me = threading.get_ident()
        if self._owner == me:
            return False
        self._thread_turn.acquire()
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_turn.release()
            raise
        self._owner = me
        return True

    def give_back(self) -> None:
        self._owner = None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_turn.release()


class QueuedSQLiteConnection(sqlite3.Connection):
    """A SQLite connection whose IMMEDIATE transactions take turns in the database's WriterQueue: the turn
    is taken before BEGIN IMMEDIATE (``_sqlite_on_begin``) and given back once the commit or rollback is
    done (or the connection closes)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._queue = WriterQueue.for_database(os.fspath(database))
        self._has_turn = False

    def take_write_turn(self) -> None:
        if self._queue is not None and not self._has_turn:
            self._has_turn = self._queue.take_turn()

    def _give_back_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            self._queue.give_back()

    def commit(self):
        try:
            return super().commit()
        finally:
            self._give_back_turn()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._give_back_turn()

    def close(self):
        try:
            return super().close()
        finally:
            self._give_back_turn()


def sqlite_engine_options(url: str, options: dict | None) -> dict:
    """The engine options for ``url``: a SQLite file database's connections take turns to write
    (QueuedSQLiteConnection); other databases' options are returned as they are."""
    options = dict(options or {})
    if url.startswith("sqlite"):
        options["connect_args"] = {**options.get("connect_args", {}), "factory": QueuedSQLiteConnection}
    return options


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
    if mode == DEFERRED:
        conn.exec_driver_sql("BEGIN")
        return
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, QueuedSQLiteConnection):
        dbapi_connection.take_write_turn()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        if isinstance(dbapi_connection, QueuedSQLiteConnection):
            dbapi_connection._give_back_turn()
        raise


def keep_prepared_statements(engine: Engine) -> None:
    """On a PostgreSQL engine through psycopg, a transaction that wrote nothing ends with COMMIT where it would
    end with ROLLBACK, so that psycopg keeps its prepared statements (module docstring); any other ends as
    before. Other engines are left alone."""
    if engine.dialect.driver != "psycopg":
        return
    event.listen(engine, "connect", _note_what_transactions_send)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "reset", lambda dbapi_connection, record, state: _commit_if_unwritten(dbapi_connection))


def _on_rollback(connection) -> None:
    if connection.invalidated or connection.closed:
        return  # (its DBAPI connection is gone: asking for it would try to reconnect, and refuse to)
    _commit_if_unwritten(connection.connection.dbapi_connection)


_UNWRITTEN = "SELECT pg_current_xact_id_if_assigned() IS NULL"
_IDLE = psycopg.pq.TransactionStatus.IDLE


def _commit_if_unwritten(dbapi_connection) -> None:
    """Commit the connection's open transaction if it wrote nothing (so its COMMIT and its ROLLBACK are the same);
    the rollback that follows then has nothing to send. A transaction whose every statement was a SELECT
    (``_ReadNotingCursor``) wrote nothing: committed at once. Otherwise the server is asked whether it gave the
    transaction an id, which it does at its first write. (What a COMMIT would keep of such a transaction: a
    session-level SET, LISTEN or NOTIFY, a cursor WITH HOLD, a SELECT of set_config or pg_notify. The app sends none
    of them: tests/test_architecture.py looks for them in its statements.)"""
    if dbapi_connection is None or dbapi_connection.info.transaction_status != _IN_TRANSACTION:
        return
    try:
        if getattr(dbapi_connection, _ONLY_READ, False):
            dbapi_connection.commit()
            return
        with dbapi_connection.cursor() as cursor:
            unwritten = cursor.execute(_UNWRITTEN).fetchone()[0]
        if unwritten:
            dbapi_connection.commit()
    except psycopg.Error:
        return  # (a broken connection, or a failed check: the rollback that follows ends the transaction)


_ONLY_READ = "lms_transaction_only_read"  # the connection's attribute: its open transaction has sent SELECTs alone


def _note_what_transactions_send(dbapi_connection, connection_record) -> None:
    dbapi_connection.cursor_factory = _ReadNotingCursor


class _ReadNotingCursor(psycopg.Cursor):
    """psycopg's cursor, noting on its connection whether the transaction open there has sent anything but a SELECT.
    Every statement the app sends goes through it (SQLAlchemy's and a raw cursor's alike); a statement sent while no
    transaction is open begins one, and begins the note again. Saves the question to the server at the end of a
    transaction that only read: a round trip, about 60 microseconds of the app's CPU and 30 of the server's
    (bench/README.md, "Reads that end without asking")."""

    def execute(self, query, params=None, **kwargs):
        self._note(query)
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        self._note(None)
        return super().executemany(query, params_seq, **kwargs)

    def stream(self, query, params=None, **kwargs):
        self._note(query)
        return super().stream(query, params, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        self._note(None)
        return super().copy(statement, params, **kwargs)

    def _note(self, query) -> None:
        connection = self.connection
        reads = isinstance(query, str) and query.lstrip()[:6].upper() == "SELECT"
        if connection.pgconn.transaction_status == _IDLE:
            setattr(connection, _ONLY_READ, reads)  # this statement begins the transaction
        elif not reads:
            setattr(connection, _ONLY_READ, False)


class DriverStatement:
    """A Core statement compiled once for a dialect by SQLAlchemy, then sent on the driver's own connection without
    SQLAlchemy's Connection: no execution context, no events; its rows come back as SQLAlchemy's own Result.

    For the exam requests' statements (``run_statement``; the autosave's short way, lms.exams.pages): SQLAlchemy's
    execution of a statement costs the app about twice what the driver's sending it does (316-351 microseconds of
    CPU against 146-162 for the autosave's one-row read, in a transaction; its two statements on a pooled connection
    of their own about 1,000 against 500: bench/README.md, "The exam requests' statements sent by the driver too"). What
    SQLAlchemy does for a statement is kept: the SQL is its compiler's, for the parameters' names given (as it
    compiles an INSERT or UPDATE for the columns an execution names), each parameter and column goes through its
    type's own processor for the dialect (``bind_processor``, ``result_processor``: the UTC datetimes and the JSON
    texts of lms.models.types), and the rows are SQLAlchemy's Rows. A statement whose compiled form SQLAlchemy would
    still change at each execution (an expanding IN, a literal rendered late), that needs a value worked out at each
    execution (a column's default computed in Python) is refused; a dialect whose driver takes positional parameters
    (SQLite's) compiles them by name. An error is the driver's (psycopg's, sqlite3's), not wrapped in SQLAlchemy's
    (``run_statement`` wraps SQLite's). Build one with ``driver_statement`` (kept per dialect)."""

    def __init__(self, statement, dialect, keys: tuple[str, ...] = ()) -> None:
        dialect = _with_named_parameters(dialect)
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if (compiled.positional or compiled.literal_execute_params or compiled.post_compile_params
                or compiled.insert_prefetch or compiled.update_prefetch):
            raise ValueError("only a statement whose SQL is final once compiled, with named parameters and no value "
                             "worked out in Python at each execution (a column's default), is sent so")
        self.sql = compiled.string
        self._fixed = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
        self._binds = [(name, process) for name, bind in compiled.binds.items()
                       if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        columns = list(statement.exported_columns)
        self._types = [column.type.dialect_impl(dialect) for column in columns]
        self._dialect = dialect
        self._results = None  # (place, processor) per column converted: known at the first run (``_processors``)
        self._metadata = SimpleResultMetaData([column.key for column in columns]) if columns else None

    @property
    def returns_nothing(self) -> bool:
        return self._metadata is None

    def execute(self, connection, parameters: dict) -> Result:
        """Run the statement on ``connection`` (the driver's) with ``parameters`` (by the statement's names; its
        fixed values filled in): its rows, their columns converted as SQLAlchemy would (none for a statement that
        returns none)."""
        cursor = connection.execute(self.sql, self._bound(parameters))
        if self._metadata is None:
            return IteratorResult(_NO_COLUMNS, iter(()))
        rows = cursor.fetchall()
        results = self._results if self._results is not None else self._processors(cursor)
        if results:
            rows = [_converted(row, results) for row in rows]
        return IteratorResult(self._metadata, iter(rows))

    def execute_many(self, connection, rows: list[dict]) -> None:
        """Run the statement (one that returns no rows) on ``connection`` (the driver's) once per row of ``rows`` (by
        the statement's names), the driver's executemany."""
        connection.executemany(self.sql, [self._bound(row) for row in rows])

    def _bound(self, parameters: dict) -> dict:
        """``parameters`` as the driver takes them: the statement's fixed values filled in, each value converted by
        its type's bind processor."""
        given = {**self._fixed, **parameters}
        for name, process in self._binds:
            if name in given:
                given[name] = process(given[name])
        return given

    def _processors(self, cursor) -> list:
        """Each converted column's place and its type's result processor, which may depend on the type the driver
        reports (PostgreSQL's numeric types): as SQLAlchemy builds them, once."""
        codes = [column[1] for column in cursor.description]
        processors = [kind.result_processor(self._dialect, code) for kind, code in zip(self._types, codes)]
        self._results = [(place, process) for place, process in enumerate(processors) if process is not None]
        return self._results


_NO_COLUMNS = SimpleResultMetaData([])
_named_dialects: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _with_named_parameters(dialect):
    """``dialect``, or for one whose driver takes positional parameters (SQLite's, ``?``) a copy of it that compiles
    them by name (``:name``, which sqlite3 takes as well): a DriverStatement is sent with its parameters by name."""
    if not dialect.positional:
        return dialect
    named = _named_dialects.get(dialect)
    if named is None:
        named = copy.copy(dialect)  # its settings as the engine found them (the server's version, RETURNING)
        named.paramstyle, named.positional = "named", False
        _named_dialects[dialect] = named
    return named


def _converted(row: tuple, results: list) -> tuple:
    row = list(row)
    for place, process in results:
        row[place] = process(row[place])
    return tuple(row)


# dialect -> {(statement, parameters' names): its DriverStatement}; only statements built once are sent this way
_driver_statements: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_DRIVER_STATEMENTS_LIMIT = 1_000


def driver_statement(statement, dialect, keys: tuple[str, ...] = ()) -> DriverStatement:
    """``statement`` compiled for ``dialect`` (for parameters named ``keys``) as a DriverStatement, once per dialect
    (an engine's). Raises ValueError for a statement a DriverStatement refuses."""
    compiled = _compiled_for_driver(statement, dialect, keys)
    if compiled is None:
        raise ValueError("this statement is not sent by the driver (DriverStatement)")
    return compiled


def _compiled_for_driver(statement, dialect, keys: tuple[str, ...]) -> DriverStatement | None:
    kept = _driver_statements.get(dialect)
    if kept is None:
        kept = _driver_statements[dialect] = {}
    try:
        return kept[statement, keys]
    except KeyError:
        pass
    if len(kept) >= _DRIVER_STATEMENTS_LIMIT:
        kept.clear()
    try:
        compiled = DriverStatement(statement, dialect, keys)
    except ValueError:
        compiled = None  # (refused: remembered as such)
    kept[statement, keys] = compiled
    return compiled


def has_driver_connection(dialect) -> bool:
    """True for an engine whose statements the app may send on the driver's own connection (DriverStatement), in
    SQLAlchemy's transactions (``run_statement``) and outside them (``driver_connection``, ``driver_write``):
    psycopg's, and Python's sqlite3."""
    return dialect.driver in ("psycopg", "pysqlite")


def reads_outside_transactions(dialect) -> bool:
    """True for an engine on which a request's reads are sent outside its session's transaction while it holds none
    (``run_read``): PostgreSQL through psycopg. On SQLite a request's reads stay in its transaction, whose kind the
    begin policy decides (the module's docstring)."""
    return dialect.driver == "psycopg"


def run_statement(connection: Connection, statement, parameters: dict) -> Result:
    """``connection.execute(statement, parameters)`` (one set of parameters; a Core statement built once), in the
    connection's transaction: sent by the driver (DriverStatement: the same SQL, conversions and rows, without
    SQLAlchemy's execution) unless it refuses the statement, otherwise executed by SQLAlchemy. SQLite's errors are
    raised as SQLAlchemy raises them (``OperationalError`` for a write lock refused: lms.app runs the request
    again); psycopg's as the driver raises them."""
    if has_driver_connection(connection.dialect):
        compiled = _compiled_for_driver(statement, connection.dialect, tuple(sorted(parameters)))
        if compiled is not None:
            with _driver_in_transaction(connection, compiled.sql, parameters) as driver:
                return compiled.execute(driver, parameters)
    return connection.execute(statement, parameters)


def run_many(connection: Connection, statement, rows: list[dict]) -> None:
    """``connection.execute(statement, rows)`` (an executemany of a statement that returns no rows), in the
    connection's transaction: on SQLite sent by the driver (DriverStatement.execute_many) unless it refuses the
    statement, its errors raised as SQLAlchemy raises them; otherwise executed by SQLAlchemy."""
    if connection.dialect.driver == "pysqlite" and rows:
        compiled = _compiled_for_driver(statement, connection.dialect, tuple(sorted(rows[0])))
        if compiled is not None and compiled.returns_nothing:
            with _driver_in_transaction(connection, compiled.sql, rows) as driver:
                return compiled.execute_many(driver, rows)
    connection.execute(statement, rows)


@contextmanager
def _driver_in_transaction(connection: Connection, sql: str, parameters) -> Iterator:
    """``connection``'s driver connection, in the connection's transaction (begun first if it is not yet, as
    SQLAlchemy's execution would: sqlite3's statements would commit each by itself); an error of sqlite3's raised
    as SQLAlchemy raises it (``OperationalError`` for a write lock refused: lms.app runs the request again),
    psycopg's as the driver raises it."""
    if not connection.in_transaction():
        connection.begin()
    try:
        yield connection.connection.driver_connection
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, parameters, error, sqlite3.Error, dialect=connection.dialect) from error


def run_read(session, engine: Engine, statement, parameters: dict) -> Result:
    """A read (``statement``, one set of ``parameters``; a SELECT built once) for a request: while ``session`` (a
    scoped session) holds no transaction, on psycopg the statement is sent by the driver on one of ``engine``'s
    pooled connections in autocommit, committed by itself: no BEGIN, no COMMIT, and nothing of the session's
    transaction machinery (an attempt's page's two reads cost the app 330-350 microseconds of CPU this way, 450-590
    in a transaction of the session: bench/README.md, "Reads outside a transaction"). It sees what is
    committed, as a transaction begun then would. Once the session holds a transaction (the request wrote, or read
    what must be consistent with its writes), the read is run in it (flushed first: ``run_statement``), so a
    request always reads its own writes; on SQLite always, and for a statement a DriverStatement refuses (as
    ``run_statement`` does). Two such reads are not one snapshot: each caller reads rows that stand on their own (an
    attempt, then its questions)."""
    if reads_outside_transactions(engine.dialect) and not (session.registry.has()
                                                            and session.registry().in_transaction()):
        compiled = _compiled_for_driver(statement, engine.dialect, tuple(sorted(parameters)))
        if compiled is not None:
            with driver_connection(engine) as connection:
                return compiled.execute(connection, parameters)
    session.flush()
    return run_statement(session.connection(), statement, parameters)


@contextmanager
def driver_connection(engine: Engine) -> Iterator:
    """One of ``engine``'s pooled connections as the driver's own (psycopg's, or sqlite3's), in autocommit: each
    statement sent on it is committed by itself (DriverStatement), unless sent within ``driver_write``. It goes back
    to the pool as SQLAlchemy left it (psycopg's autocommit off; SQLite's connections are always in autocommit, their
    transactions begun by the app: ``_sqlite_on_connect``), or is discarded when the driver found it broken."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    is_psycopg = engine.dialect.driver == "psycopg"
    try:
        if is_psycopg:
            connection.autocommit = True
        yield connection
    finally:
        if is_psycopg and (connection.closed or connection.broken):
            pooled.invalidate()
        elif is_psycopg:
            connection.autocommit = False
        pooled.close()


class WriteGroup:
    """The writes this process's threads send to one SQLite database at the same moment, committed together: one
    write transaction, one sync of the log, for all of them (group commit).

    SQLite with ``synchronous=FULL`` syncs its log at every commit, while holding its one write lock: in a burst of
    autosaves each waits its turn for the lock and its own sync, and the machine is idle meanwhile. Here a writer
    joins the group of its database (``run``): when no write of the group is under way it writes at once, as
    alone; otherwise it waits, and the writes that gathered meanwhile are sent by one of them (the leader), on its
    connection, in one transaction (``driver_write``), each in a savepoint of its own: a write that raises is undone
    alone and its error raised to its own caller, the others are committed; an error of the transaction itself (its
    begin, its commit) is raised to each of its callers, a copy each (``_own_copy``). Each caller has its answer only
    once the commit is done, so nothing is acknowledged before it is durable. Measured: bench/README.md, "SQLite's
    autosave without the lock for its read, and its writes committed together"."""

    def __init__(self):
        self._lock = threading.Lock()
        self._gathered: list[_GroupedWrite] = []
        self._under_way = False

    def run(self, connection, work: Callable):
        """``work(connection)`` (a connection of this database, the driver's own) in a write transaction, maybe
        another caller's, with other writes: its result, or its error raised; the transaction's own error (its
        begin, its commit) is raised to each caller whose write was in it."""
        mine = _GroupedWrite(work)
        with self._lock:
            self._gathered.append(mine)
            leads = not self._under_way
            self._under_way = True
        if not leads:
            mine.settled.wait()  # done by a leader, or handed the lead (``_hand_on``)
            if not mine.leads:
                return mine.outcome()
        try:
            with self._lock:
                batch, self._gathered = self._gathered, []
            _write_together(connection, batch)
        finally:
            self._hand_on()
        return mine.outcome()

    def _hand_on(self) -> None:
        """After a batch: the lead to the first write gathered meanwhile, or the group idle."""
        with self._lock:
            if self._gathered:
                following = self._gathered[0]
                following.leads = True
                following.settled.set()
            else:
                self._under_way = False


class _GroupedWrite:
    __slots__ = ("work", "settled", "leads", "result", "error")

    def __init__(self, work: Callable):
        self.work, self.settled, self.leads = work, threading.Event(), False
        self.result, self.error = None, None

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


_SAVEPOINT = "grouped_write"


def _own_copy(error: BaseException) -> BaseException:
    """The transaction's ``error`` for one of the callers it failed: a copy of its own (its type, its message, what
    SQLAlchemy's errors carry) caused by it, so that each caller's thread raises an object no other thread raises.
    Raised by several threads at once, one object would gather their frames into one traceback, and a log would show
    one caller's error with another's stack. ``error`` itself where it cannot be copied."""
    try:
        own = copy.copy(error)
    except Exception:  # noqa: BLE001  (an error whose arguments do not build it again: shared, as it was)
        return error
    own.__cause__ = error
    return own


def _write_together(connection, batch: list[_GroupedWrite]) -> None:
    """Each write of ``batch`` in one write transaction on ``connection``: alone as it is, or, with others, each in a
    savepoint; every write settled (its result or its error) and its caller woken, whatever happens."""
    try:
        with driver_write(connection):
            if len(batch) == 1:
                batch[0].result = batch[0].work(connection)  # (its error rolls the transaction back)
            else:
                for write in batch:
                    connection.execute(f"SAVEPOINT {_SAVEPOINT}")
                    try:
                        write.result = write.work(connection)
                    except Exception as error:  # noqa: BLE001  (its caller's to handle: raised there)
                        write.error = error
                        connection.execute(f"ROLLBACK TO {_SAVEPOINT}")
                    connection.execute(f"RELEASE {_SAVEPOINT}")
    except BaseException as error:
        for write in batch:
            if write.error is None:
                write.result, write.error = None, _own_copy(error) if len(batch) > 1 else error
        if not isinstance(error, Exception):
            raise
    finally:
        for write in batch:
            write.settled.set()


def write_together(connection, work: Callable):
    """``work(connection)`` on a SQLite driver connection (``driver_connection``), in a write transaction shared with
    the writes other threads of this process send to the same database at the same moment (WriteGroup); alone in
    one (``driver_write``) on a connection that does not take turns to write (an in-memory database)."""
    queue = connection._queue if isinstance(connection, QueuedSQLiteConnection) else None
    if queue is None:
        with driver_write(connection):
            return work(connection)
    return queue.group.run(connection, work)


@contextmanager
def driver_write(connection) -> Iterator:
    """A write transaction on a SQLite driver connection (``driver_connection``): its writer's turn taken
    (WriterQueue), BEGIN IMMEDIATE, committed at the end of the block, rolled back when it raises. The lock is held
    for the block alone: what it sends is decided before (a save's rules, checked against a read without it)."""
    if isinstance(connection, QueuedSQLiteConnection):
        connection.take_write_turn()
    try:
        connection.execute("BEGIN IMMEDIATE")
    except BaseException:
        connection.rollback()  # (gives the turn back)
        raise
    try:
        yield connection
    except BaseException:
        connection.rollback()
        raise
    try:
        connection.commit()
    except BaseException:
        if connection.in_transaction:  # (a COMMIT SQLite refused leaves the transaction and its lock: undone here,
            connection.rollback()      # not left to the pooled connection's next user)
        raise


def replica_bind(url: str) -> dict:
    """Flask-SQLAlchemy's bind for a read-only replica (LMS_REPLICA_DATABASE_URL): the exports read from it.
    On PostgreSQL every transaction on it is READ ONLY, so a write sent there by mistake fails instead of
    reaching a primary given as the replica."""
    options = {"postgresql_readonly": True} if url.startswith("postgresql") else {}
    return {"url": url, "execution_options": options, "pool_pre_ping": True}
